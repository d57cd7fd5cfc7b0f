# Set-up and test commands. Every target creates or reuses its virtualenv by itself.
#
# Two Airflow lines are supported and tested (docs/compatibility.md):
#   .venv      Airflow $(AIRFLOW3_VERSION) (the default for every target)
#   .venv-af2  Airflow $(AIRFLOW2_VERSION) (`make test` runs the unit + integration suites here too;
#              `AIRFLOW_VERSION=2.11.2 make demo` / `make bench` use it)
# Every venv is installed from a lock file in locks/ (`make lock` makes them from pyproject.toml) with uv,
# which the Makefile bootstraps from PyPI into .venv-tools/.
PYTHON           ?= python3
AIRFLOW3_VERSION ?= 3.3.2
AIRFLOW2_VERSION ?= 2.11.2
AIRFLOW_VERSION  ?= $(AIRFLOW3_VERSION)
UV_VERSION       := 0.13.9

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
LOCK  := locks/airflow-$(AIRFLOW_VERSION).txt
LOCK3 := locks/airflow-$(AIRFLOW3_VERSION).txt
LOCK2 := locks/airflow-$(AIRFLOW2_VERSION).txt
TOOLS := .venv-tools
UV    := $(TOOLS)/bin/uv
# uv reads PyPI, not pip's configuration; the venvs link files from uv's cache when they share a disk.
export UV_PYTHON_DOWNLOADS := never
# A venv is re-synced when its lock or pyproject.toml (entry points, the editable install) changes.
stamp = $(1)/.installed-$(firstword $(shell cat $(2) pyproject.toml 2>/dev/null | cksum))
# Airflow 2.x imports print Flask/SQLAlchemy deprecation noise that says nothing about our code.
AF2_PYTEST_FLAGS := -W ignore::DeprecationWarning -W ignore::sqlalchemy.exc.MovedIn20Warning
PYTEST := -m pytest -q -p no:cacheprovider
# pytest-xdist for the unit and integration suites: one worker per core, idle workers steal queued tests.
XDIST  := -n auto --dist worksteal

.PHONY: install install-af2 install-af3 install-dbt install-cluster lock lint test test-af3 test-af2 test-unit test-e2e \
	test-cluster demo demo-cluster bench validate clean services redis-server postgresql

## uv, bootstrapped from PyPI with the only tools a clean machine has (python3 -m venv, pip)
$(TOOLS)/.uv-$(UV_VERSION):
	@test -x $(TOOLS)/bin/python || $(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip --disable-pip-version-check -q install 'uv==$(UV_VERSION)'
	@rm -f $(TOOLS)/.uv-* && touch $@

# install_lock VENV LOCKFILE [PROJECT]: make VENV hold exactly what LOCKFILE pins (`uv pip sync` removes
# anything else), then, when PROJECT is given, this package editable without dependencies (all are in the
# lock). Reusable for any venv of the repository, e.g. $(call install_lock,.venv-dbt,locks/dbt.txt).
# Bytecode is compiled at install, as pip does: with PYTHONDONTWRITEBYTECODE set (CI shells often set it)
# every Airflow process of the tests would otherwise compile Airflow from source again.
define install_lock
	@test -x $(1)/bin/python || $(UV) venv --quiet --python $(PYTHON) $(1)
	@echo "==> $(1): installing $(2) with uv"
	$(UV) pip sync --quiet --compile-bytecode --python $(1)/bin/python $(2)
	$(if $(3),$(UV) pip install --quiet --python $(1)/bin/python --no-deps --editable .)
	@rm -f $(1)/.installed-*
	@touch $(call stamp,$(1),$(2))
endef

$(call stamp,$(VENV3),$(LOCK3)): $(LOCK3) pyproject.toml | $(TOOLS)/.uv-$(UV_VERSION)
	$(call install_lock,$(VENV3),$(LOCK3),project)

$(call stamp,$(VENV2),$(LOCK2)): $(LOCK2) pyproject.toml | $(TOOLS)/.uv-$(UV_VERSION)
	$(call install_lock,$(VENV2),$(LOCK2),project)

# Any other AIRFLOW_VERSION (e.g. a newer 3.3.x or 2.11.x patch release) goes into the venv of its line,
# from its own lock: `make lock AIRFLOW3_VERSION=3.3.3` (or AIRFLOW2_VERSION=...) makes it.
ifneq ($(AIRFLOW_VERSION),$(AIRFLOW3_VERSION))
ifneq ($(AIRFLOW_VERSION),$(AIRFLOW2_VERSION))
$(call stamp,$(VENV),$(LOCK)): $(LOCK) pyproject.toml | $(TOOLS)/.uv-$(UV_VERSION)
	$(call install_lock,$(VENV),$(LOCK),project)
endif
endif

locks/airflow-%.txt:
	@echo "no lock file for Airflow $*: run \`make lock AIRFLOW3_VERSION=$*\` (or AIRFLOW2_VERSION=$* for 2.x)" >&2
	@exit 1

## The production-shaped stack (make demo-cluster / test-cluster) needs Airflow's Celery, Git and PostgreSQL
# providers and drivers; they are in .venv's lock (the `cluster` group, with celery<5.7: 5.7.0 breaks
# apache-airflow-providers-celery's import and the scheduler dies at start). The check imports them.
install-cluster: install-af3
	@$(PY3) -m hevo_dagfactory.provider.compat cluster --check || \
		(echo "make install-cluster: the cluster's packages are missing from $(VENV3); run \`make lock\` and retry" >&2; exit 1)

## make services: the machine's servers the tests and benchmarks start on free 127.0.0.1 ports (never as a
# system service). need_package COMMAND,DEBIAN_PACKAGE: present, or installed with apt-get when we are root on
# Debian, or a clear failure that prints the exact command. Add a line per server (e.g. PostgreSQL).
define need_package
	@command -v $(1) >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "==> installing $(2) (provides $(1))"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(2) >/dev/null \
	      || { echo "error: installing $(2) failed" >&2; exit 1; }; \
	  else \
	    echo "error: $(1) is missing. Install it with: sudo apt-get update && sudo apt-get install -y $(2)" >&2; exit 1; \
	  fi; }
