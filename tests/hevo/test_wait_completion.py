"""Wait-only: a job of the type that completes after a reference time, on pipelines Hevo schedules itself.

Both clients (``make_client``: sync and async) against the simulator's Hevo-scheduled pipelines over
real sockets. Nothing is ever POSTed. Times are scripted: the simulator materialises each scheduled
run at its own time, so what a look sees does not depend on when a loaded machine looks.
"""

from __future__ import annotations

import time

import pytest

from hevo_dagfactory.hevo import DiscoveryPolicy
from hevo_dagfactory.hevo.completion import ended_ms, iso
from hevo_dagfactory.hevo.wait import WaitPolicy
from hevo_dagfactory.simulator import PipelineScript

FAST = WaitPolicy(poll_interval=0.1, max_poll_interval=0.3)


def scheduled(**script) -> PipelineScript:
    """A pipeline on Hevo's own schedule: first run ``schedule_first_s`` from now, then every minute."""
    script.setdefault("schedule_every_s", 60)
    script.setdefault("job_duration_s", 0.2)
    return PipelineScript(sync_type="SCHEDULED", **script)


def now_ms() -> int:
    return int(time.time() * 1000)


def posts(sim, pid) -> int:
    return sum(1 for e in sim.request_log if e["pipeline_id"] == str(pid) and e["method"] == "POST")


def test_a_scheduled_job_completing_after_the_reference_ends_the_wait(make_client, hevo_sim):
    hevo_sim.sim.add_pipeline(1, scheduled(schedule_first_s=0.4))
    ref = now_ms()
    result = make_client().wait_for_completion(1, ref, deadline=time.time() + 20, policy=FAST)
    assert result.end == "terminal" and result.job.status == "COMPLETED" and result.outcome.value == "success"
    assert result.job.created_ts >= ref and result.job.type == "INCREMENTAL"
    assert posts(hevo_sim.sim, 1) == 0, "a wait-only sync starts nothing"


def test_jobs_that_ended_before_the_reference_do_not_count(make_client, hevo_sim):
    hevo_sim.sim.add_pipeline(1, scheduled(past_jobs=3, schedule_first_s=0.6))
    ref = now_ms()
    old = {j["job_id"] for j in hevo_sim.sim.jobs(1)}
    result = make_client().wait_for_completion(1, ref, deadline=time.time() + 20, policy=FAST)
    assert result.end == "terminal" and result.job.job_id not in old and result.job.created_ts >= ref


def test_a_reference_in_the_past_takes_a_job_that_already_completed_after_it(make_client, hevo_sim):
    """A late or backfilled run: the past jobs ended 1.5, 2.5 and 3.5 minutes ago; the reference is 3 minutes
    ago, so one look finds the jobs that ended after it and succeeds with the newest."""
    hevo_sim.sim.add_pipeline(1, scheduled(past_jobs=3, schedule_first_s=600))
    ref = now_ms() - 180_000
    result = make_client().wait_for_completion(1, ref, deadline=time.time() + 20, policy=FAST)
    assert result.end == "terminal" and ended_ms(result.job) >= ref
    assert result.job.job_id == hevo_sim.sim.jobs(1)[0]["job_id"]  # the newest
    gets = [e for e in hevo_sim.sim.request_log if e["pipeline_id"] == "1"]
    assert len(gets) == 1


def test_a_skipped_record_is_not_a_completion(make_client, hevo_sim):
    """A run of Hevo's scheduler that meets a running job is recorded as SKIPPED (and classified failed):
    it neither ends the wait as a success nor fails it; the job that was running counts once it completes."""
    hevo_sim.sim.add_pipeline(1, scheduled(running_job=True, running_job_duration_s=1.2, schedule_first_s=0.3))
    ref = now_ms()
    result = make_client().wait_for_completion(1, ref, deadline=time.time() + 20, policy=FAST)
    statuses = [j["status"] for j in hevo_sim.sim.jobs(1)]
    assert "SKIPPED" in statuses
    assert result.end == "terminal" and result.job.status == "COMPLETED"
    assert result.job.created_ts < ref <= ended_ms(result.job)  # running at the reference, done after it


