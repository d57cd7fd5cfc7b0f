"""Faults on the production-shaped stack: a SIGKILLed Celery worker, scheduler and triggerer, a PostgreSQL restart.

Each test faults only what its own DAG's run depends on at that moment and starts again what it killed (as a
process supervisor or Kubernetes would), so the tests after it find the whole cluster.
"""

from __future__ import annotations

import re
import time

import pytest

from hevo_dagfactory.demo.procs import wait_until

from .cluster_helpers import assert_one_sync_now_each, describe, task, wait_run, wait_task_state

pytestmark = [pytest.mark.cluster]

FINISHED = {"COMPLETED", "COMPLETED_WITH_FAILURES", "FAILED", "CANCELLED"}


def _try_numbers(stack, dag_id: str, run_id: str, task_id: str) -> list[int]:
    return [t["try_number"] for t in stack.api.tries(dag_id, run_id, task_id)]


def test_sigkill_of_the_worker_polling_a_sync_retries_and_attaches_to_the_running_job(cluster):
    """``wait: poll`` keeps the worker busy for the whole sync; its crash must not start a second sync."""
    stack, pid = cluster, 920301
    # The job outlasts the heartbeat timeout (60 s), the detection and the retry's start, with room to spare.
    stack.sim.script(pid, job_duration_s=150)
    run_id = stack.api.trigger("cl_poll")
    wait_task_state(stack, "cl_poll", run_id, "sync", {"running"}, timeout=120)
    wait_until(lambda: stack.sim.sync_now_posts(pid) == 1, timeout=60, what="the sync-now of the first try")
    worker = stack.api.task_instance("cl_poll", run_id, "sync")["hostname"]
    assert worker in stack.profile["roles"]["worker"], worker

    stack.procs[worker].kill()  # SIGKILL of the worker's process group: its task process dies with it
    stack.restart(worker)  # ... and its supervisor starts a new one, as Kubernetes would
    watch = wait_run(stack, "cl_poll", run_id, timeout=300)

    assert watch.state == "success", describe(stack, watch)
    tries = stack.api.tries("cl_poll", run_id, "sync")
    assert [(t["try_number"], t["state"]) for t in tries] == [(1, "failed"), (2, "success")], tries
    assert tries[0]["hostname"] == worker
    assert_one_sync_now_each(stack, [pid])
    (job,) = stack.sim.jobs(pid)
    assert stack.api.xcom("cl_poll", run_id, "sync")["job_id"] == job["job_id"]
    retry_log = stack.api.log_text("cl_poll", run_id, "sync", 2)
    attached = re.search(r"Attached to Hevo job (\S+) \((\w+)\)", retry_log)
    assert attached is not None, retry_log[-3000:]
    assert attached.group(1) == job["job_id"]
    assert attached.group(2) not in FINISHED, f"the retry should find the job still running: {attached.group(0)}"


def _triggerer_names(stack) -> dict[int, str]:
    return {int(j["id"]): str(j["hostname"]) for j in stack.api.jobs("TriggererJob")}


def test_sigkill_of_a_scheduler_and_a_triggerer_mid_run_loses_no_run(cluster):
    stack = cluster
    pids = {"sync_a": 920401, "sync_b": 920402, "sync_c": 920403, "sync_d": 920404}
    for pid in pids.values():
        stack.sim.script(pid, job_duration_s=25)
    run_id = stack.api.trigger("cl_ha")
    held = {}
    for task_id in pids:
        wait_task_state(stack, "cl_ha", run_id, task_id, {"deferred"}, timeout=120)
        wait_until(
            lambda t=task_id: (stack.api.task_instance("cl_ha", run_id, t).get("trigger") or {}).get("triggerer_id"),
            timeout=60,
            what=f"a triggerer to pick up the trigger of {task_id}",
        )
        held[task_id] = stack.api.task_instance("cl_ha", run_id, task_id)["trigger"]["triggerer_id"]
    names = _triggerer_names(stack)
    triggerer = names[held["sync_a"]]
    scheduler = stack.profile["roles"]["scheduler"][0]  # both schedule every DAG (HA): either will do
    assert {triggerer, scheduler} <= set(stack.procs), (triggerer, scheduler)

    stack.procs[triggerer].kill()
    stack.procs[scheduler].kill()
    try:
        watch = wait_run(stack, "cl_ha", run_id, timeout=300)
    finally:
        stack.restart(triggerer)
        stack.restart(scheduler)

    assert watch.state == "success", describe(stack, watch)
    assert_one_sync_now_each(stack, list(pids.values()))
    for task_id in pids:
        assert _try_numbers(stack, "cl_ha", run_id, task_id) == [1], task_id
        assert task(watch, task_id)["state"] == "success"
    (survivor,) = set(stack.profile["roles"]["triggerer"]) - {triggerer}
    for task_id, owner in held.items():  # what the killed triggerer held, the other one finished
        if names[owner] == triggerer:
            assert survivor in stack.triggerers_of("cl_ha", run_id, task_id), stack.triggerers_of(
                "cl_ha", run_id, task_id
            )
    stack.wait_cluster_ready()


def test_postgres_restart_mid_run_loses_no_run(cluster, capsys):
    stack = cluster
    pids = {"sync_a": 920501, "sync_b": 920502}
    for pid in pids.values():
        stack.sim.script(pid, job_duration_s=20)
    run_id = stack.api.trigger("cl_pg")
    for task_id in pids:
        wait_task_state(stack, "cl_pg", run_id, task_id, {"deferred"}, timeout=120)

    # Schedulers, triggerers and the dag-processor exit when the database stays away past their retries;
    # production restarts them (Kubernetes, systemd), and so does the supervisor here.
    restarted_before = len(stack.supervisor.restarts)
    with stack.supervisor.watching():
        stack.postgres.restart(down_s=3)
        watch = wait_run(stack, "cl_pg", run_id, timeout=300)
        stack.wait_cluster_ready()

    assert watch.state == "success", describe(stack, watch)
    assert_one_sync_now_each(stack, list(pids.values()))
    for task_id in pids:
        assert _try_numbers(stack, "cl_pg", run_id, task_id) == [1], task_id
    with capsys.disabled():
        restarted = stack.supervisor.restarts[restarted_before:]
        print(f"\nPostgreSQL restart: the supervisor restarted {restarted or 'nothing'} (name, exit code)")
    time.sleep(5)  # what the supervisor started must outlive its block (a late death would show by now)
    dead = [name for name, proc in stack.procs.items() if not proc.alive()]
    assert dead == [], f"components down after the database restart: {dead}; logs in {stack.logs_dir}"
