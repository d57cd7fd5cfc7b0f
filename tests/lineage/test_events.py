"""OpenLineage events of Hevo syncs in real task runs, read back from OpenLineage's file transport.

One child interpreter (tests/lineage/runner.py) runs three DAGs with ``dag.test()`` against the simulator,
with Airflow's OpenLineage provider writing to a file as a deployment would configure it:

- ``lineage_ok`` (YAML): a deferred Postgres → Snowflake sync, a polling MySQL → BigQuery sync, and a sync
  that attaches to a Salesforce → Redshift job already running (so no pre-flight read of the pipeline);
- ``lineage_bad`` (YAML): completed with failures tolerated (``warn``), completed with failures failing the
  task, and a FAILED job;
- ``lineage_split`` (Python): ``wait_for_completion=False`` followed by the deferrable ``HevoJobSensor``;
- ``lineage_degraded`` (YAML): a sync whose job objects Hevo refuses to list;

and two workflows scheduled on table Assets, one of a table the first DAG loads and one of a table nobody
loads. Each test reads one part of what that run left.
"""

from __future__ import annotations

import json

import pytest

from hevo_dagfactory.simulator import PipelineScript

from .conftest import API_SECRET, HEAD, run_in_child, write_workflow
from .olschema import validation_errors

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("airflow_db")]
pytest.importorskip("airflow.providers.openlineage", reason="needs apache-airflow-providers-openlineage")

SOURCE_PASSWORD = "pg-pass-Zr81"  # in the source's config as Hevo sends it: must be dropped on reading
ORDERS = "snowflake://acme-prod/ANALYTICS/HEVO_RAW/ORDERS"
PIPELINES = {
    8101: PipelineScript(
        job_duration_s=1.0,
        tables=["public.orders", "public.refunds"],
        source_config={"host": "shop-db.internal", "port": 5432, "database_name": "shop", "password": SOURCE_PASSWORD},
    ),
    8102: PipelineScript(source_type="MYSQL", destination_type="BIGQUERY", tables=["crm.accounts", "crm.contacts"]),
    8103: PipelineScript(source_type="SALESFORCE", destination_type="REDSHIFT", tables=["Account", "Opportunity"]),
    8104: PipelineScript(
        final_status="COMPLETED_WITH_FAILURES",
        destination_type="DATABRICKS",
        tables=["sales.orders", "sales.refunds", "sales.invoices"],
        object_errors={"sales.refunds": "Failed to load 10 events: column 'amount' expects NUMBER"},
    ),
    8105: PipelineScript(
        final_status="COMPLETED_WITH_FAILURES",
        destination_config={},  # Hevo sent no destination config: the fallback namespace
        tables=["billing.invoices", "billing.payments"],
        object_errors={"billing.payments": "Destination table is locked"},
    ),
    8106: PipelineScript(
        final_status="FAILED",
        source_type="S3",
        destination_type="POSTGRES",
        tables=["orders", "returns"],
        object_errors={"returns": "Malformed CSV row 17"},
    ),
    8107: PipelineScript(job_duration_s=1.0, source_type="HUBSPOT", tables=["contacts"]),
    # Hevo refuses every read of the job's objects: lineage has no tables, the task must not care
    8108: PipelineScript(tables=["public.orders"], fail_next=50, fail_status=404, faults_on="objects"),
}
WORKFLOWS = {
    "lineage_ok": HEAD
    + """syncs:
  - {id: shop, pipeline_id: 8101}
  - {id: crm, pipeline_id: 8102, wait: poll}
  - {id: sfdc, pipeline_id: 8103}
""",
    "lineage_bad": HEAD
    + """syncs:
  - {id: warned, pipeline_id: 8104, on_completed_with_failures: warn}
  - {id: cwf, pipeline_id: 8105}
  - {id: failed, pipeline_id: 8106}
""",
    "lineage_degraded": HEAD + "syncs:\n  - {id: shop, pipeline_id: 8108}\n",
    "lineage_on_orders": HEAD.replace("schedule: null", f'schedule: {{assets: ["{ORDERS}"]}}')
    + "steps:\n  - {id: report, bash: {command: echo orders landed}}\n",
    "lineage_on_never": HEAD.replace(
        "schedule: null", 'schedule: {assets: ["snowflake://acme-prod/ANALYTICS/HEVO_RAW/NEVER_LOADED"]}'
    )
    + "steps:\n  - {id: report, bash: {command: echo never}}\n",
}


