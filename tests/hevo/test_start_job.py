"""start_job over real sockets with both clients: discovery, attach, no duplicate POST, task-retry rules."""

from __future__ import annotations

import time

import pytest

from hevo_dagfactory.hevo import DiscoveryPolicy, HevoJobInProgress, HevoJobNotFound, HevoServerError, JobOutcome
from hevo_dagfactory.simulator import PipelineScript


def _posts(sim, pid):
    return [
        e for e in sim.request_log if e["method"] == "POST" and e["path"].endswith(f"/pipelines/{pid}/actions/sync-now")
    ]


def _run_to_end(sim, pid, script=None, timeout=3.0):
    """Start one job directly on the simulator (as Hevo's scheduler would) and wait until it finished."""
    sim.add_pipeline(pid, script or PipelineScript(job_duration_s=0.0))
    import requests

    requests.post(f"{sim.url}/api/v1/pipelines/{pid}/actions/sync-now", auth=("test-key", "test-secret"), timeout=5)
    deadline = time.monotonic() + timeout
    while sim.jobs(pid)[0]["status"] == "IN_PROGRESS" and time.monotonic() < deadline:
        time.sleep(0.02)
    return sim.jobs(pid)[0]


def test_discovers_the_new_job_without_a_job_id(hevo_sim, make_client):
    hevo_sim.sim.add_pipeline(1, PipelineScript(job_duration_s=5))
    started = make_client().start_job(1)
    assert not started.attached
    assert started.job.job_id == hevo_sim.sim.jobs(1)[0]["job_id"]
    assert started.job.type == "INCREMENTAL" and started.job.outcome is JobOutcome.RUNNING
    assert started.triggered_at_ms <= started.job.created_ts + 5
    assert hevo_sim.sim.sync_now_posts(1) == 1


def test_uses_the_job_id_from_the_answer(hevo_sim, make_client):
    hevo_sim.sim.add_pipeline(1, PipelineScript(return_job_id=True, job_duration_s=5))
    started = make_client().start_job(1)
    job_id = hevo_sim.sim.jobs(1)[0]["job_id"]
    assert started.job.job_id == job_id
    gets = [e["path"] for e in hevo_sim.sim.request_log if e["method"] == "GET"]
    assert gets[-1].endswith(f"/jobs/{job_id}")  # read by id, not guessed from the list


def test_finds_a_job_that_finished_before_the_first_look(hevo_sim, make_client):
    hevo_sim.sim.add_pipeline(1, PipelineScript(job_duration_s=0.0, final_status="FAILED"))
    started = make_client().start_job(1)
    assert started.job.status == "FAILED" and not started.attached


def test_never_takes_an_older_job(hevo_sim, make_client):
    old = _run_to_end(hevo_sim.sim, 1)
    hevo_sim.sim.script(1).job_appear_delay_s = 0.15  # the new job shows up only after a moment
    started = make_client().start_job(1)
    assert started.job.job_id != old["job_id"]
    assert started.job.job_id == hevo_sim.sim.jobs(1)[0]["job_id"]


def test_job_that_never_appears_raises_job_not_found(hevo_sim, make_client):
    hevo_sim.sim.add_pipeline(1, PipelineScript(job_appear_delay_s=30))
    with pytest.raises(HevoJobNotFound) as info:
        make_client(discovery=DiscoveryPolicy(attempts=2, interval_s=0.05)).start_job(1)
    assert "Jobs tab" in str(info.value) and "INCREMENTAL" in str(info.value)
    assert hevo_sim.sim.sync_now_posts(1) == 1


def test_no_duplicate_post_after_a_5xx_when_the_sync_started(hevo_sim, make_client):
    hevo_sim.sim.add_pipeline(1, PipelineScript(sync_now_error_after_start=1, job_duration_s=5))
    started = make_client().start_job(1)
    assert hevo_sim.sim.sync_now_posts(1) == 1
    assert len(hevo_sim.sim.jobs(1)) == 1 and started.job.job_id == hevo_sim.sim.jobs(1)[0]["job_id"]
    assert not started.attached


