"""Fault tests in the real stack: triggerer crash, two triggerers, a failed Hevo job, a timeout."""

from __future__ import annotations

import time

import pytest

from hevo_dagfactory.demo.procs import wait_until

from .e2e_helpers import TRIGGER_CLASSPATH, dbt_result, describe, run_dag

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _ensure_triggerers(stack, count: int) -> None:
    """Exactly ``count`` live triggerer processes, each heartbeating in the metadata DB."""
    live = stack.triggerers.live()
    for proc in live[count:]:
        proc.stop(grace_s=10)
    for _ in range(count - len(live)):
        stack.triggerers.start()
    wait_until(
        lambda: len(stack.db.live_triggerer_ids(max_age_s=6)) >= count,
        timeout=90,
        what=f"{count} live triggerer(s)",
        watch=stack.triggerers.live(),
    )


def test_triggerer_sigkilled_mid_sync_then_replaced(e2e_stack):
    """(a) SIGKILL the triggerer while it runs our trigger; a new one takes over; one sync-now in total."""
    stack, pid = e2e_stack, 910201
    _ensure_triggerers(stack, 1)
    stack.sim.script(pid, job_duration_s=12)
    run_id = stack.api.trigger("e2e_crash")

    held = stack.triggerers.wait_for_trigger("e2e_crash", timeout=90, assigned=True)
    old_owner = held[0].triggerer_id
    assert held[0].classpath == TRIGGER_CLASSPATH
    killed = stack.triggerers.live()
    for proc in killed:
        proc.kill()  # SIGKILL: no clean shutdown, the trigger row keeps pointing at the dead triggerer
    assert not any(p.alive() for p in killed)
    assert stack.sim.jobs(pid)[0]["status"] not in ("COMPLETED", "FAILED"), "the job must still be running"
    new = stack.triggerers.start()

    owners: set[int] = set()

    def sample(_watch):
        owners.update(r.triggerer_id for r in stack.db.triggers("e2e_crash") if r.triggerer_id is not None)

    watch = stack.api.wait_for_run("e2e_crash", run_id, timeout=150, interval=0.4, on_sample=sample)
    states = {t["task_id"]: t["state"] for t in watch.task_instances}
    assert watch.state == "success", f"{states}; seen {watch.seen}; logs in {stack.logs_dir}"
    assert new.alive()
    assert owners - {old_owner}, f"no other triggerer took the trigger over (owners seen: {owners})"
    assert stack.sim.sync_now_posts(pid) == 1
    assert len(stack.sim.jobs(pid)) == 1
    assert [t["try_number"] for t in stack.api.tries("e2e_crash", run_id, "sync")] == [1]
    assert stack.api.xcom("e2e_crash", run_id, "sync")["status"] == "COMPLETED"


def test_two_triggerers_complete_every_sync_exactly_once(e2e_stack):
    """(b) Two triggerers at once (capacity 3 each, four syncs): both work, every sync finishes once."""
    stack = e2e_stack
    pids = {"sync_a": 910301, "sync_b": 910302, "sync_c": 910303, "sync_d": 910304}
    _ensure_triggerers(stack, 2)
    for pid in pids.values():
        stack.sim.script(pid, job_duration_s=8)

    obs = run_dag(stack, "e2e_pair", timeout=150)
    ctx = describe(obs, stack)
    assert obs.watch.state == "success", ctx
    owners = {t.triggerer_id for t in obs.triggers if t.triggerer_id is not None}
    assert len(owners) >= 2, f"the four triggers never spread over two triggerers; {ctx}"
    job_ids = set()
    for task_id, pid in pids.items():
        assert obs.ti(task_id)["state"] == "success", ctx
        assert obs.watch.saw(task_id, "deferred"), ctx
        assert stack.sim.sync_now_posts(pid) == 1, f"{task_id}: {stack.sim.stats()}"
        assert len(stack.sim.jobs(pid)) == 1
        assert [t["try_number"] for t in stack.api.tries("e2e_pair", obs.run_id, task_id)] == [1]
        result = stack.api.xcom("e2e_pair", obs.run_id, task_id)
        assert result["job_id"] == stack.sim.jobs(pid)[0]["job_id"]
        job_ids.add(result["job_id"])
    assert len(job_ids) == 4


def test_failed_hevo_job_fails_the_task_and_skips_dbt(e2e_stack):
    """(c) Hevo reports FAILED: the sync task fails with that status in its log; the dbt step never runs."""
    stack, pid = e2e_stack, 910401
    _ensure_triggerers(stack, 1)
    stack.sim.script(pid, job_duration_s=3, final_status="FAILED")

    obs = run_dag(stack, "e2e_fail")
    ctx = describe(obs, stack)
    assert obs.watch.state == "failed", ctx
    assert obs.ti("sync")["state"] == "failed", ctx
    assert obs.ti("dbt_run")["state"] == "upstream_failed", ctx
    assert obs.watch.saw("sync", "deferred"), ctx
    job_id = stack.sim.jobs(pid)[0]["job_id"]
    log = stack.api.log_text("e2e_fail", obs.run_id, "sync", 1)
    assert "Hevo status FAILED" in log, log[-3000:]
    assert job_id in log, log[-3000:]
    assert dbt_result(stack, "e2e_fail", obs.run_id) is None
    assert stack.sim.sync_now_posts(pid) == 1
    assert stack.sim.cancel_posts(pid) == 0


def test_timeout_cancels_the_hevo_job_and_fails_the_task(e2e_stack):
    """(d) The sync's 4 s timeout passes while the job runs: the job is cancelled in Hevo, the task fails."""
    stack, pid = e2e_stack, 910501
    _ensure_triggerers(stack, 1)
    stack.sim.script(pid, job_duration_s=120)

    started = time.monotonic()
    obs = run_dag(stack, "e2e_timeout", timeout=120)
    ctx = describe(obs, stack)
    assert obs.watch.state == "failed", ctx
    assert obs.ti("sync")["state"] == "failed", ctx
    assert obs.ti("dbt_run")["state"] == "upstream_failed", ctx
    assert time.monotonic() - started < 100, "the 4 s timeout should end the task long before the 120 s job"
    assert stack.sim.cancel_posts(pid) == 1, stack.sim.stats()
    jobs = stack.sim.jobs(pid)
    assert len(jobs) == 1 and jobs[0]["status"] == "CANCELLED", jobs
    log = stack.api.log_text("e2e_timeout", obs.run_id, "sync", 1)
    assert "cancelled" in log.lower(), log[-3000:]
    assert dbt_result(stack, "e2e_timeout", obs.run_id) is None