@pytest.fixture(scope="module")
def child(lineage_sim, tmp_path_factory):
    sim, url = lineage_sim
    for pid, script in PIPELINES.items():
        sim.add_pipeline(pid, script)
    tmp = tmp_path_factory.mktemp("lineage")
    for name, text in WORKFLOWS.items():
        write_workflow(tmp / "workflows", name, text)
    spec = {
        "workflows": str(tmp / "workflows"),
        "split": 8107,
        "runs": ["lineage_ok", "lineage_bad", "lineage_split", "lineage_degraded"],
        "unpause": ["lineage_on_orders", "lineage_on_never"],
    }
    return run_in_child(tmp, url, spec, openlineage=True)


def names(datasets):
    return sorted((d["namespace"], d["name"]) for d in datasets)


def hevo_facet(event):
    return event["run"]["facets"]["hevoJob"]


def requests_of(sim, pid, suffix):
    return [e for e in sim.request_log if e["method"] == "GET" and e["path"].endswith(suffix.format(pid=pid))]


def test_a_sync_reports_its_source_tables_and_the_tables_it_loaded(child):
    assert child.run("lineage_ok")["states"] == {"shop": "success", "crm": "success", "sfdc": "success"}
    (complete,) = child.of("lineage_ok", "shop", "COMPLETE")
    assert names(complete["inputs"]) == [
        ("postgres://shop-db.internal:5432", "shop.public.orders"),
        ("postgres://shop-db.internal:5432", "shop.public.refunds"),
    ]
    assert names(complete["outputs"]) == [
        ("snowflake://acme-prod", "ANALYTICS.HEVO_RAW.ORDERS"),
        ("snowflake://acme-prod", "ANALYTICS.HEVO_RAW.REFUNDS"),
    ]
    assert {o["outputFacets"]["outputStatistics"]["rowCount"] for o in complete["outputs"]} == {500}
    result = child.run("lineage_ok")["xcoms"]["shop"]["hevo_result"]
    facet = hevo_facet(complete)
    assert (facet["pipelineId"], facet["action"], facet["jobId"]) == ("8101", "SYNC_NOW", result["job_id"])
    assert (facet["jobType"], facet["status"], facet["outcome"], facet["startedByTask"]) == (
        "INCREMENTAL",
        "COMPLETED",
        "success",
        True,
    )
    assert facet["counts"] == {
        "eventsIngested": 1000,
        "eventsLoaded": 1000,
        "eventsFailed": 0,
        "objectsSuccess": 2,
        "objectsFailed": 0,
        "objectsQueued": 0,
        "objectsSkipped": 0,
    }
    assert (facet["sourceType"], facet["destinationType"]) == ("POSTGRES", "SNOWFLAKE")
    # START (before the deferral, and again when the task resumes) names the pipeline; datasets come at the end
    starts = child.of("lineage_ok", "shop", "START")
    assert starts and all(not e["inputs"] and not e["outputs"] for e in starts)
    assert {hevo_facet(e)["pipelineId"] for e in starts} == {"8101"}


def test_the_polling_mode_and_the_naming_of_mysql_and_bigquery(child):
    (complete,) = child.of("lineage_ok", "crm", "COMPLETE")
    assert names(complete["inputs"]) == [
        ("mysql://crm-db.internal:3306", "crm.accounts"),  # MySQL: database.table
        ("mysql://crm-db.internal:3306", "crm.contacts"),
    ]
    assert names(complete["outputs"]) == [
        ("bigquery", "acme-analytics.hevo_raw.accounts"),  # BigQuery: project.dataset.table
        ("bigquery", "acme-analytics.hevo_raw.contacts"),
    ]


