"""Failing tables: when a job ends FAILED or COMPLETED_WITH_FAILURES, every wait mode names the failing
objects with their error in the task log, the failure message and the ``hevo_result`` XCom (the first
20, and the count), read from the simulator's job objects over real sockets. Best effort: a failure to
read them never changes the task's outcome."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest
from provider_helpers import RecordingTI, make_context

from hevo_dagfactory.provider import HevoJobSensor, HevoPipelineOperator
from hevo_dagfactory.provider import failed_objects as failed_objects_module
from hevo_dagfactory.provider.compat import TaskDeferred
from hevo_dagfactory.provider.results import HevoJobFailed
from hevo_dagfactory.simulator import PipelineScript

TABLES = ["sales.customers", "sales.orders", "sales.refunds"]
ERRORS = {
    "sales.orders": "Failed to load 12 events: column 'amount' expects NUMBER, got VARCHAR",
    "sales.refunds": "Destination table is locked by another process",
}


def failing(pipeline_id, sim, final_status="FAILED", duration=0.3, **script):
    script.setdefault("tables", TABLES)
    script.setdefault("object_errors", ERRORS)
    sim.sim.add_pipeline(pipeline_id, PipelineScript(job_duration_s=duration, final_status=final_status, **script))


def op(pipeline_id, **kwargs):
    kwargs.setdefault("poll_interval", 0.05)
    return HevoPipelineOperator(task_id="sync", pipeline_id=pipeline_id, **kwargs)


def assert_named(result: dict, count: int = 2) -> None:
    assert result["failed_objects_count"] == count and result["failed_objects_complete"] is True
    named = {o["object"]: o for o in result["failed_objects"]}
    assert set(named) == {"shop.sales.orders", "shop.sales.refunds"}
    assert named["shop.sales.orders"]["error"] == ERRORS["sales.orders"]
    assert named["shop.sales.orders"]["destination"] == "ANALYTICS.HEVO_RAW.ORDERS"


def assert_message_names_them(message: str) -> None:
    assert "Failed objects (2)" in message
    assert "shop.sales.orders → ANALYTICS.HEVO_RAW.ORDERS: Failed to load 12 events" in message
    assert "shop.sales.refunds → ANALYTICS.HEVO_RAW.REFUNDS: Destination table is locked" in message


def logged(capsys, caplog) -> str:
    """The task log as a test sees it: Airflow 3's ``self.log`` prints (structlog), 2.11's goes to logging."""
    out = capsys.readouterr()
    return out.out + out.err + caplog.text


async def _first_event(trigger) -> dict:
    gen = trigger.run()
    event = await asyncio.wait_for(gen.__anext__(), 15)
    await gen.aclose()
    return event.payload


def test_deferred_mode_names_the_failing_tables(hevo_conn, pipeline_id, caplog, capsys):
    failing(pipeline_id, hevo_conn)
    ti = RecordingTI()
    o = op(pipeline_id)
    with pytest.raises(TaskDeferred) as info:
        o.execute(make_context(ti))
    event = asyncio.run(_first_event(info.value.trigger))  # the real trigger, polling the simulator
    assert event["status"] == "terminal" and event["job"]["status"] == "FAILED"
    with caplog.at_level(logging.WARNING), pytest.raises(HevoJobFailed) as failed:
        o.execute_complete(make_context(ti), event, **info.value.kwargs)
    assert_message_names_them(str(failed.value))
    assert_named(ti.xcom["hevo_result"])
    log = logged(capsys, caplog)
    assert "2 object(s) failed" in log and ERRORS["sales.refunds"] in log


def test_blocking_poll_names_the_failing_tables(hevo_conn, pipeline_id):
    failing(pipeline_id, hevo_conn)
    ti = RecordingTI()
    with pytest.raises(HevoJobFailed) as failed:
        op(pipeline_id, deferrable=False).execute(make_context(ti))
    assert_message_names_them(str(failed.value))
    assert_named(ti.xcom["hevo_result"])


def test_a_job_that_ended_before_the_wait_names_them_too(hevo_conn, pipeline_id):
    failing(pipeline_id, hevo_conn, duration=0.0)
    ti = RecordingTI()
    with pytest.raises(HevoJobFailed) as failed:
        op(pipeline_id).execute(make_context(ti))  # terminal at start: no deferral
    assert_message_names_them(str(failed.value))
    assert_named(ti.xcom["hevo_result"])


def test_completed_with_failures_under_warn_succeeds_and_still_names_them(hevo_conn, pipeline_id, caplog, capsys):
    failing(pipeline_id, hevo_conn, final_status="COMPLETED_WITH_FAILURES")
    ti = RecordingTI()
    with caplog.at_level(logging.WARNING):
        result = op(pipeline_id, deferrable=False, on_completed_with_failures="warn").execute(make_context(ti))
    assert_named(result)
    assert ti.xcom["hevo_result"] == result
    assert "shop.sales.orders → ANALYTICS.HEVO_RAW.ORDERS" in logged(capsys, caplog)


def test_a_completed_job_reads_no_objects(hevo_conn, pipeline_id):
    hevo_conn.sim.add_pipeline(pipeline_id, PipelineScript(job_duration_s=0.2))
    ti = RecordingTI()
    result = op(pipeline_id, deferrable=False).execute(make_context(ti))
    assert "failed_objects" not in result and ti.xcom["hevo_result"]["status"] == "COMPLETED"
    assert not [e for e in hevo_conn.sim.request_log if e["path"].endswith("/objects")]


def _sensor(pipeline_id, job_id, **kwargs):
    return HevoJobSensor(task_id="wait", pipeline_id=pipeline_id, job_id=job_id, poke_interval=0.1, **kwargs)


def _started_job(hevo_conn, pipeline_id) -> str:
    ti = RecordingTI()
    return op(pipeline_id, wait_for_completion=False).execute(make_context(ti))


def test_sensor_poke_names_the_failing_tables(hevo_conn, pipeline_id):
    failing(pipeline_id, hevo_conn, final_status="COMPLETED_WITH_FAILURES")
    job_id = _started_job(hevo_conn, pipeline_id)
    ti = RecordingTI(task_id="wait")
    with pytest.raises(HevoJobFailed) as failed:
        _sensor(pipeline_id, job_id, timeout=30).execute(make_context(ti))
    assert_message_names_them(str(failed.value))
    assert_named(ti.xcom["hevo_result"])


def test_deferred_sensor_names_the_failing_tables(hevo_conn, pipeline_id):
    failing(pipeline_id, hevo_conn)
    job_id = _started_job(hevo_conn, pipeline_id)
    s = _sensor(pipeline_id, job_id, deferrable=True, timeout=30)
    with pytest.raises(TaskDeferred) as info:
        s.execute(make_context())
    event = asyncio.run(_first_event(info.value.trigger))
    ti = RecordingTI(task_id="wait")
    with pytest.raises(HevoJobFailed) as failed:
        s.execute_complete(make_context(ti), event)
    assert_message_names_them(str(failed.value))
    assert_named(ti.xcom["hevo_result"])


def test_only_the_first_twenty_are_named_with_the_full_count(hevo_conn, pipeline_id):
    tables = [f"raw.t{n:02d}" for n in range(30)]
    errors = {t: f"error of {t}" for t in tables[5:]}  # 25 failing
    failing(pipeline_id, hevo_conn, tables=tables, object_errors=errors)
    ti = RecordingTI()
    with pytest.raises(HevoJobFailed) as failed:
        op(pipeline_id, deferrable=False).execute(make_context(ti))
    result = ti.xcom["hevo_result"]
    assert len(result["failed_objects"]) == 20 and result["failed_objects_count"] == 25
    assert "Failed objects (25)" in str(failed.value) and "and 5 more" in str(failed.value)


def test_a_longer_list_than_is_read_says_so(hevo_conn, pipeline_id, monkeypatch):
    monkeypatch.setattr(failed_objects_module, "MAX_PAGES", 1)  # read one page of 100 objects only
    tables = [f"raw.t{n:03d}" for n in range(150)]
    failing(pipeline_id, hevo_conn, tables=tables, object_errors={"raw.t001": "x", "raw.t149": "y"})
    ti = RecordingTI()
    with pytest.raises(HevoJobFailed):
        op(pipeline_id, deferrable=False).execute(make_context(ti))
    result = ti.xcom["hevo_result"]
    assert result["failed_objects_complete"] is False and result["failed_objects_count"] == 1


@pytest.mark.parametrize(
    ("final_status", "policy", "passes"), [("FAILED", "fail", False), ("COMPLETED_WITH_FAILURES", "succeed", True)]
)
def test_reading_the_objects_failing_never_changes_the_outcome(
    hevo_conn, pipeline_id, caplog, capsys, fast_client_retries, final_status, policy, passes
):
    """Every read of the job's objects answers 503 (the job itself reads fine): the verdict is the same."""
    failing(pipeline_id, hevo_conn, final_status=final_status, fail_next=1000, faults_on="objects")
    ti = RecordingTI()
    o = op(pipeline_id, deferrable=False, on_completed_with_failures=policy)
    with caplog.at_level(logging.WARNING):
        if passes:
            result = o.execute(make_context(ti))
        else:
            with pytest.raises(HevoJobFailed, match=final_status) as failed:
                o.execute(make_context(ti))
            assert "Failed objects" not in str(failed.value)
            result = ti.xcom["hevo_result"]
    assert "failed_objects" not in result and "503" in result["failed_objects_error"]
    assert "the task's outcome does not depend on it" in logged(capsys, caplog)


def test_a_slow_objects_read_is_given_up_at_its_bound(hevo_conn, pipeline_id, monkeypatch, capsys, caplog):
    monkeypatch.setattr(failed_objects_module, "READ_TIMEOUT_S", 0.5)
    failing(pipeline_id, hevo_conn, slow_next=10, delay_s=30, faults_on="objects")
    ti = RecordingTI()
    started = time.monotonic()
    with pytest.raises(HevoJobFailed, match="FAILED"):
        op(pipeline_id, deferrable=False).execute(make_context(ti))
    assert time.monotonic() - started < 15
    assert "no answer within" in ti.xcom["hevo_result"]["failed_objects_error"]
