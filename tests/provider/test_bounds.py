"""Every wait is bounded, and a bound ends with the right cancel (or none): blocking poll, trigger, sensor.

Hevo is made slow (answers 30 s late) or rate limiting (429 with a long Retry-After) through the
simulator over real sockets; the deadline must still be met, because past it nothing cancels the job
(deferred: the framework's backstop fails the task without ``execute_complete``). Elapsed-time
checks here are correctness bounds (seconds against the 30+ s an unbounded call would take), not speed.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta, timezone

import pytest
from provider_helpers import SECRET, RecordingTI, make_context, poll_in_thread, slow_polls_once_polling

from hevo_dagfactory.hevo import EdgeClient
from hevo_dagfactory.provider import HevoJobSensor, HevoJobTrigger, HevoPipelineOperator
from hevo_dagfactory.provider.compat import TaskDeferred
from hevo_dagfactory.provider.results import HevoJobFailed
from hevo_dagfactory.simulator import PipelineScript

try:  # the alarm Airflow wraps execute() in for execution_timeout (test-only import)
    from airflow.sdk.execution_time.timeout import timeout as airflow_timeout
except ImportError:  # Airflow 2.x
    from airflow.utils.timeout import timeout as airflow_timeout


def op(pipeline_id: str, **kwargs) -> HevoPipelineOperator:
    kwargs.setdefault("task_id", "sync")
    kwargs.setdefault("poll_interval", 0.1)
    return HevoPipelineOperator(pipeline_id=pipeline_id, **kwargs)


def job_status(sim, pipeline_id: str) -> str:
    return sim.sim.jobs(pipeline_id)[0]["status"]


def wait_for_status(sim, pipeline_id: str, status: str, within: float = 5.0) -> str:
    end = time.time() + within
    while job_status(sim, pipeline_id) != status and time.time() < end:
        time.sleep(0.05)
    return job_status(sim, pipeline_id)


def start_job(sim, pipeline_id: str, **script) -> str:
    sim.sim.add_pipeline(pipeline_id, PipelineScript(**script))
    with EdgeClient(sim.url, "test-key", SECRET) as client:
        return client.start_job(pipeline_id).job.job_id


# --- blocking poll ------------------------------------------------------------------------------
def test_execution_timeout_mid_poll_cancels_the_job_the_task_started(hevo_conn, pipeline_id):
    """Airflow raises AirflowTaskTimeout inside execute() and calls on_kill only afterwards: the poll
    itself must cancel, and the later on_kill must not cancel twice."""
    hevo_conn.sim.add_pipeline(pipeline_id, PipelineScript(job_duration_s=30))
    o = op(pipeline_id, deferrable=False, timeout=60)  # our own deadline is far: the alarm comes first
    with pytest.raises(HevoJobFailed, match="execution_timeout") as info:
        # 3 s: the start (jobs list, pre-flight GET, POST, discovery) must be over when the alarm comes,
        # also on a loaded machine; the job runs 30 s, so the alarm still lands mid-poll
        with airflow_timeout(3):
            o.execute(make_context())
    o.on_kill()  # what Airflow does next on a timeout
    assert "was cancelled" in str(info.value)
    assert hevo_conn.sim.cancel_posts(pipeline_id) == 1
    assert wait_for_status(hevo_conn, pipeline_id, "CANCELLED") == "CANCELLED"


def test_blocking_poll_meets_its_deadline_while_hevo_answers_slowly(hevo_conn, pipeline_id):
    hevo_conn.sim.add_pipeline(pipeline_id, PipelineScript(job_duration_s=60))
    slow_polls_once_polling(hevo_conn, pipeline_id, delay_s=30)
    started = time.time()
    with pytest.raises(HevoJobFailed, match="did not finish within 2 s") as info:
        op(pipeline_id, deferrable=False, timeout=2).execute(make_context())
    assert time.time() - started < 10, "a slow answer held the poll past its deadline"
    assert "was cancelled" in str(info.value)
    assert hevo_conn.sim.cancel_posts(pipeline_id) == 1
    assert wait_for_status(hevo_conn, pipeline_id, "CANCELLED") == "CANCELLED"


def test_blocking_timeout_leaves_an_attached_foreign_job_running(hevo_conn, pipeline_id):
    hevo_conn.sim.add_pipeline(pipeline_id, PipelineScript(running_job=True, running_job_duration_s=30))
    with pytest.raises(HevoJobFailed, match="left running") as info:
        op(pipeline_id, deferrable=False, timeout=0.5).execute(make_context())
    assert "did not start it" in str(info.value)
    assert hevo_conn.sim.cancel_posts(pipeline_id) == 0 and job_status(hevo_conn, pipeline_id) == "IN_PROGRESS"


def test_worker_kill_cancels_without_a_connection_lookup(hevo_conn, pipeline_id, monkeypatch):
    """on_kill runs in the SIGTERM handler with seconds to spare: the settings were resolved at start."""
    hevo_conn.sim.add_pipeline(pipeline_id, PipelineScript(job_duration_s=30))
    o = op(pipeline_id, deferrable=False, timeout=20)
    thread, errors = poll_in_thread(o)
    monkeypatch.delenv("AIRFLOW_CONN_HEVO_AIRFLOW_CONN_ID")  # a lookup now would fail
    o.on_kill()
    assert hevo_conn.sim.cancel_posts(pipeline_id) == 1
    thread.join(15)
    assert errors and "CANCEL" in str(errors[0])


def test_worker_kill_leaves_an_attached_foreign_job_running(hevo_conn, pipeline_id):
    hevo_conn.sim.add_pipeline(pipeline_id, PipelineScript(running_job=True, running_job_duration_s=2))
    o = op(pipeline_id, deferrable=False, timeout=20)
    thread, _ = poll_in_thread(o)
    o.on_kill()
    assert hevo_conn.sim.cancel_posts(pipeline_id) == 0
    thread.join(15)


def test_execute_complete_timeout_leaves_an_attached_foreign_job_running(hevo_conn, pipeline_id):
    job_id = start_job(hevo_conn, pipeline_id, job_duration_s=30)
    event = {
        "status": "timeout",
        "pipeline_id": pipeline_id,
        "job_id": job_id,
        "job": {"job_id": job_id, "status": "IN_PROGRESS"},
        "message": "deadline",
    }
    with pytest.raises(HevoJobFailed, match="left running") as info:
        op(pipeline_id, timeout=60).execute_complete(make_context(), event, attached=True, owned=False)
    assert "did not start it" in str(info.value) and "within 60 s" in str(info.value)
    assert hevo_conn.sim.cancel_posts(pipeline_id) == 0


def test_execute_complete_of_a_task_deferred_before_ownership_existed(hevo_conn, pipeline_id):
    """Tasks deferred by an older version resume without ``owned``: a job the task started is its own."""
    job_id = start_job(hevo_conn, pipeline_id, job_duration_s=30)
    event = {"status": "timeout", "pipeline_id": pipeline_id, "job_id": job_id, "job": None, "message": "deadline"}
    with pytest.raises(HevoJobFailed, match="was cancelled"):
        op(pipeline_id).execute_complete(make_context(), event, attached=False)
    with pytest.raises(HevoJobFailed, match="left running"):
        op(pipeline_id).execute_complete(make_context(), event, attached=True)
    assert hevo_conn.sim.cancel_posts(pipeline_id) == 1


# --- trigger -------------------------------------------------------------------------------------
async def _first(trigger: HevoJobTrigger, within: float) -> dict:
    return (await asyncio.wait_for(trigger.run().__anext__(), within)).payload


async def test_trigger_deadline_bounds_a_slow_answer(hevo_conn, pipeline_id):
    job_id = start_job(hevo_conn, pipeline_id, job_duration_s=60)
    script = hevo_conn.sim.script(pipeline_id)
    script.delay_s, script.faults_on, script.slow_next = 30, "get", 100
    payload = await _first(HevoJobTrigger(pipeline_id, job_id, deadline=time.time() + 1, poll_interval=0.1), 10)
    assert payload["status"] == "timeout"


async def test_trigger_deadline_bounds_retry_after_waits(hevo_conn, pipeline_id):
    """A 429 with Retry-After: 120 makes the client (and the shared budget) wait 2 minutes; the deadline wins."""
    job_id = start_job(hevo_conn, pipeline_id, job_duration_s=60)
    script = hevo_conn.sim.script(pipeline_id)
    script.retry_after, script.faults_on, script.rate_limit_next = "120", "get", 100
    payload = await _first(HevoJobTrigger(pipeline_id, job_id, deadline=time.time() + 1, poll_interval=0.1), 10)
    assert payload["status"] == "timeout"


async def test_an_unknown_status_is_waited_on_until_the_deadline(hevo_conn, pipeline_id):
    """Unknown statuses count as running (new Hevo states must not fail syncs) and the deadline bounds them."""
    job_id = start_job(hevo_conn, pipeline_id, job_duration_s=0.0, final_status="SOMETHING_NEW")
    payload = await _first(HevoJobTrigger(pipeline_id, job_id, deadline=time.time() + 0.8, poll_interval=0.05), 10)
    assert payload["status"] == "timeout" and payload["job"]["status"] == "SOMETHING_NEW"


# --- sensor --------------------------------------------------------------------------------------
def test_poking_sensor_meets_its_timeout_while_hevo_answers_slowly(hevo_conn, pipeline_id):
    from hevo_dagfactory.provider.compat import AirflowException

    job_id = start_job(hevo_conn, pipeline_id, job_duration_s=60)
    script = hevo_conn.sim.script(pipeline_id)
    script.delay_s, script.faults_on, script.slow_next = 30, "get", 100
    started = time.time()
    with pytest.raises(AirflowException, match="timed out"):  # AirflowSensorTimeout
        HevoJobSensor(task_id="wait", pipeline_id=pipeline_id, job_id=job_id, poke_interval=0.1, timeout=1).execute(
            make_context(RecordingTI(task_id="wait"))
        )
    assert time.time() - started < 10, "a slow answer held the poke past the sensor's timeout"
    assert hevo_conn.sim.cancel_posts(pipeline_id) == 0


def test_deferred_sensor_deadline_counts_from_the_task_start_with_the_7_day_default(hevo_conn, pipeline_id):
    job_id = start_job(hevo_conn, pipeline_id, job_duration_s=30)
    start = datetime.now(timezone.utc) - timedelta(seconds=30)
    with pytest.raises(TaskDeferred) as info:
        HevoJobSensor(task_id="wait", pipeline_id=pipeline_id, job_id=job_id, deferrable=True).execute(
            make_context(RecordingTI(task_id="wait", start_date=start))
        )
    trigger = info.value.trigger
    assert trigger.deadline == pytest.approx(start.timestamp() + 7 * 24 * 3600, abs=0.01)
    assert trigger.cancel_on_kill is False
    with pytest.raises(TaskDeferred) as short:
        HevoJobSensor(
            task_id="wait",
            pipeline_id=pipeline_id,
            job_id=job_id,
            deferrable=True,
            timeout=600,
            execution_timeout=timedelta(seconds=90),
        ).execute(make_context(RecordingTI(task_id="wait", start_date=start)))
    assert short.value.trigger.deadline == pytest.approx(start.timestamp() + 90, abs=0.01)
