"""Fixtures for the provider tests: an Airflow connection pointing at the simulator, and helpers.

The connection is given the way users give it in containers: ``AIRFLOW_CONN_HEVO_AIRFLOW_CONN_ID``
in Airflow's JSON form, using the seed guide's HTTP type with an explicit port (which the seed
provider drops and we honour). Airflow's own lookups (sync on workers, async in the trigger) find it.
"""

from __future__ import annotations

import pytest
from provider_helpers import CONN_ENV, conn_json, next_pipeline_id


@pytest.fixture
def hevo_conn(hevo_sim, monkeypatch):
    """The simulator, reachable through the default connection id."""
    monkeypatch.setenv(CONN_ENV, conn_json(hevo_sim.url))
    return hevo_sim


@pytest.fixture
def fast_client_retries(monkeypatch):
    """One attempt per call in the client, so errors reach the trigger's own retry loop quickly."""
    from hevo_dagfactory.hevo import RetryPolicy, base

    monkeypatch.setattr(base, "DEFAULT_RETRY", RetryPolicy(max_attempts=1))


@pytest.fixture
def pipeline_id() -> str:
    """A fresh pipeline id per test (the simulator is shared within a session)."""
    return next_pipeline_id()
