"""Plain calls of both clients against the simulator over real sockets: happy paths and typed errors."""

from __future__ import annotations

import time

import pytest

from hevo_dagfactory.hevo import HevoAuthError, HevoBadRequest, HevoNotFound, HevoServerError, JobOutcome
from hevo_dagfactory.simulator import PipelineScript


def _wait_done(client, pid, job_id, timeout=3.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get_job(pid, job_id)
        if job.outcome.terminal:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} still running after {timeout} s")


def test_get_pipeline(hevo_sim, make_client):
    hevo_sim.sim.add_pipeline(11, PipelineScript(name="orders"))
    data = make_client().get_pipeline(11)
    assert data["id"] == 11 and data["name"] == "orders" and data["status"] == "INITIALIZED"


def test_unknown_pipeline_is_a_typed_404_quoting_hevo(hevo_sim, make_client):
    with pytest.raises(HevoNotFound) as info:
        make_client().get_pipeline(999)
    err = info.value
    assert err.status == 404
    assert "Pipeline with id 999 not found" in str(err)
    assert "region" in str(err) and "hevo_test" in str(err)  # says what to check, and where
    # 404 is not retried: exactly one request reached the server
    assert [e["status"] for e in hevo_sim.sim.request_log] == [404]


def test_bad_credentials_fail_at_once_without_leaking_the_secret(hevo_sim, make_client):
    hevo_sim.sim.add_pipeline(1)
    secret = "s3cr3t-that-must-not-leak"
    with pytest.raises(HevoAuthError) as info:
        make_client(api_secret=secret).get_pipeline(1)
    text = str(info.value) + repr(info.value.__dict__)
    assert secret not in text
    assert "API key" in text and "connection 'hevo_test'" in text
    assert len(hevo_sim.sim.request_log) == 1


def test_job_lifecycle_get_and_list(hevo_sim, make_client):
    hevo_sim.sim.add_pipeline(5, PipelineScript(job_duration_s=0.2, final_status="COMPLETED_WITH_FAILURES"))
    client = make_client()
    assert client.sync_now(5) == {"success": True, "message": "Sync triggered"}
    page = client.list_jobs(5)
    assert len(page.jobs) == 1 and page.jobs[0].status == "IN_PROGRESS" and not page.has_more
    job = _wait_done(client, 5, page.jobs[0].job_id)
    assert job.outcome is JobOutcome.COMPLETED_WITH_FAILURES
    assert job.events_failed == 10 and job.type == "INCREMENTAL" and job.created_ts and job.duration_ms >= 150


def test_list_jobs_pages_with_cursor(hevo_sim, make_client):
    hevo_sim.sim.add_pipeline(6, PipelineScript(job_duration_s=0.0))
    client = make_client()
    for _ in range(5):
        client.sync_now(6)
    first = client.list_jobs(6, limit=2)
    assert len(first.jobs) == 2 and first.has_more and first.next_cursor
    second = client.list_jobs(6, limit=2, cursor=first.next_cursor)
    assert {j.job_id for j in first.jobs}.isdisjoint(j.job_id for j in second.jobs)
    everything = client.iter_jobs(6, page_size=2)
    assert len({j.job_id for j in everything}) == 5
    assert [j["job_id"] for j in hevo_sim.sim.jobs(6)] == [j.job_id for j in everything]  # newest first


def test_cancel_job(hevo_sim, make_client):
    hevo_sim.sim.add_pipeline(8, PipelineScript(job_duration_s=30))
    client = make_client()
    client.sync_now(8)
    job_id = client.list_jobs(8).jobs[0].job_id
    answer = client.cancel_job(8, job_id)
    assert answer["status"] == "CANCELLING"
    job = _wait_done(client, 8, job_id)
    assert job.status == "CANCELLED" and job.outcome is JobOutcome.FAILED
    assert hevo_sim.sim.cancel_posts(8) == 1


def test_disable_enable_and_state_check(hevo_sim, make_client):
    hevo_sim.sim.add_pipeline(9)
    client = make_client()
    client.disable_pipeline(9)
    assert client.get_pipeline(9)["status"] == "DISABLED"
    with pytest.raises(HevoBadRequest) as info:
        client.sync_now(9)
    assert "INITIALIZED" in str(info.value)
    client.enable_pipeline(9)
    client.sync_now(9)
    assert hevo_sim.sim.sync_now_posts(9) == 2  # the refused one was still received


def test_resync_modes_reach_hevo(hevo_sim, make_client):
    hevo_sim.sim.add_pipeline(10, PipelineScript(job_duration_s=0.0))
    client = make_client()
    client.resync(10, "DROP_AND_LOAD")
    assert hevo_sim.sim.jobs(10)[0]["type"] == "RESYNC_WITH_DROP_AND_LOAD"
    with pytest.raises(ValueError, match="EVOLVE_AND_MERGE"):
        client.resync(10, "REPLACE")


def test_classic_run_now_is_fire_and_forget(hevo_sim, make_client):
    hevo_sim.sim.add_pipeline(12)
    assert make_client().run_now_classic(12) == {"success": True}
    assert hevo_sim.sim.run_now_posts(12) == 1


def test_post_is_not_repeated_after_a_5xx(hevo_sim, make_client):
    hevo_sim.sim.add_pipeline(13, PipelineScript(fail_next=1, faults_on="post"))
    with pytest.raises(HevoServerError) as info:
        make_client().sync_now(13)
    assert info.value.status == 503 and "Internal error" in str(info.value)
    posts = [e for e in hevo_sim.sim.request_log if e["method"] == "POST"]
    assert len(posts) == 1


def test_post_is_not_repeated_after_a_timeout(hevo_sim, make_client):
    from hevo_dagfactory.hevo import HevoTransportError

    hevo_sim.sim.add_pipeline(14, PipelineScript(slow_next=1, delay_s=1.0, faults_on="post"))
    with pytest.raises(HevoTransportError) as info:
        make_client(timeout=0.3).sync_now(14)
    assert info.value.kind == "timeout"
    assert hevo_sim.sim.sync_now_posts(14) == 1  # it did start a job; a blind retry would start a second
    assert len([e for e in hevo_sim.sim.request_log if e["method"] == "POST"]) == 1
