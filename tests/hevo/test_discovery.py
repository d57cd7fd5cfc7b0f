"""Job discovery that relies neither on the jobs list's order nor on clocks agreeing, over real sockets
with both clients: oldest-first lists, a scheduled job from just before our POST, Hevo's clock behind
ours, and whose job a running one is after "a job is in progress"."""

from __future__ import annotations

import pytest
import requests

from hevo_dagfactory.hevo import DiscoveryPolicy, HevoJobInProgress, HevoJobNotFound
from hevo_dagfactory.simulator import PipelineScript

#: Test time is compressed: a 0.1 s clock tolerance here plays the default 1 s (the simulator shares
#: our clock, so only the scripted offsets below make the clocks disagree).
POLICY = dict(interval_s=0.02, skew_ms=5_000, tolerance_ms=100)


def _job_lists(sim, pid):
    return [e for e in sim.request_log if e["method"] == "GET" and e["path"].endswith(f"/pipelines/{pid}/jobs")]


#: For a first POST whose answer is lost while its job appears after 0.5 s: the discovery after it
#: (8 looks, ~0.4 s) misses the job, the re-POST is refused, and the search that follows (16 looks)
#: sees the job after a few looks, leaving room for the 8 more a maybe-ours job gets.
REFUSAL_POLICY = DiscoveryPolicy(attempts=8, interval_s=0.05, skew_ms=5_000, tolerance_ms=100)


def _looks_once_listed(sim, pid, delay=0.5):
    """List calls made after the first POST's job became visible (it appears ``delay`` after that POST)."""
    visible = _post_time(sim, pid) + delay + 0.01
    return [e for e in _job_lists(sim, pid) if e["time"] >= visible]


def _post_time(sim, pid):
    return next(e["time"] for e in sim.request_log if e["method"] == "POST" and e["pipeline_id"] == str(pid))


def test_a_scheduled_job_from_just_before_our_post_is_not_adopted(hevo_sim, make_client):
    """Hevo's scheduler started a job 0.2 s before our POST; both appear after 0.3 s, so for 0.2 s the
    list shows only that one. It is inside the skew band, not at/after our trigger: we wait for ours."""
    hevo_sim.sim.add_pipeline(
        1, PipelineScript(job_appear_delay_s=0.3, scheduled_job_before_post_s=0.2, job_duration_s=5)
    )
    started = make_client(discovery=DiscoveryPolicy(attempts=60, **POLICY)).start_job(1)
    ours, scheduled = hevo_sim.sim.jobs(1)
    assert scheduled["created_ts"] < ours["created_ts"] and scheduled["status"] == "COMPLETED"
    assert started.job.job_id == ours["job_id"] and not started.attached
    # the race really happened: a look while only the scheduled job was listed
    alone = [
        e
        for e in _job_lists(hevo_sim.sim, 1)
        if scheduled["created_ts"] / 1000 + 0.3 <= e["time"] < ours["created_ts"] / 1000 + 0.3
    ]
    assert alone


def test_hevo_clock_behind_ours_finds_our_job_after_the_remaining_attempts(hevo_sim, make_client):
    """Hevo's clock 2 s behind: our job looks 2 s older than our trigger (inside the skew band). With no
    better candidate it is taken, but only after the remaining attempts: 4 looks in all."""
    hevo_sim.sim.add_pipeline(1, PipelineScript(clock_offset_s=-2.0, job_duration_s=5))
    started = make_client(discovery=DiscoveryPolicy(attempts=4, **POLICY)).start_job(1)
    assert started.job.job_id == hevo_sim.sim.jobs(1)[0]["job_id"] and not started.attached
    after_post = [e for e in _job_lists(hevo_sim.sim, 1) if e["time"] >= _post_time(hevo_sim.sim, 1)]
    assert len(after_post) == 4


def test_a_job_older_than_the_skew_allowance_is_never_taken(hevo_sim, make_client):
    hevo_sim.sim.add_pipeline(1, PipelineScript(clock_offset_s=-10.0, job_duration_s=5))
    with pytest.raises(HevoJobNotFound):
        make_client(discovery=DiscoveryPolicy(attempts=2, **POLICY)).start_job(1)
    assert hevo_sim.sim.sync_now_posts(1) == 1


def test_discovery_on_an_oldest_first_list_follows_the_cursors(hevo_sim, make_client):
    """25 old jobs listed oldest first: our new job is on page 2 (page size 20)."""
    hevo_sim.sim.add_pipeline(1, PipelineScript(past_jobs=25, jobs_order="oldest_first", job_duration_s=5))
    started = make_client(discovery=DiscoveryPolicy(attempts=3, **POLICY)).start_job(1)
    newest = hevo_sim.sim.jobs(1)[0]
    assert started.job.job_id == newest["job_id"] and not started.attached
    assert len(hevo_sim.sim.jobs(1)) == 26 and hevo_sim.sim.sync_now_posts(1) == 1


