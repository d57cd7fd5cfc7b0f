"""Workflows delivered by git commits to the Git DAG bundle: a new file, a changed file mid-run, a broken file."""

from __future__ import annotations

import pytest

from hevo_dagfactory.demo.procs import wait_until

from .cluster_helpers import assert_one_sync_now_each, describe, task, wait_run, wait_task_state
from .conftest import WORKFLOWS, workflow

pytestmark = [pytest.mark.cluster]

NEW_PIPELINE = 920101


def test_a_committed_workflow_becomes_a_dag_and_runs_to_success(cluster):
    stack = cluster
    stack.sim.script(NEW_PIPELINE, job_duration_s=3)
    text = workflow("cl_new", f"""
        syncs:
          - {{id: sync, pipeline_id: {NEW_PIPELINE}}}
        steps:
          - id: done
            bash: echo "committed, parsed, run"
    """)  # fmt: skip
    commit = stack.bundle.commit({"cl_new.yaml": text}, "add the cl_new workflow")

    stack.api.wait_for_dags(["cl_new"], timeout=150)
    assert stack.api.dag_versions("cl_new")[-1]["bundle_version"] == commit
    stack.api.unpause("cl_new")
    run_id = stack.api.trigger("cl_new")
    watch = wait_run(stack, "cl_new", run_id)

    assert watch.state == "success", describe(stack, watch)
    assert watch.saw("sync", "deferred"), describe(stack, watch)
    assert stack.api.dag_run("cl_new", run_id)["bundle_version"] == commit
    assert_one_sync_now_each(stack, [NEW_PIPELINE])
    assert stack.api.xcom("cl_new", run_id, "sync")["job_id"] == stack.sim.jobs(NEW_PIPELINE)[0]["job_id"]


def _report_log(stack, run_id: str) -> str:
    return stack.api.log_text("cl_versioned", run_id, "report", 1)


def test_a_run_in_flight_finishes_on_its_own_dag_version_and_the_next_run_uses_the_new_one(cluster):
    stack, pid = cluster, 920201
    # Long enough for the commit's new DAG version to appear while the sync still runs, also on a busy machine
    # (a clean-clone run at load 20+ saw a 30 s job finish first).
    stack.sim.script(pid, job_duration_s=75)
    first = stack.api.trigger("cl_versioned")
    wait_task_state(stack, "cl_versioned", first, "sync", {"deferred"}, timeout=120)
    old_commit = stack.api.dag_run("cl_versioned", first)["bundle_version"]

    changed = WORKFLOWS["cl_versioned"].replace("version-1", "version-2")
    new_commit = stack.bundle.commit({"cl_versioned.yaml": workflow("cl_versioned", changed)}, "cl_versioned v2")
    wait_until(
        lambda: stack.api.dag_versions("cl_versioned")[-1]["bundle_version"] == new_commit,
        timeout=150,
        what="the new DAG version of cl_versioned",
    )
    assert stack.api.task_instance("cl_versioned", first, "sync")["state"] == "deferred", "the commit came too late"

    old = wait_run(stack, "cl_versioned", first)
    assert old.state == "success", describe(stack, old)
    assert stack.api.dag_run("cl_versioned", first)["bundle_version"] == old_commit != new_commit
    assert task(old, "report")["dag_version"]["bundle_version"] == old_commit
    assert "version-1" in _report_log(stack, first) and "version-2" not in _report_log(stack, first)
    assert_one_sync_now_each(stack, [pid])
    assert stack.api.xcom("cl_versioned", first, "sync")["job_id"] == stack.sim.jobs(pid)[0]["job_id"]

    stack.sim.script(pid, job_duration_s=2)  # a new script starts the pipeline's counters afresh
    second = stack.api.trigger("cl_versioned")
    new = wait_run(stack, "cl_versioned", second)
    assert new.state == "success", describe(stack, new)
    assert stack.api.dag_run("cl_versioned", second)["bundle_version"] == new_commit
    assert task(new, "report")["dag_version"]["bundle_version"] == new_commit
    assert "version-2" in _report_log(stack, second)
    assert_one_sync_now_each(stack, [pid])
    assert stack.api.xcom("cl_versioned", second, "sync")["job_id"] == stack.sim.jobs(pid)[0]["job_id"]


BROKEN = "cl_broken.yaml"
BROKEN_TEXT = "dag_id: cl_broken\nschedule: null\nstart_date: 2026-01-01\nsyncs:\n  - id: orders\n    pipeline_idd: 1\n"


def test_a_committed_broken_workflow_shows_its_error_and_every_other_dag_keeps_running(cluster):
    stack, pid = cluster, 920601
    stack.bundle.commit({BROKEN: BROKEN_TEXT}, "a workflow with a typo")
    wait_until(lambda: stack.api.dag("cl_broken") is not None, timeout=150, what="the placeholder DAG cl_broken")

    dag = stack.api.dag("cl_broken")
    assert "config-error" in {t["name"] for t in dag["tags"]}
    description = dag.get("description") or ""
    assert f"{BROKEN}:5:5: missing required key 'pipeline_id'" in description, description
    loader_errors = [e for e in stack.api.import_errors() if "hevo_workflows.py" in str(e.get("filename"))]
    assert loader_errors == [], "an import error on the loader would make every DAG of the bundle stale"
    for dag_id in WORKFLOWS:
        assert stack.api.dag(dag_id)["is_stale"] is False, dag_id

    stack.sim.script(pid, job_duration_s=2)
    run_id = stack.api.trigger("cl_neighbour")
    watch = wait_run(stack, "cl_neighbour", run_id)
    assert watch.state == "success", describe(stack, watch)
    assert_one_sync_now_each(stack, [pid])