endef

services: redis-server postgresql

# Redis: the shared rate-budget store's tests and the budget benchmark start their own redis-server.
redis-server:
	$(call need_package,redis-server,redis-server)

# PostgreSQL: the cluster stack (make demo-cluster / test-cluster) starts its own server with the machine's
# initdb and postgres; Debian keeps them off the PATH, in /usr/lib/postgresql/<version>/bin (pg_ctlcluster, from
# the same packages, is on it).
postgresql:
	$(call need_package,pg_ctlcluster,postgresql)

## .venv-dbt: the real dbt (and OpenLineage's dbt-ol) that the demo and the dbt tests run, in a venv of its own:
# its pins clash with Airflow's (locks/dbt.txt, the `dbt` group). dbt-core 1.12 cannot be installed here (it
# downloads a binary at install time), hence dbt-core 1.11.
VENV_DBT := .venv-dbt
LOCK_DBT := locks/dbt.txt
$(call stamp,$(VENV_DBT),$(LOCK_DBT)): $(LOCK_DBT) pyproject.toml | $(TOOLS)/.uv-$(UV_VERSION)
	$(call install_lock,$(VENV_DBT),$(LOCK_DBT))
	@$(VENV_DBT)/bin/python -c "import dbt.adapters.duckdb, openlineage.dbt" && test -x $(VENV_DBT)/bin/dbt-ol || \
		(echo "install into $(VENV_DBT) failed" >&2; exit 1)

install-dbt: $(call stamp,$(VENV_DBT),$(LOCK_DBT))
install-af3: $(call stamp,$(VENV3),$(LOCK3))
install-af2: $(call stamp,$(VENV2),$(LOCK2))
install: $(call stamp,$(VENV),$(LOCK))

## make lock: re-resolve locks/ after a change to pyproject.toml (UPGRADE=1: newest versions that resolve)
lock: $(TOOLS)/.uv-$(UV_VERSION)
	$(TOOLS)/bin/python tools/lock.py compile --uv $(UV) --airflow $(AIRFLOW3_VERSION) --airflow $(AIRFLOW2_VERSION) $(if $(UPGRADE),--upgrade,)