def test_a_failed_job_after_the_reference_ends_the_wait_at_once(make_client, hevo_sim):
    hevo_sim.sim.add_pipeline(1, scheduled(schedule_first_s=0.3, final_status="FAILED"))
    started = time.time()
    result = make_client().wait_for_completion(1, now_ms(), deadline=time.time() + 60, policy=FAST)
    assert result.end == "terminal" and result.job.status == "FAILED" and result.outcome.value == "failed"
    assert time.time() - started < 30, "the failure must not wait for the deadline"


@pytest.mark.parametrize(("accept", "outcome"), [(False, "completed_with_failures"), (True, "completed_with_failures")])
def test_completed_with_failures_ends_the_wait_either_way(make_client, hevo_sim, accept, outcome):
    """Accepted, it is the completion; not accepted, it is the failure the verdict reports (rules 2 and 3)."""
    hevo_sim.sim.add_pipeline(1, scheduled(schedule_first_s=0.3, final_status="COMPLETED_WITH_FAILURES"))
    result = make_client().wait_for_completion(
        1, now_ms(), accept_completed_with_failures=accept, deadline=time.time() + 20, policy=FAST
    )
    assert result.end == "terminal" and result.outcome.value == outcome


def test_a_completion_wins_over_a_later_failure(make_client, hevo_sim):
    """Data up to the reference landed with the first job; a later failure is the next run's problem."""
    hevo_sim.sim.add_pipeline(1, scheduled(schedule_first_s=0.1, schedule_every_s=1.0, job_duration_s=0.1))
    ref = now_ms()
    time.sleep(0.3)
    assert [j["status"] for j in hevo_sim.sim.jobs(1)] == ["COMPLETED"]  # the run at 0.1 s, materialised now
    hevo_sim.sim.script(1).final_status = "FAILED"  # every later run fails
    time.sleep(1.1)
    assert [j["status"] for j in hevo_sim.sim.jobs(1)][:2] == ["FAILED", "COMPLETED"]  # the run at 1.1 s
    result = make_client().wait_for_completion(1, ref, deadline=time.time() + 10, policy=FAST)
    assert result.end == "terminal" and result.job.status == "COMPLETED"


def test_no_job_ever_comes_times_out_and_says_what_it_saw(make_client, hevo_sim):
    hevo_sim.sim.add_pipeline(1, scheduled(past_jobs=1, schedule_first_s=600))
    ref = now_ms()
    result = make_client().wait_for_completion(1, ref, deadline=time.time() + 1.0, policy=FAST)
    assert result.end == "timeout" and result.job is None
    assert f"completed after {iso(ref)} before the deadline" in result.message
    assert "no job ran after it (the newest seen: job" in result.message
    hevo_sim.sim.add_pipeline(2, PipelineScript())  # on demand, never ran
    result = make_client().wait_for_completion(2, ref, deadline=time.time() + 0.5, policy=FAST)
    assert result.end == "timeout" and "no job of that type was seen at all" in result.message


def test_an_unordered_jobs_list_is_paged_to_the_end(make_client, hevo_sim):
    """Oldest-first, 25 past jobs, page size 20: the new job is on the second page."""
    hevo_sim.sim.add_pipeline(1, scheduled(past_jobs=25, jobs_order="oldest_first", schedule_first_s=0.3))
    ref = now_ms()
    client = make_client(discovery=DiscoveryPolicy(page_size=20, max_pages=5))
    result = client.wait_for_completion(1, ref, deadline=time.time() + 20, policy=FAST)
    assert result.end == "terminal" and result.job.created_ts >= ref
    lists = [e for e in hevo_sim.sim.request_log if e["path"] == "/api/v1/pipelines/1/jobs"]
    assert len(lists) >= 2  # every look read both pages: the order says nothing


def test_the_job_type_can_be_named(make_client, hevo_sim):
    """Scheduled runs are INCREMENTAL; a wait for another type ignores them."""
    hevo_sim.sim.add_pipeline(1, scheduled(schedule_first_s=0.2))
    result = make_client().wait_for_completion(
        1, now_ms(), job_type="resync_with_evolve", deadline=time.time() + 1.0, policy=FAST
    )
    assert result.end == "timeout" and "RESYNC_WITH_EVOLVE job of pipeline 1" in result.message
