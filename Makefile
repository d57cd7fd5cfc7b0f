# Set-up and test commands. Every target creates or reuses its virtualenv by itself.
#
# Two Airflow lines are supported and tested (docs/compatibility.md):
#   .venv      Airflow $(AIRFLOW3_VERSION) (the default for every target)
#   .venv-af2  Airflow $(AIRFLOW2_VERSION) (`make test` runs the unit + integration suites here too;
#              `AIRFLOW_VERSION=2.11.2 make demo` / `make bench` use it)
PYTHON           ?= python3
AIRFLOW3_VERSION ?= 3.3.2
AIRFLOW2_VERSION ?= 2.11.2
AIRFLOW_VERSION  ?= $(AIRFLOW3_VERSION)

# The venv of the Airflow line that AIRFLOW_VERSION names.
ifeq ($(firstword $(subst ., ,$(AIRFLOW_VERSION))),2)
VENV ?= .venv-af2
else
VENV ?= .venv
endif
VENV3 := .venv
VENV2 := .venv-af2
PY    := $(VENV)/bin/python
PY3   := $(VENV3)/bin/python
PY2   := $(VENV2)/bin/python
SUM   := $(shell cat pyproject.toml | cksum | cut -d' ' -f1)
# Airflow 2.x imports print Flask/SQLAlchemy deprecation noise that says nothing about our code.
AF2_PYTEST_FLAGS := -W ignore::DeprecationWarning -W "ignore::sqlalchemy.exc.MovedIn20Warning"

.PHONY: install install-af2 install-af3 test test-af3 test-af2 test-unit test-e2e demo bench validate clean

# install VENV AIRFLOW_VERSION: create the venv if needed, install the package editable with its test
# extras and the pinned Airflow, then stamp it (re-done when pyproject.toml or the pin changes).
define install_venv
	@test -x $(1)/bin/python || $(PYTHON) -m venv $(1)
	@echo "==> installing hevo-dagfactory with Airflow $(2) into $(1) (first run takes about a minute)"
	$(1)/bin/python -m pip --disable-pip-version-check -q install --upgrade pip 2>/dev/null
	$(1)/bin/python -m pip --disable-pip-version-check -q install -e '.[test,slack,smtp]' 'apache-airflow==$(2)' 2>&1 | grep -v "^WARNING: Location" || true
	@$(1)/bin/python -c "import hevo_dagfactory, airflow, yaml, jsonschema, aiohttp, requests, pytest; assert airflow.__version__ == '$(2)', airflow.__version__" || (echo "install into $(1) failed" >&2; exit 1)
	@rm -f $(1)/.installed-*
	@touch $(1)/.installed-$(SUM)-$(2)
endef

$(VENV3)/.installed-$(SUM)-$(AIRFLOW3_VERSION): pyproject.toml
	$(call install_venv,$(VENV3),$(AIRFLOW3_VERSION))

$(VENV2)/.installed-$(SUM)-$(AIRFLOW2_VERSION): pyproject.toml
	$(call install_venv,$(VENV2),$(AIRFLOW2_VERSION))

# Any other AIRFLOW_VERSION (e.g. a newer 3.3.x or 2.11.x patch release) goes into the venv of its line.
ifneq ($(AIRFLOW_VERSION),$(AIRFLOW3_VERSION))
ifneq ($(AIRFLOW_VERSION),$(AIRFLOW2_VERSION))
$(VENV)/.installed-$(SUM)-$(AIRFLOW_VERSION): pyproject.toml
	$(call install_venv,$(VENV),$(AIRFLOW_VERSION))
endif
endif

install-af3: $(VENV3)/.installed-$(SUM)-$(AIRFLOW3_VERSION)
install-af2: $(VENV2)/.installed-$(SUM)-$(AIRFLOW2_VERSION)
install: $(VENV)/.installed-$(SUM)-$(AIRFLOW_VERSION)

## make test: unit, integration and end-to-end tests on Airflow 3.3, then unit + integration on Airflow 2.11
# The 3.3 pass includes tests/e2e/test_e2e_demo_af2.py, which runs the demo on a real 2.11 stack with
# $(PY2) (hence install-af2 first). Both lines always run (a failure on 3.3 does not hide the 2.11
# result); the exit code is 1 if either failed.
test: install-af3 install-af2
	@rc=0; \
	echo "==> Airflow $(AIRFLOW3_VERSION): unit, integration and e2e tests"; \
	$(PY3) -m pytest -q -p no:cacheprovider $(PYTEST_ARGS) || rc=1; \
	echo "==> Airflow $(AIRFLOW2_VERSION): unit and integration tests (its e2e demo ran in the 3.3 pass)"; \
	$(PY2) -m pytest -q -p no:cacheprovider -m "not e2e" $(AF2_PYTEST_FLAGS) $(PYTEST_ARGS) || rc=1; \
	exit $$rc

test-af3: install-af3
	$(PY3) -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

# The e2e suite runs under 3.3 only (it drives the 2.11 demo from there): deselected here.
test-af2: install-af2
	$(PY2) -m pytest -q -p no:cacheprovider -m "not e2e" $(AF2_PYTEST_FLAGS) $(PYTEST_ARGS)

test-unit: install
	$(PY) -m pytest -q -p no:cacheprovider -m "not e2e" $(PYTEST_ARGS)

test-e2e: install-af3 install-af2
	$(PY3) -m pytest -q -p no:cacheprovider -m e2e $(PYTEST_ARGS)

## make demo: the main job (see README); AIRFLOW_VERSION=2.11.2 make demo runs it on Airflow 2.x
demo: install
	$(PY) -m hevo_dagfactory demo $(if $(KEEP),--keep,)

validate: install
	$(VENV)/bin/hevo-dagfactory validate configs/

## make bench: benchmarks, figures side by side (parse figures on both Airflow lines)
# Bytecode caching on (into .bench/pycache), as in a deployed Airflow: a PYTHONDONTWRITEBYTECODE in the
# caller's environment would make every fresh benchmark process recompile our modules from source.
bench: install-af3 install-af2
	env -u PYTHONDONTWRITEBYTECODE PYTHONPYCACHEPREFIX=$(CURDIR)/.bench/pycache $(PY3) bench/run_all.py --af2-python $(PY2)

clean:
	rm -rf $(VENV3) $(VENV2) build dist *.egg-info .demo .bench
