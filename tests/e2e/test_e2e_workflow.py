"""A YAML workflow (sync → dbt → bash) runs to success in a real Airflow, and its sync really deferred."""

from __future__ import annotations

import pytest

from .e2e_helpers import TRIGGER_CLASSPATH, dbt_result, describe, run_dag

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PIPELINE = 910101


def test_workflow_runs_to_success_with_a_deferred_sync(e2e_stack):
    stack = e2e_stack
    stack.sim.script(PIPELINE, job_duration_s=2.5)

    obs = run_dag(stack, "e2e_happy")
    ctx = describe(obs, stack)

    assert obs.watch.state == "success", ctx
    assert {t["task_id"]: t["state"] for t in obs.watch.task_instances} == {
        "sync": "success",
        "dbt_run": "success",
        "done": "success",
    }, ctx

    # DEFERRED, seen three independent ways: the live TI state, the trigger table, the task's own log.
    assert obs.watch.saw("sync", "deferred"), ctx
    sync_triggers = [t for t in obs.triggers if t.task_id == "sync"]
    assert sync_triggers and all(t.classpath == TRIGGER_CLASSPATH for t in sync_triggers), ctx
    assert obs.triggerer_ids("sync"), f"no triggerer ever picked the trigger up; {ctx}"
    log = stack.api.log_text("e2e_happy", obs.run_id, "sync", 1)
    assert "Pausing task as DEFERRED" in log, log[-3000:]
    # ... and resumed on a worker in the same try (no retry): the completion is logged after the deferral.
    assert "completed (status COMPLETED)" in log.split("Pausing task as DEFERRED", 1)[1], log[-3000:]
    assert [t["try_number"] for t in stack.api.tries("e2e_happy", obs.run_id, "sync")] == [1]
    assert stack.db.triggers("e2e_happy") == [], "the trigger row should be gone once the task resumed"

    # Exactly one sync-now, and the task's XCom names the job the simulator ran.
    assert stack.sim.sync_now_posts(PIPELINE) == 1
    jobs = stack.sim.jobs(PIPELINE)
    assert len(jobs) == 1, jobs
    result = stack.api.xcom("e2e_happy", obs.run_id, "sync")
    assert result["job_id"] == jobs[0]["job_id"]
    assert result["status"] == "COMPLETED" and result["outcome"] == "success"
    assert result["pipeline_id"] == PIPELINE

    # The dbt step ran real dbt, once, after the sync: dbt-ol (lineage: true) on the stack's PATH, the workflow's
    # selection and target, into the DAG's own DuckDB file; and dbt-ol's events reached OpenLineage's file transport.
    assert obs.ti("dbt_run")["start_date"] >= obs.ti("sync")["end_date"]
    rendered = stack.api.task_instance("e2e_happy", obs.run_id, "dbt_run")["rendered_fields"]["bash_command"]
    assert rendered.startswith("dbt-ol run --select staging.salesforce+ tag:accounts --target ci "), rendered
    dbt = dbt_result(stack, "e2e_happy", obs.run_id)
    assert dbt is not None and dbt.statuses == {"success": 4}, dbt
    assert set(dbt.models) == {f"ci.{m}" for m in ("stg_salesforce__accounts", "stg_salesforce__opportunities")} | {
        "ci.accounts",
        "ci.account_scores",
    }
    assert dbt.duckdb_files == (str(stack.dbt.warehouse / "e2e_happy.duckdb"),)
    dbt_log = stack.api.log_text("e2e_happy", obs.run_id, "dbt_run", 1)
    assert "Emitted 10 OpenLineage events" in dbt_log, dbt_log[-3000:]
    models_seen = {
        e["job"]["name"].rsplit(".", 1)[-1]
        for e in stack.dbt.lineage_events()
        if e["eventType"] == "COMPLETE" and e["job"]["name"].startswith("e2e_happy.ci.")
    }
    assert models_seen == {"stg_salesforce__accounts", "stg_salesforce__opportunities", "accounts", "account_scores"}
