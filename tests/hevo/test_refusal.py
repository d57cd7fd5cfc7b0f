"""Hevo's "a job is already running" refusal, recognised by its meaning under 409, 500 and 503, and
discovery that never adopts a job our POST cannot have started (a SKIPPED record above all).

Unit tests for the wording matcher; the flows run with both clients over real sockets against the
simulator scripted with each wording.
"""

from __future__ import annotations

import pytest

from hevo_dagfactory.hevo import DiscoveryPolicy, HevoBadRequest, HevoJobInProgress, HevoServerError, Job
from hevo_dagfactory.hevo.discovery import NOT_OURS, OURS, job_in_answer, judge_for
from hevo_dagfactory.hevo.errors import error_for_response
from hevo_dagfactory.hevo.refusal import means_job_in_progress
from hevo_dagfactory.simulator import PipelineScript
from hevo_dagfactory.simulator.script import IN_PROGRESS_MESSAGE, OLD_IN_PROGRESS_MESSAGE

DOCUMENTED = "A job is already in progress for this pipeline"


@pytest.mark.parametrize(
    "body",
    [
        DOCUMENTED,
        OLD_IN_PROGRESS_MESSAGE,
        '{"error": {"code": 409, "message": "A job is already in progress for this pipeline"}}',
        '{"message": "Job already running"}',
        "Another sync is currently running for pipeline 12",
        "There is an in-progress job; cancel it first",
        "Cannot start: a running job exists",
        "Job already triggered",
        "JOB IS IN-PROGRESS",
    ],
)
def test_refusal_is_read_by_meaning(body):
    assert means_job_in_progress(body)


@pytest.mark.parametrize(
    "body",
    [
        "Internal error, please try again later",
        "No job is running for this pipeline",
        "The job is not in progress",
        '{"job_id": "j1", "status": "RUNNING", "type": "INCREMENTAL"}',  # a job in the body is not the refusal
        "Request rate limit exceeded",
        "Pipeline must be in the INITIALIZED state to sync; it is DISABLED",
        "",
        None,
    ],
)
def test_other_answers_are_not_the_refusal(body):
    assert not means_job_in_progress(body)


@pytest.mark.parametrize("status", [409, 500, 503])
def test_the_refusal_is_typed_under_each_status_it_comes_with(status):
    err = error_for_response(status, DOCUMENTED, method="POST", url="https://us.hevodata.com/x", where="w")
    assert isinstance(err, HevoJobInProgress) and err.status == status


def test_the_same_text_under_other_statuses_keeps_its_status_type():
    assert isinstance(error_for_response(400, DOCUMENTED, method="POST", url="https://h/x", where="w"), HevoBadRequest)
    assert isinstance(error_for_response(502, DOCUMENTED, method="POST", url="https://h/x", where="w"), HevoServerError)


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (409, IN_PROGRESS_MESSAGE),
        (500, IN_PROGRESS_MESSAGE),
        (503, IN_PROGRESS_MESSAGE),
        (500, OLD_IN_PROGRESS_MESSAGE),
        (409, "Sync already running for this pipeline"),
    ],
)
def test_a_refused_post_is_never_repeated_and_names_the_running_job(hevo_sim, make_client, status, message):
    """A HISTORICAL job runs (not the type we look for, so the first look does not attach): the POST is
    refused, and the refusal is reported with that job, after exactly one POST."""
    hevo_sim.sim.add_pipeline(
        1,
        PipelineScript(
            running_job="HISTORICAL", in_progress_status=status, in_progress_message=message, job_duration_s=5
        ),
    )
    with pytest.raises(HevoJobInProgress) as info:
        make_client().start_job(1)
    assert info.value.status == status and message in str(info.value)
    assert info.value.job is not None and info.value.job.type == "HISTORICAL"
    assert hevo_sim.sim.sync_now_posts(1) == 1 and len(hevo_sim.sim.jobs(1)) == 1


@pytest.mark.parametrize("status", [409, 500])
def test_a_refusal_by_a_job_not_listed_yet_attaches_to_it(hevo_sim, make_client, status):
    """Hevo's scheduler started a job just before our look; it is not listed yet. The documented refusal
    (under 409 or 500) is not a failed start: we attach to that job, without a second POST."""
    import requests

    hevo_sim.sim.add_pipeline(1, PipelineScript(job_appear_delay_s=0.3, job_duration_s=5, in_progress_status=status))
    requests.post(f"{hevo_sim.url}/api/v1/pipelines/1/actions/sync-now", auth=("test-key", "test-secret"), timeout=5)
    started = make_client(discovery=DiscoveryPolicy(attempts=20, interval_s=0.05)).start_job(1)
    assert started.attached and started.job.job_id == hevo_sim.sim.jobs(1)[0]["job_id"]
    assert hevo_sim.sim.sync_now_posts(1) == 2 and len(hevo_sim.sim.jobs(1)) == 1


# --- discovery never adopts a job our POST cannot have started ------------------------------------
def _job(job_id, status, created, job_type="INCREMENTAL"):
    return Job(job_id=job_id, status=status, type=job_type, created_ts=created)


def test_a_skipped_record_is_never_ours_whenever_it_was_created():
    judge = judge_for([], trigger_ms=10_000, discovery=DiscoveryPolicy())
    assert judge(_job("ours", "IN_PROGRESS", 10_050)) == OURS
    assert judge(_job("s", "SKIPPED", 10_100)) == NOT_OURS
    for status in ("COMPLETED", "FAILED", "CANCELLED", "COMPLETED_WITH_FAILURES", "DEFERRED"):
        assert judge(_job("q", status, 10_100)) == OURS  # a short sync may end before our first look
    assert (
        job_in_answer({"job_id": "s", "type": "INCREMENTAL", "status": "SKIPPED"}, frozenset({"INCREMENTAL"})) is None
    )


def test_discovery_skips_the_skipped_record_of_a_scheduled_run_that_met_our_sync(hevo_sim, make_client):
    """A Hevo-scheduled pipeline: its scheduler runs 0.05 s after our POST, meets our running job and
    records a SKIPPED job, which is listed at once; our own job appears only after 0.5 s. The SKIPPED
    record is newer than our job and created after our trigger, yet never taken: discovery waits for ours."""
    hevo_sim.sim.add_pipeline(
        1,
        PipelineScript(
            sync_type="SCHEDULED",
            scheduled_run_after_post_s=0.05,
            scheduled_appear_delay_s=0.0,
            job_appear_delay_s=0.5,
            job_duration_s=5,
        ),
    )
    started = make_client(discovery=DiscoveryPolicy(attempts=60, interval_s=0.05, skew_ms=5_000)).start_job(1)
    skipped, ours = hevo_sim.sim.jobs(1)
    assert skipped["status"] == "SKIPPED" and skipped["created_ts"] > ours["created_ts"]
    assert started.job.job_id == ours["job_id"] and started.job.status == "IN_PROGRESS" and not started.attached
    post = next(e["time"] for e in hevo_sim.sim.request_log if e["method"] == "POST")
    lists = [e["time"] for e in hevo_sim.sim.request_log if e["path"].endswith("/pipelines/1/jobs")]
    assert any(post + 0.06 <= t < post + 0.45 for t in lists)  # a look saw the SKIPPED record alone
    assert hevo_sim.sim.sync_now_posts(1) == 1
