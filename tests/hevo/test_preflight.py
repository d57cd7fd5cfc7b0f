"""The pre-flight GET of the pipeline before every sync-now/resync POST, with both clients over real
sockets: paused and broken pipelines fail with no POST, settling ones are waited for, Hevo-scheduled
ones get a warning, unknown states and an unreachable pre-flight never block a sync."""

from __future__ import annotations

import logging

import pytest

from hevo_dagfactory.hevo import DiscoveryPolicy, HevoPipelineNotReady
from hevo_dagfactory.hevo.preflight import assess
from hevo_dagfactory.simulator import PipelineScript

QUICK = DiscoveryPolicy(attempts=4, interval_s=0.05)


def _pipeline_gets(sim, pid):
    return [e for e in sim.request_log if e["method"] == "GET" and e["path"].endswith(f"/pipelines/{pid}")]


def _posts(sim, pid):
    return [e for e in sim.request_log if e["method"] == "POST" and e["pipeline_id"] == str(pid)]


@pytest.mark.parametrize("status", ["DISABLED", "DISABLING", "PAUSED"])
@pytest.mark.parametrize("action", ["sync_now", "resync"])
def test_a_paused_pipeline_fails_at_once_without_a_post(hevo_sim, make_client, status, action):
    hevo_sim.sim.add_pipeline(1, PipelineScript(status=status))
    with pytest.raises(HevoPipelineNotReady) as info:
        make_client().start_job(1, action=action)
    text = str(info.value)
    assert status in text and "Resume" in text and "/actions/enable" in text
    assert info.value.pipeline_status == status
    assert _posts(hevo_sim.sim, 1) == [] and len(_pipeline_gets(hevo_sim.sim, 1)) == 1


@pytest.mark.parametrize(
    ("status", "needle"), [("DELETED", "pipeline id"), ("INITIALIZE_FAILED", "fix what it reports")]
)
def test_deleted_or_failed_pipelines_fail_with_what_to_do(hevo_sim, make_client, status, needle):
    hevo_sim.sim.add_pipeline(1, PipelineScript(status=status))
    with pytest.raises(HevoPipelineNotReady, match=needle):
        make_client().start_job(1)
    assert _posts(hevo_sim.sim, 1) == []


def test_a_settling_pipeline_is_waited_for(hevo_sim, make_client):
    """RESTARTING for 0.2 s, then INITIALIZED: the pre-flight looks again, then the sync starts."""
    hevo_sim.sim.add_pipeline(1, PipelineScript(status="RESTARTING", ready_after_s=0.2, job_duration_s=5))
    started = make_client(discovery=DiscoveryPolicy(attempts=40, interval_s=0.05)).start_job(1)
    assert not started.attached and hevo_sim.sim.sync_now_posts(1) == 1
    assert len(_pipeline_gets(hevo_sim.sim, 1)) >= 2


def test_a_pipeline_that_never_settles_fails_after_the_attempts(hevo_sim, make_client):
    hevo_sim.sim.add_pipeline(1, PipelineScript(status="INITIALIZING"))
    with pytest.raises(HevoPipelineNotReady, match="still INITIALIZING"):
        make_client(discovery=QUICK).start_job(1)
    assert len(_pipeline_gets(hevo_sim.sim, 1)) == QUICK.attempts and _posts(hevo_sim.sim, 1) == []


def test_a_hevo_scheduled_pipeline_syncs_with_a_warning(hevo_sim, make_client, caplog):
    hevo_sim.sim.add_pipeline(1, PipelineScript(sync_type="SCHEDULED", frequency_minutes=15, job_duration_s=5))
    with caplog.at_level(logging.WARNING, logger="hevo_dagfactory.hevo.preflight"):
        started = make_client().start_job(1)
    assert not started.attached and hevo_sim.sim.sync_now_posts(1) == 1
    warning = " ".join(r.getMessage() for r in caplog.records)
    assert "scheduled by Hevo (SCHEDULED every 15 minutes)" in warning and "Sync On Demand" in warning


def test_an_unknown_status_passes_through_and_hevo_decides(hevo_sim, make_client, caplog):
    hevo_sim.sim.add_pipeline(1, PipelineScript(status="HIBERNATING"))
    with caplog.at_level(logging.WARNING, logger="hevo_dagfactory.hevo.preflight"):
        with pytest.raises(Exception) as info:
            make_client().start_job(1)
    # we went on: the POST was made, and it is Hevo's own refusal that the user sees
    assert hevo_sim.sim.sync_now_posts(1) == 1 and "HIBERNATING" in str(info.value)
    assert "HIBERNATING" in caplog.text


def test_an_unreachable_pre_flight_does_not_block_the_sync(hevo_sim, make_client, caplog):
    """Every GET of the pipeline answers 503 (the client retries, within the budget); the jobs list
    works. The sync goes on and the log says the check was skipped."""
    hevo_sim.sim.add_pipeline(1, PipelineScript(fail_next=100, faults_on="pipeline", job_duration_s=5))
    with caplog.at_level(logging.WARNING, logger="hevo_dagfactory.hevo.preflight"):
        started = make_client().start_job(1)
    assert not started.attached and hevo_sim.sim.sync_now_posts(1) == 1
    assert len(_pipeline_gets(hevo_sim.sim, 1)) == 4  # FAST_RETRY: 4 attempts, like any GET
    assert "Pre-flight check of Hevo pipeline 1 failed, going on" in caplog.text


def test_attaching_needs_no_pre_flight(hevo_sim, make_client):
    """A running job is attached to without a POST, so the pipeline is not read at all (even if paused)."""
    hevo_sim.sim.add_pipeline(1, PipelineScript(running_job=True, job_duration_s=5, status="DISABLING"))
    started = make_client().start_job(1)
    assert started.attached and _pipeline_gets(hevo_sim.sim, 1) == [] and _posts(hevo_sim.sim, 1) == []


def test_a_retry_that_posts_again_after_a_lost_answer_reads_the_pipeline_once(hevo_sim, make_client):
    hevo_sim.sim.add_pipeline(1, PipelineScript(drop_next=1, faults_on="post", job_duration_s=5))
    make_client().start_job(1)
    assert len(_posts(hevo_sim.sim, 1)) == 2 and len(_pipeline_gets(hevo_sim.sim, 1)) == 1


def test_assess_is_tolerant_of_odd_answers():
    assert assess({}, 1).problem is None
    assert assess("not a dict", 1).problem is None
    assert assess({"status": 7}, 1).status is None
    assert assess({"status": "active"}, 1).notes == ()
    assert assess({"status": "INITIALIZED", "schedule": {"sync_type": "on_demand"}}, 1).scheduled is None
    assert assess({"status": "INITIALIZED", "schedule": "weird"}, 1).scheduled is None
    assert "SCHEDULED" in assess({"status": "INITIALIZED", "schedule": {"sync_type": "SCHEDULED"}}, 1).scheduled