def test_a_saas_source_falls_back_to_a_hevo_namespace(child):
    (complete,) = child.of("lineage_ok", "sfdc", "COMPLETE")
    assert names(complete["inputs"]) == [
        ("hevo://eu/pipelines/8103/source", "Account"),
        ("hevo://eu/pipelines/8103/source", "Opportunity"),
    ]
    assert names(complete["outputs"]) == [
        ("redshift://warehouse.eu-west-1:5439", "analytics.hevo_raw.Account"),
        ("redshift://warehouse.eu-west-1:5439", "analytics.hevo_raw.Opportunity"),
    ]


def test_lineage_costs_one_page_of_objects_and_no_second_read_of_the_pipeline(child, lineage_sim):
    """A sync read its pipeline before the POST (pre-flight) and reuses it, the deferred one across the
    deferral; the sensor made no pre-flight, so the end of its wait reads the pipeline, once."""
    sim, _ = lineage_sim
    for pid, pipeline_reads in ((8101, 1), (8102, 1), (8103, 1), (8107, 2)):
        assert len(requests_of(sim, pid, "/pipelines/{pid}")) == pipeline_reads, pid
        objects = [e for e in sim.request_log if e["path"].endswith("/objects") and e["pipeline_id"] == str(pid)]
        assert len(objects) == 1, pid


def test_completed_with_failures_that_the_task_tolerates_names_the_failing_table(child):
    assert child.run("lineage_bad")["states"] == {"warned": "success", "cwf": "failed", "failed": "failed"}
    (complete,) = child.of("lineage_bad", "warned", "COMPLETE")
    facet = hevo_facet(complete)
    assert (facet["status"], facet["outcome"], facet["failedObjectsCount"]) == (
        "COMPLETED_WITH_FAILURES",
        "completed_with_failures",
        1,
    )
    (failing,) = facet["failedObjects"]
    assert failing["object"] == "shop.sales.refunds" and "expects NUMBER" in failing["error"]
    # every table loaded rows, the failing one fewer
    assert names(complete["outputs"]) == [
        ("databricks://adb-1234.5.azuredatabricks.net", f"main.hevo_raw.{t}") for t in ("invoices", "orders", "refunds")
    ]


def test_completed_with_failures_that_fails_the_task_sends_a_fail_event_naming_the_objects(child):
    assert not child.of("lineage_bad", "cwf", "COMPLETE")
    (fail,) = child.of("lineage_bad", "cwf", "FAIL")
    assert "billing.payments" in fail["run"]["facets"]["errorMessage"]["message"]
    assert "Destination table is locked" in fail["run"]["facets"]["errorMessage"]["message"]
    assert [o["object"] for o in hevo_facet(fail)["failedObjects"]] == ["shop.billing.payments"]
    # no destination config from Hevo: the destination's own hevo:// namespace, by its id
    assert names(fail["outputs"]) == [
        ("hevo://eu/destinations/1", "ANALYTICS.HEVO_RAW.INVOICES"),
        ("hevo://eu/destinations/1", "ANALYTICS.HEVO_RAW.PAYMENTS"),
    ]


def test_a_failed_job_reports_only_the_tables_that_loaded(child):
    (fail,) = child.of("lineage_bad", "failed", "FAIL")
    assert names(fail["inputs"]) == [("s3://acme-landing", "exports/orders"), ("s3://acme-landing", "exports/returns")]
    assert names(fail["outputs"]) == [("postgres://dwh.internal:5432", "dwh.hevo_raw.orders")]  # returns FAILED
    facet = hevo_facet(fail)
    assert (facet["status"], facet["outcome"]) == ("FAILED", "failed")
    assert "Malformed CSV row 17" in fail["run"]["facets"]["errorMessage"]["message"]


