# Set-up and test commands. Every target creates or reuses .venv by itself.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check -q
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: install test test-unit test-e2e demo bench validate clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "==> installing hevo-dagfactory and its test dependencies into $(VENV) (first run takes about a minute)"
	$(PIP) install --upgrade pip 2>/dev/null
	$(PIP) install -e '.[test]' 2>&1 | grep -v "^WARNING: Location" || true
	@$(PY) -c "import hevo_dagfactory, airflow, yaml, jsonschema, aiohttp, requests, pytest" || (echo "install failed" >&2; exit 1)
	@rm -f $(VENV)/.installed-*
	@touch $@

## make test: unit, integration and end-to-end tests
test: install
	$(PY) -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

test-unit: install
	$(PY) -m pytest -q -p no:cacheprovider -m "not e2e" $(PYTEST_ARGS)

test-e2e: install
	$(PY) -m pytest -q -p no:cacheprovider -m e2e $(PYTEST_ARGS)

## make demo: the main job (see README)
demo: install
	$(PY) -m hevo_dagfactory demo $(if $(KEEP),--keep,)

validate: install
	$(VENV)/bin/hevo-dagfactory validate configs/

## make bench: benchmarks, figures side by side
bench: install
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) build dist *.egg-info .demo .bench