def test_no_duplicate_post_after_a_timeout_when_the_sync_started(hevo_sim, make_client):
    hevo_sim.sim.add_pipeline(1, PipelineScript(slow_next=1, delay_s=1.0, faults_on="post", job_duration_s=5))
    started = make_client(timeout=0.3).start_job(1)
    assert hevo_sim.sim.sync_now_posts(1) == 1
    assert started.job.job_id == hevo_sim.sim.jobs(1)[0]["job_id"]


def test_no_duplicate_post_after_a_dropped_connection(hevo_sim, make_client):
    # the drop happens before Hevo acts: no job appears, so exactly one re-POST is made
    hevo_sim.sim.add_pipeline(1, PipelineScript(drop_next=1, faults_on="post", job_duration_s=5))
    started = make_client().start_job(1)
    assert len(_posts(hevo_sim.sim, 1)) == 2 and hevo_sim.sim.sync_now_posts(1) == 1
    assert len(hevo_sim.sim.jobs(1)) == 1 and started.job.job_id == hevo_sim.sim.jobs(1)[0]["job_id"]


def test_slow_job_appearance_after_a_5xx_gives_one_job_only(hevo_sim, make_client):
    """The job started but is not listed yet: the re-POST is refused ("in progress") and we attach to ours."""
    hevo_sim.sim.add_pipeline(1, PipelineScript(sync_now_error_after_start=1, job_appear_delay_s=0.5, job_duration_s=5))
    # first discovery looks for ~0.3 s (job still hidden), the "in progress" search for up to ~0.7 s more
    client = make_client(discovery=DiscoveryPolicy(attempts=4, interval_s=0.1, max_posts=2))
    started = client.start_job(1, if_running="fail")
    assert len(hevo_sim.sim.jobs(1)) == 1
    assert started.job.job_id == hevo_sim.sim.jobs(1)[0]["job_id"]
    assert not started.attached  # it is the job our first POST started, so if_running=fail does not apply
    assert hevo_sim.sim.sync_now_posts(1) == 2


def test_gives_up_after_max_posts_when_no_job_appears(hevo_sim, make_client):
    hevo_sim.sim.add_pipeline(1, PipelineScript(fail_next=5, faults_on="post"))
    with pytest.raises(HevoServerError) as info:
        make_client(discovery=DiscoveryPolicy(attempts=2, interval_s=0.01, max_posts=2)).start_job(1)
    assert "no sync is running" in str(info.value)
    assert len(_posts(hevo_sim.sim, 1)) == 2 and hevo_sim.sim.jobs(1) == []


def test_attaches_to_a_running_job(hevo_sim, make_client):
    hevo_sim.sim.add_pipeline(1, PipelineScript(running_job=True, job_duration_s=5))
    started = make_client().start_job(1)
    assert started.attached and started.job.status == "IN_PROGRESS"
    assert started.job.job_id == hevo_sim.sim.jobs(1)[0]["job_id"]
    assert hevo_sim.sim.sync_now_posts(1) == 0


def test_if_running_fail_raises_job_in_progress(hevo_sim, make_client):
    hevo_sim.sim.add_pipeline(1, PipelineScript(running_job=True, job_duration_s=5))
    with pytest.raises(HevoJobInProgress) as info:
        make_client().start_job(1, if_running="fail")
    assert info.value.job.job_id == hevo_sim.sim.jobs(1)[0]["job_id"]
    assert "if_running" in str(info.value)
    assert hevo_sim.sim.sync_now_posts(1) == 0


def test_resync_discovers_the_resync_type(hevo_sim, make_client):
    hevo_sim.sim.add_pipeline(1, PipelineScript(job_duration_s=5))
    started = make_client().start_job(1, action="resync")
    assert started.job.type == "RESYNC_WITH_EVOLVE" and hevo_sim.sim.resync_posts(1) == 1


