"""(e) The API secret appears 0 times in every task log, XCom and rendered field of a run."""

from __future__ import annotations

import json

import pytest

from .e2e_helpers import describe, run_dag

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PIPELINE = 910601


def test_api_secret_never_appears_in_logs_xcom_or_rendered_fields(e2e_stack):
    stack = e2e_stack
    secret = stack.api_secret
    assert secret.startswith("E2E-SECRET-") and len(secret) > 40  # distinctive: no accidental match
    stack.sim.script(PIPELINE, job_duration_s=2)

    obs = run_dag(stack, "e2e_secret")
    assert obs.watch.state == "success", describe(obs, stack)
    # The secret was really in use: the simulator only accepts requests signed with it.
    assert stack.sim.sync_now_posts(PIPELINE) == 1

    # Task logs of this run, through the API (what the UI shows) ...
    task_ids = [t["task_id"] for t in obs.watch.task_instances]
    assert sorted(task_ids) == ["dbt_run", "done", "sync"]
    for task_id in task_ids:
        text = stack.api.log_text("e2e_secret", obs.run_id, task_id, 1)
        assert len(text) > 200, f"{task_id}: suspiciously empty log"
        assert text.count(secret) == 0, f"secret in the {task_id} log"

    # ... and every log file on disk: every task of every e2e run so far, plus the component logs.
    files = sorted(p for p in stack.logs_dir.rglob("*") if p.is_file())
    task_files = [p for p in files if "dag_id=e2e_secret" in str(p)]
    assert len(task_files) >= 3, task_files
    leaks = [str(p) for p in files if secret in p.read_text(errors="replace")]
    assert leaks == [], f"secret found in {leaks}"

    # XComs of the run (every key, deserialized) ...
    entries = stack.api.xcom_entries("e2e_secret", obs.run_id)
    assert entries, "the sync task should have pushed its result"
    for entry in entries:
        value = stack.api.xcom("e2e_secret", obs.run_id, entry["task_id"], entry["key"])
        assert secret not in json.dumps(value, default=str), f"secret in XCom {entry['task_id']}/{entry['key']}"
    assert stack.api.xcom("e2e_secret", obs.run_id, "sync")["pipeline_id"] == PIPELINE

    # ... and rendered template fields, both as the API serves them and as stored in the DB.
    for task_id in task_ids:
        rendered = stack.api.task_instance("e2e_secret", obs.run_id, task_id).get("rendered_fields")
        assert secret not in json.dumps(rendered, default=str), f"secret in rendered fields of {task_id}"
    stored = stack.db.rendered_fields("e2e_secret", obs.run_id)
    assert {t for t, _ in stored} == set(task_ids)
    assert any("910601" in fields for _, fields in stored)  # the check reads real rendered content
    assert all(secret not in fields for _, fields in stored)

    # ... and whatever the real dbt run wrote (run_results.json, manifest, dbt.log, the compiled SQL).
    dbt_files = [p for p in stack.dbt.artifacts.glob("dag_id=e2e_secret/**/*") if p.is_file()]
    assert any(p.name == "run_results.json" for p in dbt_files), dbt_files
    assert [str(p) for p in dbt_files if secret in p.read_text(errors="replace")] == []