## make lint: the lock files match pyproject.toml, ruff (lint + format), mypy over the spec and hevo layers
lint: install-af3
	@$(PY3) tools/lock.py check --airflow $(AIRFLOW3_VERSION) --airflow $(AIRFLOW2_VERSION) || \
		(echo "make lint: the lock files are stale (above); run \`make lock\`" >&2; exit 1)
	@$(VENV3)/bin/ruff check --quiet . || (echo "make lint: ruff found problems (above); \`$(VENV3)/bin/ruff check --fix .\` fixes many" >&2; exit 1)
	@$(VENV3)/bin/ruff format --check --quiet . || (echo "make lint: files not formatted (above); run \`$(VENV3)/bin/ruff format .\`" >&2; exit 1)
	@$(VENV3)/bin/mypy || (echo "make lint: mypy found type errors (above) in the spec or hevo layer" >&2; exit 1)
	@echo "==> lint: lock files, ruff and mypy passed"

## make test: lint, then every suite: unit, integration and e2e on Airflow 3.3, unit + integration on 2.11
# Two lanes at once (tools/run_tests.py prints each suite's output whole when it ends): the e2e suite, which
# mostly waits for its Airflow stacks, and the xdist-parallel unit + integration suites of both lines. The
# second lane runs at a lower CPU priority: the stacks' processes get a core as soon as they need one (their
# start-up and task timings stay as in a serial run) and the unit suites use the rest. The e2e suite
# includes tests/e2e/test_e2e_demo_af2.py, which runs the demo on a real 2.11 stack with $(PY2) (hence
# install-af2 first). Every suite runs to its end; the exit code is 1 if any failed.
test: install-af3 install-af2 install-dbt services lint
	@$(PY3) tools/run_tests.py \
		--lane "airflow-$(AIRFLOW3_VERSION)-e2e=$(PY3) $(PYTEST) -m e2e $(PYTEST_ARGS)" \
		--lane "airflow-$(AIRFLOW3_VERSION)=nice -n 10 $(PY3) $(PYTEST) -m 'not e2e' $(XDIST) $(PYTEST_ARGS);;airflow-$(AIRFLOW2_VERSION)=nice -n 10 $(PY2) $(PYTEST) -m 'not e2e' $(XDIST) $(AF2_PYTEST_FLAGS) $(PYTEST_ARGS)"

test-af3: install-af3 install-dbt services
	$(PY3) $(PYTEST) $(PYTEST_ARGS)

# The e2e suite runs under 3.3 only (it drives the 2.11 demo from there): deselected here.
test-af2: install-af2 install-dbt services
	$(PY2) $(PYTEST) -m "not e2e" $(XDIST) $(AF2_PYTEST_FLAGS) $(PYTEST_ARGS)

test-unit: install install-dbt services
	$(PY) $(PYTEST) -m "not e2e" $(XDIST) $(PYTEST_ARGS)

test-e2e: install-af3 install-af2 install-dbt
	$(PY3) $(PYTEST) -m e2e $(PYTEST_ARGS)

## make test-cluster: end-to-end tests on the production-shaped stack (tests/cluster/, Airflow 3.3; make test skips them)
test-cluster: services install-cluster install-dbt
	$(PY3) -m pytest -q -p no:cacheprovider -m cluster tests/cluster $(PYTEST_ARGS)

## make demo: the main job (see README); AIRFLOW_VERSION=2.11.2 make demo runs it on Airflow 2.x
demo: install install-dbt
	$(PY) -m hevo_dagfactory demo $(if $(KEEP),--keep,)

## make demo-cluster: the demo on PostgreSQL, Redis, CeleryExecutor and a Git DAG bundle (docs/demo.md)
demo-cluster: services install-cluster install-dbt
	$(PY3) -m hevo_dagfactory demo --cluster $(if $(KEEP),--keep,)

validate: install
	$(VENV)/bin/hevo-dagfactory validate configs/

## make bench: benchmarks, figures side by side (parse figures on both Airflow lines)
# Bytecode caching on (into .bench/pycache), as in a deployed Airflow: a PYTHONDONTWRITEBYTECODE in the
# caller's environment would make every fresh benchmark process recompile our modules from source.
bench: install-af3 install-af2 services
	env -u PYTHONDONTWRITEBYTECODE PYTHONPYCACHEPREFIX=$(CURDIR)/.bench/pycache $(PY3) bench/run_all.py --af2-python $(PY2)

clean:
	rm -rf $(VENV3) $(VENV2) $(VENV_DBT) $(TOOLS) build dist *.egg-info .demo .bench .test-logs .mypy_cache
