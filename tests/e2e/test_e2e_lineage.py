"""A real Airflow's OpenLineage events of three syncs: success, completed with failures (tolerated), failed.

The stack's processes write OpenLineage's file transport (the same file dbt-ol writes, demo/dbtsetup.py); with
Airflow's OpenLineage provider installed in the stack's interpreter, the sync tasks' own events land there.
The deferred syncs resume on a worker of the stack, so this is the listener calling the operator's hooks
after a real resume, in a real worker process.
"""

from __future__ import annotations

import pytest

from tests.lineage.olschema import validation_errors

from .e2e_helpers import describe, run_dag

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
pytest.importorskip("airflow.providers.openlineage", reason="needs apache-airflow-providers-openlineage")


def test_sync_tasks_report_their_tables_in_a_real_airflow(e2e_stack):
    stack = e2e_stack
    stack.sim.script(910801, job_duration_s=2.0, tables=["public.orders"])
    stack.sim.script(
        910802,
        final_status="COMPLETED_WITH_FAILURES",
        tables=["public.a", "public.b"],
        object_errors={"public.b": "boom"},
    )
    stack.sim.script(910803, final_status="FAILED", tables=["public.c"], object_errors={"public.c": "bang"})

    obs = run_dag(stack, "e2e_lineage")
    states = {t["task_id"]: t["state"] for t in obs.watch.task_instances}
    assert states == {"ok": "success", "warned": "success", "failed": "failed"}, describe(obs, stack)

    events = [e for e in stack.dbt.lineage_events() if e["job"]["name"].startswith("e2e_lineage.")]
    by_task = {(e["job"]["name"].split(".", 1)[1], e["eventType"]): e for e in events}
    ok = by_task["ok", "COMPLETE"]
    assert [(d["namespace"], d["name"]) for d in ok["inputs"]] == [
        ("postgres://shop-db.internal:5432", "shop.public.orders")
    ]
    assert [(d["namespace"], d["name"]) for d in ok["outputs"]] == [
        ("snowflake://acme-prod", "ANALYTICS.HEVO_RAW.ORDERS")
    ]
    assert ok["run"]["facets"]["hevoJob"]["jobId"] == stack.api.xcom("e2e_lineage", obs.run_id, "ok")["job_id"]
    warned = by_task["warned", "COMPLETE"]["run"]["facets"]["hevoJob"]
    assert [o["object"] for o in warned["failedObjects"]] == ["shop.public.b"]
    # The task's own FAIL event names the failing object. (On Airflow 3.3.2 the scheduler may add a FAIL event of
    # its own, "Executor ... reported that the task instance ... finished", when it meets the task's end first.)
    fails = [e for e in events if e["job"]["name"] == "e2e_lineage.failed" and e["eventType"] == "FAIL"]
    from_task = [e for e in fails if "bang" in e["run"]["facets"].get("errorMessage", {}).get("message", "")]
    assert len(from_task) == 1 and from_task[0]["outputs"] == [], fails
    assert validation_errors(events) == []
    assert stack.api_secret not in stack.dbt.lineage_file.read_text()
