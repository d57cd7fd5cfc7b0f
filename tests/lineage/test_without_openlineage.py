"""Without Airflow's OpenLineage provider nothing changes and no ``openlineage`` module is imported.

A child interpreter hides the provider (a meta-path finder refuses ``airflow.providers.openlineage``, as if it
were not installed) while the OpenLineage *client* stays importable, so any import of it by our code would
show in ``sys.modules``. It loads a YAML workflow and a hand-written operator and runs both: the runs succeed,
the plain operator makes exactly the Hevo calls it made before lineage existed (no objects, no second
pipeline read) and its result has no lineage; the YAML sync still emits its loaded tables as Assets (that
needs no OpenLineage).
"""

from __future__ import annotations

import pytest

from hevo_dagfactory.simulator import PipelineScript

from .conftest import HEAD, run_in_child, write_workflow

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("airflow_db")]

WORKFLOW = HEAD + "syncs:\n  - {id: shop, pipeline_id: 8201}\n"


@pytest.fixture(scope="module")
def child(lineage_sim, tmp_path_factory):
    sim, url = lineage_sim
    sim.add_pipeline(8201, PipelineScript(job_duration_s=1.0, tables=["public.orders"]))
    sim.add_pipeline(8202, PipelineScript(job_duration_s=1.0, tables=["public.orders"]))
    tmp = tmp_path_factory.mktemp("no_openlineage")
    write_workflow(tmp / "workflows", "lineage_hidden", WORKFLOW)
    spec = {
        "workflows": str(tmp / "workflows"),
        "plain": 8202,
        "runs": ["lineage_hidden", "lineage_plain_operator"],
        "hide_provider": True,
    }
    return run_in_child(tmp, url, spec, openlineage=False)


def test_no_openlineage_module_is_imported_and_the_runs_succeed(child):
    assert child.report["provider_modules"] == []
    assert child.report["openlineage_modules"] == []  # tests/lineage/test_events.py sees them with the provider
    assert child.run("lineage_hidden")["states"] == {"shop": "success"}
    assert child.run("lineage_plain_operator")["states"] == {"sync": "success"}


def test_a_plain_operator_makes_the_calls_it_always_made(child, lineage_sim):
    sim, _ = lineage_sim
    calls = [(e["method"], e["path"].rsplit("/", 1)[-1]) for e in sim.request_log if e["pipeline_id"] == "8202"]
    assert not [c for c in calls if c[1] == "objects"]  # the job's objects are read only for failures
    assert calls.count(("GET", "8202")) == 1  # the pre-flight, nothing more
    xcoms = child.run("lineage_plain_operator")["xcoms"]["sync"]
    assert "lineage" not in xcoms["return_value"] and "hevo_pipeline_ends" not in xcoms


def test_a_yaml_sync_still_emits_its_loaded_tables_as_assets(child):
    events = child.run("lineage_hidden")["asset_events"]
    assert sorted(e["uri"] for e in events) == [
        "hevo://eu/pipelines/8201",
        "snowflake://acme-prod/ANALYTICS/HEVO_RAW/ORDERS",
    ]