def test_if_running_attach_on_an_oldest_first_list_finds_the_running_job_beyond_page_one(hevo_sim, make_client):
    hevo_sim.sim.add_pipeline(
        1, PipelineScript(past_jobs=25, running_job=True, jobs_order="oldest_first", job_duration_s=5)
    )
    started = make_client(discovery=DiscoveryPolicy(attempts=3, **POLICY)).start_job(1)
    assert started.attached and started.job.status == "IN_PROGRESS"
    assert started.job.job_id == hevo_sim.sim.jobs(1)[0]["job_id"]
    assert hevo_sim.sim.sync_now_posts(1) == 0 and len(_job_lists(hevo_sim.sim, 1)) == 2


def test_a_newest_first_list_is_read_one_page_at_a_time(hevo_sim, make_client):
    """The same 25 old jobs newest first: one page answers both the first look and the discovery."""
    hevo_sim.sim.add_pipeline(1, PipelineScript(past_jobs=25, job_duration_s=5))
    started = make_client(discovery=DiscoveryPolicy(attempts=3, **POLICY)).start_job(1)
    assert started.job.job_id == hevo_sim.sim.jobs(1)[0]["job_id"]
    assert len(_job_lists(hevo_sim.sim, 1)) == 2


def test_a_job_that_refused_our_first_post_is_never_ours(hevo_sim, make_client):
    """A job started just before our POST, not listed yet at our first look, refuses the POST. Our POST
    started nothing, so with if_running=fail that is a refusal, not "our" job."""
    hevo_sim.sim.add_pipeline(1, PipelineScript(job_appear_delay_s=0.2, job_duration_s=5))
    requests.post(f"{hevo_sim.url}/api/v1/pipelines/1/actions/sync-now", auth=("test-key", "test-secret"), timeout=5)
    with pytest.raises(HevoJobInProgress) as info:
        make_client(discovery=DiscoveryPolicy(attempts=20, **POLICY)).start_job(1, if_running="fail")
    assert info.value.job.job_id == hevo_sim.sim.jobs(1)[0]["job_id"]
    assert len(hevo_sim.sim.jobs(1)) == 1


def test_after_a_lost_answer_a_running_job_in_the_skew_band_is_ours_after_the_remaining_looks(hevo_sim, make_client):
    """Our first POST started a job but answered 502; the job appears late, the re-POST is refused.
    Hevo's clock is 2 s behind, so the running job is only MAYBE ours: it is taken as ours (no
    if_running=fail refusal) after `attempts` looks found nothing better.

    Timing: the 8 looks after the 502 take 7 x 0.1 s plus the calls, so they end well before the job
    appears at 1.5 s (on a loaded machine 0.5 s was too close: the job showed up during them and was
    taken without the re-POST this test is about); the 16 looks after the refusal reach past 1.5 s."""
    hevo_sim.sim.add_pipeline(
        1, PipelineScript(sync_now_error_after_start=1, job_appear_delay_s=1.5, clock_offset_s=-2.0, job_duration_s=8)
    )
    policy = DiscoveryPolicy(attempts=8, interval_s=0.1, skew_ms=5_000, tolerance_ms=100)
    started = make_client(discovery=policy).start_job(1, if_running="fail")
    assert started.job.job_id == hevo_sim.sim.jobs(1)[0]["job_id"] and not started.attached
    assert hevo_sim.sim.sync_now_posts(1) == 2 and len(hevo_sim.sim.jobs(1)) == 1
    assert len(_looks_once_listed(hevo_sim.sim, 1, delay=1.5)) >= 4  # up to 8 looks from the first sighting on


def test_with_clocks_in_step_a_running_job_after_a_lost_answer_is_ours_at_once(hevo_sim, make_client):
    hevo_sim.sim.add_pipeline(1, PipelineScript(sync_now_error_after_start=1, job_appear_delay_s=0.5, job_duration_s=5))
    started = make_client(discovery=REFUSAL_POLICY).start_job(1, if_running="fail")
    assert started.job.job_id == hevo_sim.sim.jobs(1)[0]["job_id"] and not started.attached
    assert len(_looks_once_listed(hevo_sim.sim, 1)) <= 1  # taken at the first look that listed it


def test_policy_rejects_a_tolerance_wider_than_the_skew():
    with pytest.raises(ValueError, match="tolerance_ms"):
        DiscoveryPolicy(skew_ms=500, tolerance_ms=1000)
