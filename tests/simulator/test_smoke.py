"""The simulator answers like Hevo over a real socket (plain requests, no client of ours)."""

from __future__ import annotations

import time

import requests

from hevo_dagfactory.simulator import PipelineScript

AUTH = ("test-key", "test-secret")


def test_sync_now_job_completes_and_is_listed(hevo_sim):
    hevo_sim.sim.add_pipeline(7, PipelineScript(job_duration_s=0.2))
    r = requests.post(f"{hevo_sim.url}/api/v1/pipelines/7/actions/sync-now", auth=AUTH, timeout=5)
    assert r.status_code == 200
    assert "job_id" not in r.json()
    jobs = requests.get(f"{hevo_sim.url}/api/v1/pipelines/7/jobs", auth=AUTH, timeout=5).json()["data"]
    assert [j["status"] for j in jobs] == ["IN_PROGRESS"] and jobs[0]["type"] == "INCREMENTAL"
    time.sleep(0.3)
    job = requests.get(f"{hevo_sim.url}/api/v1/pipelines/7/jobs/{jobs[0]['job_id']}", auth=AUTH, timeout=5).json()
    assert job["status"] == "COMPLETED" and job["events_ingested"] == 1000
    assert hevo_sim.sim.sync_now_posts(7) == 1
