"""Contract tests against the real Hevo Edge API (marker ``live``).

They run only when HEVO_API_KEY, HEVO_API_SECRET, HEVO_REGION and HEVO_TEST_PIPELINE_ID are set, and
check that what the simulator mimics is what Hevo does: shapes of pipeline (the pre-flight's status and
schedule), jobs page and job, job objects and pipeline objects, typed 404 and 401, and the wording of
the "already in progress" refusal. Starting a sync costs events, so those tests also need
HEVO_LIVE_TRIGGER=1.
Run: ``HEVO_API_KEY=... HEVO_API_SECRET=... HEVO_REGION=us HEVO_TEST_PIPELINE_ID=123 pytest -m live tests/hevo``.
"""

from __future__ import annotations

import asyncio
import os

import pytest

from hevo_dagfactory.hevo import (
    AsyncEdgeClient,
    EdgeClient,
    HevoAuthError,
    HevoJobInProgress,
    HevoNotFound,
    JobOutcome,
    ObjectPage,
    base_url,
)
from hevo_dagfactory.hevo.preflight import READY_STATUSES, assess, pipeline_status
from hevo_dagfactory.hevo.refusal import means_job_in_progress

NEEDED = ("HEVO_API_KEY", "HEVO_API_SECRET", "HEVO_REGION", "HEVO_TEST_PIPELINE_ID")
pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(not all(os.environ.get(n) for n in NEEDED), reason="live Hevo tests need " + ", ".join(NEEDED)),
]


@pytest.fixture
def live():
    url = (
        base_url(region=os.environ["HEVO_REGION"])
        if "://" not in os.environ["HEVO_REGION"]
        else os.environ["HEVO_REGION"]
    )
    return url, os.environ["HEVO_API_KEY"], os.environ["HEVO_API_SECRET"], os.environ["HEVO_TEST_PIPELINE_ID"]


def test_live_pipeline_and_jobs_shapes(live):
    url, key, secret, pid = live
    with EdgeClient(url, key, secret, rate_per_minute=30) as client:
        pipeline = client.get_pipeline(pid)
        assert str(pipeline["id"]) == str(pid) and "status" in pipeline
        page = client.list_jobs(pid, limit=5)
        assert isinstance(page.has_more, bool)
        if page.jobs:
            job = client.get_job(pid, page.jobs[0].job_id)
            assert job.job_id == page.jobs[0].job_id and job.created_ts and job.type
            assert isinstance(job.outcome, JobOutcome)


def test_live_async_client_reads_the_same(live):
    url, key, secret, pid = live

    async def main():
        async with AsyncEdgeClient(url, key, secret, rate_per_minute=30) as client:
            return await client.get_pipeline(pid)

    assert str(asyncio.run(main())["id"]) == str(pid)


def test_live_unknown_pipeline_is_404(live):
    url, key, secret, _ = live
    with EdgeClient(url, key, secret, rate_per_minute=30) as client, pytest.raises(HevoNotFound):
        client.get_pipeline("999999999")


def test_live_bad_secret_is_401_and_not_leaked(live):
    url, key, _, pid = live
    with EdgeClient(url, key, "definitely-wrong-secret", rate_per_minute=30) as client:
        with pytest.raises(HevoAuthError) as info:
            client.get_pipeline(pid)
    assert "definitely-wrong-secret" not in str(info.value)


@pytest.mark.skipif(os.environ.get("HEVO_LIVE_TRIGGER") != "1", reason="set HEVO_LIVE_TRIGGER=1 to start a real sync")
def test_live_start_job_finds_its_job(live):
    url, key, secret, pid = live
    with EdgeClient(url, key, secret, rate_per_minute=30) as client:
        started = client.start_job(pid, if_running="attach")
        assert started.job.job_id and started.job.type_key == "INCREMENTAL"


def test_live_pre_flight_reads_a_status_and_a_schedule(live):
    """The pre-flight's GET: a status we know (warned about otherwise) and the schedule block it reads."""
    url, key, secret, pid = live
    with EdgeClient(url, key, secret, rate_per_minute=30) as client:
        pipeline = client.get_pipeline(pid)
    status = pipeline_status(pipeline)
    assert status is not None, f"no status in the pipeline answer: {sorted(pipeline)}"
    verdict = assess(pipeline, pid)
    print(f"pipeline {pid}: status {status}, schedule {pipeline.get('schedule')!r}, problem {verdict.problem!r}")
    assert isinstance(pipeline.get("schedule"), dict) and pipeline["schedule"].get("sync_type")
    assert status in READY_STATUSES or verdict.problem or verdict.notes


def test_live_job_objects_and_pipeline_objects(live):
    url, key, secret, pid = live
    with EdgeClient(url, key, secret, rate_per_minute=30) as client:
        objects = client.list_pipeline_objects(pid, limit=5)
        assert isinstance(objects, ObjectPage)
        for obj in objects.objects:
            assert obj.object_id and obj.source and obj.source.table, obj.raw
        page = client.list_jobs(pid, limit=5)
        if not page.jobs:
            pytest.skip("the pipeline has no job yet")
        job_objects = client.list_job_objects(pid, page.jobs[0].job_id, limit=5)
        for obj in job_objects.objects:
            print(f"job object: {obj.raw}")  # the shape is undocumented: the log shows what Hevo sends
            assert obj.label and obj.status, obj.raw


@pytest.mark.skipif(os.environ.get("HEVO_LIVE_TRIGGER") != "1", reason="set HEVO_LIVE_TRIGGER=1 to start a real sync")
def test_live_a_second_sync_now_is_refused_in_words_we_recognise(live):
    """Start (or attach to) a sync, then POST sync-now again while it runs: Hevo refuses it, and the
    refusal is recognised by its meaning (whatever the status: 409, 500 or 503)."""
    url, key, secret, pid = live
    with EdgeClient(url, key, secret, rate_per_minute=30) as client:
        started = client.start_job(pid, if_running="attach")
        if client.get_job(pid, started.job.job_id).outcome.terminal:
            pytest.skip("the sync ended before a second one could be tried")
        with pytest.raises(HevoJobInProgress) as info:
            client.sync_now(pid)
    print(f"refusal: HTTP {info.value.status}: {info.value.body}")
    assert info.value.status in (409, 500, 503) and means_job_in_progress(info.value.body)
