"""Operating features in a real Airflow 3.3 stack: a failure notification delivered, a deadline alert fired,
and two DAGs' syncs of one pipeline run one after the other (``exclusive``).

The stack's ``e2e_slack`` connection points at a local stand-in for Slack's incoming webhook
(``demo.standins.WebhookRecorder``): what it records is what Airflow's ``SlackWebhookNotifier`` sent.
"""

from __future__ import annotations

import pytest

from .e2e_helpers import describe, run_dag

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_a_failed_sync_notifies_slack_with_the_job_and_links(e2e_stack, e2e_slack):
    stack = e2e_stack
    stack.sim.script(910811, job_duration_s=1.0, final_status="FAILED")
    obs = run_dag(stack, "e2e_notify")
    assert obs.watch.state == "failed", describe(obs, stack)

    text = e2e_slack.wait_for("Task failed: e2e_notify / sync", timeout=60)
    (job,) = stack.sim.jobs(910811)
    url = stack.api.xcom("e2e_notify", obs.run_id, "sync", key="hevo_job_url")
    assert f"Run: {obs.run_id}" in text and "Try: 1 of 1" in text
    assert f"Hevo pipeline: 910811, job {job['job_id']}" in text and f"Hevo job: {url}" in text
    assert f"Task log: {stack.api_url}/dags/e2e_notify/runs/" in text and "/tasks/sync" in text
    assert stack.api_secret not in text


def test_a_deadline_alert_fires_while_the_sync_overruns(e2e_stack, e2e_slack):
    """``deadline: {after: 3s}``; the simulated Hevo job takes 20 s: the triggerer sends the alert mid-run."""
    stack = e2e_stack
    stack.sim.script(910812, job_duration_s=20.0)
    run_id = stack.api.trigger("e2e_deadline")
    text = e2e_slack.wait_for("Workflow run has not finished by its deadline: e2e_deadline", timeout=90)
    assert f"Run: {run_id}" in text and "Deadline: within 3s of being queued; it passed at " in text
    assert stack.api.dag_run("e2e_deadline", run_id)["state"] == "running"  # an alert, not a kill
    assert [j["status"] for j in stack.sim.jobs(910812)] == ["IN_PROGRESS"]
    watch = stack.api.wait_for_run("e2e_deadline", run_id, timeout=150)
    assert watch.state == "success"  # the run goes on and ends as it would have


def test_exclusive_syncs_of_one_pipeline_run_one_at_a_time_across_dags(e2e_stack):
    """Both DAGs' syncs of pipeline 910813 are triggered at once; their Hevo jobs run one after the other.

    The pool slot is held from a task's start until its Hevo job finished (deferred included); Airflow frees it
    while the finished task waits to resume, so the second DAG's task may start then, never its job earlier.
    """
    stack = e2e_stack
    stack.api.create_pool(
        "hevo_pipeline_910813", 1, "e2e: one sync of pipeline 910813 at a time", include_deferred=True
    )
    stack.sim.script(910813, job_duration_s=4.0)
    runs = {dag_id: stack.api.trigger(dag_id) for dag_id in ("e2e_exclusive_a", "e2e_exclusive_b")}
    for dag_id, run_id in runs.items():
        watch = stack.api.wait_for_run(dag_id, run_id, timeout=150)
        assert watch.state == "success", (dag_id, watch.seen)
        assert stack.api.task_instance(dag_id, run_id, "sync")["pool"] == "hevo_pipeline_910813"
    # each DAG started a sync of its own (no attaching to the other's running job), and they never overlapped
    jobs = sorted((j["created_ts"], j["updated_ts"]) for j in stack.sim.jobs(910813))
    assert stack.sim.sync_now_posts(910813) == 2 and len(jobs) == 2, jobs
    assert jobs[1][0] >= jobs[0][1], f"the two Hevo jobs overlapped: {jobs}"