def test_resync_with_configured_type_spelling(hevo_sim, make_client):
    hevo_sim.sim.add_pipeline(1, PipelineScript(job_duration_s=5, job_type="TRUNCATE_AND_LOAD"))
    client = make_client()
    assert client.start_job(1, action="resync", resync_mode="DROP_AND_LOAD").job.type == "TRUNCATE_AND_LOAD"
    hevo_sim.sim.add_pipeline(2, PipelineScript(job_duration_s=5, job_type="FULL_RELOAD"))
    with pytest.raises(HevoJobNotFound):
        make_client(discovery=DiscoveryPolicy(attempts=2, interval_s=0.01)).start_job(2, action="resync")
    assert client.start_job(2, action="resync", job_type="full_reload").job.type == "FULL_RELOAD"


def test_task_retry_attaches_to_the_running_job_even_if_running_fail(hevo_sim, make_client):
    hevo_sim.sim.add_pipeline(1, PipelineScript(running_job=True, job_duration_s=5))
    started = make_client().start_job(1, if_running="fail", attach_only=True)
    assert started.attached and hevo_sim.sim.sync_now_posts(1) == 0


def test_task_retry_after_a_failed_job_starts_a_new_one(hevo_sim, make_client):
    since = int(time.time() * 1000)
    failed = _run_to_end(hevo_sim.sim, 1, PipelineScript(job_duration_s=0.0, final_status="FAILED"))
    hevo_sim.sim.script(1).final_status = "COMPLETED"
    started = make_client().start_job(1, attach_only=True, since_ms=since)
    assert not started.attached and started.job.job_id != failed["job_id"]
    assert hevo_sim.sim.sync_now_posts(1) == 2


def test_task_retry_adopts_our_earlier_successful_job(hevo_sim, make_client):
    since = int(time.time() * 1000)
    done = _run_to_end(hevo_sim.sim, 1)
    started = make_client().start_job(1, attach_only=True, since_ms=since)
    assert started.attached and started.job.job_id == done["job_id"] and started.job.status == "COMPLETED"
    assert hevo_sim.sim.sync_now_posts(1) == 1  # only the earlier try's POST


def test_bad_if_running_value_is_rejected_before_any_request(hevo_sim, make_client):
    hevo_sim.sim.add_pipeline(1)
    with pytest.raises(ValueError, match="attach"):
        make_client().start_job(1, if_running="wait")
    assert hevo_sim.sim.request_log == []


def test_lost_connections_on_every_post_give_a_transport_error_after_max_posts(hevo_sim, make_client):
    from hevo_dagfactory.hevo import HevoTransportError

    hevo_sim.sim.add_pipeline(1, PipelineScript(drop_next=5, faults_on="post"))
    with pytest.raises(HevoTransportError) as info:
        make_client(discovery=DiscoveryPolicy(attempts=2, interval_s=0.01, max_posts=2)).start_job(1)
    assert info.value.kind == "connection" and "no sync is running" in str(info.value)
    assert len(_posts(hevo_sim.sim, 1)) == 2 and hevo_sim.sim.jobs(1) == []


@pytest.mark.parametrize("answer_status", ["success", "IN_PROGRESS"])
def test_an_answer_with_a_job_id_and_a_status_is_not_taken_for_the_job(hevo_sim, make_client, answer_status):
    """{"job_id": ..., "status": "success"} (or a status without a type) acknowledges the sync; the job
    itself is read by id, so the waiter sees its real status and type."""
    hevo_sim.sim.add_pipeline(1, PipelineScript(return_job_id=True, answer_status=answer_status, job_duration_s=5))
    started = make_client().start_job(1)
    job_id = hevo_sim.sim.jobs(1)[0]["job_id"]
    assert started.job.job_id == job_id and started.job.status == "IN_PROGRESS" and started.job.type == "INCREMENTAL"
    gets = [e["path"] for e in hevo_sim.sim.request_log if e["method"] == "GET"]
    assert gets[-1].endswith(f"/jobs/{job_id}")
