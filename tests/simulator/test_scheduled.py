"""Hevo-scheduled pipelines in the simulator, probed with plain requests (not our client): Hevo's own
scheduler creates jobs without any POST, and a scheduled run that meets a running job is recorded as a
SKIPPED job (Hevo's "Sync Frequency" page).

The scheduler is materialised in time order whenever the pipeline is looked at, each run judged at its
own time, so what the tests see depends on the scripted times, not on when the (loaded) machine looks.
"""

from __future__ import annotations

import itertools
import time

import requests

from hevo_dagfactory.simulator import PipelineScript

AUTH = ("test-key", "test-secret")


def _oldest_first(sim, pid):
    return list(reversed(sim.jobs(pid)))


def _wait_for_jobs(sim, pid, count, timeout=10.0):
    end = time.monotonic() + timeout
    while len(sim.jobs(pid)) < count and time.monotonic() < end:
        time.sleep(0.05)
    return _oldest_first(sim, pid)


def test_a_scheduled_pipeline_reports_its_schedule(hevo_sim):
    hevo_sim.sim.add_pipeline(1, PipelineScript(sync_type="scheduled", frequency_minutes=30))
    hevo_sim.sim.add_pipeline(2)
    one = requests.get(f"{hevo_sim.url}/api/v1/pipelines/1", auth=AUTH, timeout=5).json()
    two = requests.get(f"{hevo_sim.url}/api/v1/pipelines/2", auth=AUTH, timeout=5).json()
    assert one["schedule"] == {"sync_type": "SCHEDULED", "frequency_minutes": 30}
    assert two["schedule"] == {"sync_type": "ON_DEMAND"}


def test_hevo_starts_scheduled_jobs_by_itself(hevo_sim):
    hevo_sim.sim.add_pipeline(
        1, PipelineScript(sync_type="SCHEDULED", schedule_every_s=0.2, schedule_first_s=0.1, job_duration_s=0.05)
    )
    assert hevo_sim.sim.jobs(1) == []  # nothing before the first run
    jobs = _wait_for_jobs(hevo_sim.sim, 1, 3)
    assert len(jobs) >= 3 and {j["type"] for j in jobs} == {"INCREMENTAL"}
    assert all(j["status"] == "COMPLETED" for j in jobs[:2])
    gaps = [(b["created_ts"] - a["created_ts"]) for a, b in itertools.pairwise(jobs)]
    assert all(195 <= g <= 205 for g in gaps)  # one run per period, on Hevo's clock
    assert hevo_sim.sim.sync_now_posts(1) == 0


def test_a_scheduled_run_that_meets_a_running_job_is_recorded_as_skipped(hevo_sim):
    """Runs at 0.1, 0.35, 0.6, 0.85 s; each job runs 0.6 s: the first runs until 0.7 s, so the runs at
    0.35 and 0.6 s meet it and are SKIPPED, the one at 0.85 s starts a job again."""
    hevo_sim.sim.add_pipeline(
        1, PipelineScript(sync_type="SCHEDULED", schedule_every_s=0.25, schedule_first_s=0.1, job_duration_s=0.6)
    )
    jobs = _wait_for_jobs(hevo_sim.sim, 1, 4)[:4]
    assert [j["status"] for j in jobs[:3]] == ["COMPLETED", "SKIPPED", "SKIPPED"]
    assert jobs[3]["status"] in ("IN_PROGRESS", "COMPLETED") and jobs[3]["events_ingested"] >= 0
    skipped = jobs[1]
    assert skipped["type"] == "INCREMENTAL" and skipped["duration"] == 0 and skipped["events_loaded"] == 0


def test_sync_now_while_a_scheduled_job_runs_is_refused(hevo_sim):
    hevo_sim.sim.add_pipeline(
        1,
        PipelineScript(
            sync_type="SCHEDULED", schedule_every_s=60, schedule_first_s=0.05, job_duration_s=30, in_progress_status=409
        ),
    )
    scheduled = _wait_for_jobs(hevo_sim.sim, 1, 1)[0]
    assert scheduled["status"] == "IN_PROGRESS"
    refused = requests.post(f"{hevo_sim.url}/api/v1/pipelines/1/actions/sync-now", auth=AUTH, timeout=5)
    assert refused.status_code == 409 and "in progress" in refused.json()["message"]
    assert len(hevo_sim.sim.jobs(1)) == 1


def test_a_scheduled_run_while_our_sync_runs_is_skipped(hevo_sim):
    """Our POST starts a 30 s job; the scheduled run 0.3 s later meets it and is recorded as SKIPPED."""
    hevo_sim.sim.add_pipeline(
        1, PipelineScript(sync_type="SCHEDULED", schedule_every_s=60, schedule_first_s=0.3, job_duration_s=30)
    )
    assert requests.post(f"{hevo_sim.url}/api/v1/pipelines/1/actions/sync-now", auth=AUTH, timeout=5).ok
    ours, skipped = _wait_for_jobs(hevo_sim.sim, 1, 2)[:2]
    assert ours["status"] == "IN_PROGRESS" and skipped["status"] == "SKIPPED"
    assert skipped["created_ts"] > ours["created_ts"] and skipped["type"] == ours["type"] == "INCREMENTAL"
    assert hevo_sim.sim.sync_now_posts(1) == 1


def test_a_disabled_scheduled_pipeline_runs_nothing_until_enabled(hevo_sim):
    hevo_sim.sim.add_pipeline(
        1, PipelineScript(sync_type="SCHEDULED", status="DISABLED", schedule_every_s=0.1, job_duration_s=0.01)
    )
    time.sleep(0.35)
    assert hevo_sim.sim.jobs(1) == []
    requests.post(f"{hevo_sim.url}/api/v1/pipelines/1/actions/enable", auth=AUTH, timeout=5)
    jobs = _wait_for_jobs(hevo_sim.sim, 1, 1)
    assert jobs and jobs[0]["created_ts"] / 1000 >= time.time() - 1.0  # only runs after the enable


def test_scheduled_pipelines_through_the_admin_endpoint(hevo_sim):
    script = {"sync_type": "SCHEDULED", "schedule_every_s": 0.1, "job_duration_s": 0.01}
    requests.put(f"{hevo_sim.url}/_sim/pipelines/7", json=script, timeout=5).raise_for_status()
    jobs = _wait_for_jobs(hevo_sim.sim, 7, 2)
    assert len(jobs) >= 2
    listed = requests.get(f"{hevo_sim.url}/_sim/pipelines/7/jobs", timeout=5).json()["data"]
    assert len(listed) >= 2


def test_bad_schedule_fields_are_refused():
    import pytest

    for bad in ({"sync_type": "HOURLY"}, {"frequency_minutes": 0}, {"schedule_every_s": 0}):
        with pytest.raises(ValueError):
            PipelineScript.from_dict(bad)
