"""Fixtures for the factory tests: a private model cache per test, the parsing context."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory, monkeypatch):
    """Each test gets its own on-disk cache folder and an empty in-memory cache."""
    from hevo_dagfactory.factory import cache

    monkeypatch.setenv("HEVO_DAGFACTORY_CACHE_DIR", str(tmp_path_factory.mktemp("model-cache")))
    for var in (
        "_AIRFLOW_PARSING_CONTEXT_DAG_ID",
        "_AIRFLOW_PARSING_CONTEXT_TASK_ID",
        "HEVO_DAGFACTORY_CONFIG_DIR",
        "HEVO_DAGFACTORY_ENV",
        "HEVO_DAGFACTORY_CACHE",
    ):
        monkeypatch.delenv(var, raising=False)
    cache.reset(disk=True)
    yield
    cache.reset(disk=True)


@pytest.fixture
def parsing_context(monkeypatch):
    """Set Airflow's parsing context the way a worker does before parsing the DAG file."""

    def _set(dag_id: str, task_id: str = "x") -> None:
        monkeypatch.setenv("_AIRFLOW_PARSING_CONTEXT_DAG_ID", dag_id)
        monkeypatch.setenv("_AIRFLOW_PARSING_CONTEXT_TASK_ID", task_id)

    return _set


os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