def test_the_sensor_reports_the_tables_and_the_start_task_only_the_job(child):
    run = child.run("lineage_split")
    assert run["states"] == {"start": "success", "wait": "success"}
    (started,) = child.of("lineage_split", "start", "COMPLETE")
    assert not started["inputs"] and not started["outputs"]
    job_id = run["xcoms"]["start"]["hevo_job_id"]
    assert (hevo_facet(started)["jobId"], hevo_facet(started)["status"]) == (job_id, "IN_PROGRESS")
    (watched,) = child.of("lineage_split", "wait", "COMPLETE")
    facet = hevo_facet(watched)
    assert (facet["action"], facet["jobId"], facet["startedByTask"], facet["status"]) == (
        "WATCH",
        job_id,
        False,
        "COMPLETED",
    )
    assert names(watched["inputs"]) == [("hevo://eu/pipelines/8107/source", "contacts")]
    assert names(watched["outputs"]) == [("snowflake://acme-prod", "ANALYTICS.HEVO_RAW.CONTACTS")]


def test_loaded_tables_become_assets_and_schedule_a_workflow_on_a_table(child):
    events = child.run("lineage_ok")["asset_events"]
    shop = [e for e in events if e["task_id"] == "shop"]
    assert sorted(e["uri"] for e in shop) == sorted(
        ["hevo://eu/pipelines/8101", ORDERS, "snowflake://acme-prod/ANALYTICS/HEVO_RAW/REFUNDS"]
    )
    (orders,) = [e for e in shop if e["uri"] == ORDERS]
    result = child.run("lineage_ok")["xcoms"]["shop"]["hevo_result"]
    assert orders["extra"] == {
        "hevo_pipeline_id": "8101",
        "hevo_job_id": result["job_id"],
        "hevo_job_status": "COMPLETED",
        "events_loaded": 500,
    }
    assert {e["uri"] for e in events if e["task_id"] == "crm"} >= {"bigquery://acme-analytics/hevo_raw/accounts"}
    # the scheduler would start the workflow scheduled on ORDERS now, not the one on a table nobody loaded
    assert "lineage_on_orders" in child.report["due"]
    assert "lineage_on_never" not in child.report["due"]
    # a failed task's Asset events are dropped by Airflow; the tolerated one emits its tables
    bad = child.run("lineage_bad")["asset_events"]
    assert {e["task_id"] for e in bad} == {"warned"}


def test_the_result_carries_the_lineage_and_the_start_keeps_the_pipeline_without_secrets(child):
    xcoms = child.run("lineage_ok")["xcoms"]["shop"]
    outputs = xcoms["hevo_result"]["lineage"]["outputs"]
    assert [o["uri"] for o in outputs] == [ORDERS, "snowflake://acme-prod/ANALYTICS/HEVO_RAW/REFUNDS"]
    ends = xcoms["hevo_pipeline_ends"]
    assert ends["source"]["location"] == {"host": "shop-db.internal", "port": "5432", "database": "shop"}
    assert ends["destination"]["location"]["account"] == "acme-prod"


def test_lineage_that_cannot_be_read_costs_the_tables_not_the_task(child):
    run = child.run("lineage_degraded")
    assert run["states"] == {"shop": "success"}
    (complete,) = child.of("lineage_degraded", "shop", "COMPLETE")
    assert complete["inputs"] == [] and complete["outputs"] == []
    facet = hevo_facet(complete)
    assert facet["status"] == "COMPLETED" and "HevoNotFound" in facet["lineageError"]
    assert "HevoNotFound" in run["xcoms"]["shop"]["hevo_result"]["lineage"]["error"]
    assert [e["uri"] for e in run["asset_events"]] == ["hevo://eu/pipelines/8108"]  # the pipeline, no tables


def test_events_are_valid_openlineage_and_carry_no_secret(child):
    ours = [e for e in child.events if e["job"]["name"].startswith("lineage_")]
    assert len(ours) >= 20
    assert validation_errors(ours) == []
    for secret in (API_SECRET, SOURCE_PASSWORD):
        assert secret not in child.raw_events
        assert secret not in json.dumps(child.report)
    assert child.report["openlineage_modules"]  # the provider was on: the same probe sees the client loaded
