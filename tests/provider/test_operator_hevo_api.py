"""HevoPipelineOperator against what the real Hevo API does (issue 13): the pre-flight check, the
documented "already in progress" refusal, the resync body fallback and new regions, over real sockets
against the simulator."""

from __future__ import annotations

import json

import pytest
from provider_helpers import CONN_ENV, RecordingTI, conn_json, make_context

from hevo_dagfactory.provider import HevoPipelineOperator
from hevo_dagfactory.provider.compat import TaskDeferred
from hevo_dagfactory.provider.results import HevoJobFailed
from hevo_dagfactory.simulator import PipelineScript


def op(pipeline_id, **kwargs):
    kwargs.setdefault("poll_interval", 0.05)
    return HevoPipelineOperator(task_id="sync", pipeline_id=pipeline_id, **kwargs)


@pytest.mark.parametrize("status", ["DISABLED", "PAUSED"])
def test_a_paused_pipeline_fails_the_task_before_any_post(hevo_conn, pipeline_id, status):
    hevo_conn.sim.add_pipeline(pipeline_id, PipelineScript(status=status))
    with pytest.raises(HevoJobFailed) as info:
        op(pipeline_id).execute(make_context())
    text = str(info.value)
    assert f"Could not start SYNC_NOW of Hevo pipeline {pipeline_id}" in text and status in text
    assert "Resume it in the Hevo UI" in text and "test-secret" not in text
    assert hevo_conn.sim.sync_now_posts(pipeline_id) == 0


def test_a_task_retry_that_attaches_skips_the_pre_flight(hevo_conn, pipeline_id):
    """A retry finds its earlier job running: it attaches with no POST and no pipeline read at all."""
    hevo_conn.sim.add_pipeline(pipeline_id, PipelineScript(running_job=True, job_duration_s=30, status="DISABLING"))
    with pytest.raises(TaskDeferred):
        op(pipeline_id).execute(make_context(RecordingTI(try_number=2, max_tries=2)))
    reads = [e for e in hevo_conn.sim.request_log if e["path"].endswith(f"/pipelines/{pipeline_id}")]
    assert reads == [] and hevo_conn.sim.sync_now_posts(pipeline_id) == 0


def test_the_documented_refusal_attaches_instead_of_failing(hevo_conn, pipeline_id):
    """A job Hevo started just before us is not listed yet; the 409 "already in progress" refusal makes
    the task wait for that job (not its own, so never cancelled), with one POST."""
    import requests

    hevo_conn.sim.add_pipeline(pipeline_id, PipelineScript(job_appear_delay_s=0.3, job_duration_s=30))
    requests.post(
        f"{hevo_conn.url}/api/v1/pipelines/{pipeline_id}/actions/sync-now", auth=("test-key", "test-secret"), timeout=5
    )
    ti = RecordingTI()
    with pytest.raises(TaskDeferred) as info:
        op(pipeline_id).execute(make_context(ti))
    assert info.value.kwargs == {"attached": True, "owned": False}
    assert ti.xcom["hevo_job_id"] == hevo_conn.sim.jobs(pipeline_id)[0]["job_id"]
    assert hevo_conn.sim.sync_now_posts(pipeline_id) == 2 and len(hevo_conn.sim.jobs(pipeline_id)) == 1


def test_a_resync_keeps_drop_and_load_in_the_other_body_shape(hevo_conn, pipeline_id):
    hevo_conn.sim.add_pipeline(pipeline_id, PipelineScript(job_duration_s=30, resync_body="drop_and_load"))
    ti = RecordingTI()
    with pytest.raises(TaskDeferred):
        op(pipeline_id, action="RESYNC", resync_mode="DROP_AND_LOAD").execute(make_context(ti))
    assert hevo_conn.sim.resync_bodies(pipeline_id) == [{"resync_mode": "DROP_AND_LOAD"}, {"drop_and_load": True}]
    assert hevo_conn.sim.jobs(pipeline_id)[0]["type"] == "RESYNC_WITH_DROP_AND_LOAD"


def test_an_operator_region_reaches_the_hook(monkeypatch):
    monkeypatch.setenv(CONN_ENV, json.dumps({"conn_type": "hevo", "login": "k", "password": "s"}))
    assert op("1", region="us-gcp")._hook().settings().base_url == "https://us-gcp.hevodata.com"
    assert op("1", region="me-central")._hook().settings().base_url == "https://me-central.hevodata.com"


def test_the_seed_connection_still_works_with_the_pre_flight(hevo_sim, pipeline_id, monkeypatch):
    monkeypatch.setenv(CONN_ENV, conn_json(hevo_sim.url))
    hevo_sim.sim.add_pipeline(pipeline_id, PipelineScript(job_duration_s=0.2))
    result = op(pipeline_id, deferrable=False).execute(make_context())
    assert result["status"] == "COMPLETED" and hevo_sim.sim.sync_now_posts(pipeline_id) == 1
