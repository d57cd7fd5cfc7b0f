"""HevoPipelineOperator branches, called directly against the simulator (the full cycle is in test_dag_runs.py)."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from provider_helpers import SECRET, RecordingTI, make_context, poll_in_thread

from hevo_dagfactory.hevo import EdgeClient
from hevo_dagfactory.provider import HevoJobTrigger, HevoPipelineOperator
from hevo_dagfactory.provider.compat import TaskDeferred
from hevo_dagfactory.provider.operators.pipeline import DEFAULT_TIMEOUT_S, DEFER_BACKSTOP_S
from hevo_dagfactory.provider.results import HevoJobFailed
from hevo_dagfactory.simulator import PipelineScript


def op(pipeline_id: str, **kwargs) -> HevoPipelineOperator:
    kwargs.setdefault("task_id", "sync")
    kwargs.setdefault("poll_interval", 0.05)
    return HevoPipelineOperator(pipeline_id=pipeline_id, **kwargs)


def add(sim, pipeline_id: str, **script) -> None:
    sim.sim.add_pipeline(pipeline_id, PipelineScript(**script))


def defer(operator: HevoPipelineOperator, ti: RecordingTI | None = None) -> TaskDeferred:
    with pytest.raises(TaskDeferred) as info:
        operator.execute(make_context(ti))
    return info.value


# --- construction -----------------------------------------------------------------------------
def test_parameters_are_normalised():
    o = op(
        "1",
        action="resync",
        resync_mode="drop_and_load",
        if_running="FAIL",
        poll_interval=timedelta(seconds=30),
        timeout=timedelta(minutes=5),
    )
    assert (o.action, o.resync_mode, o.if_running, o.poll_interval, o.timeout) == (
        "RESYNC",
        "DROP_AND_LOAD",
        "fail",
        30.0,
        300.0,
    )
    assert op("1", accept_completed_with_failures=True).on_completed_with_failures == "succeed"
    assert op("1").on_completed_with_failures == "fail"
    assert (
        op("1", accept_completed_with_failures=True, on_completed_with_failures="warn").on_completed_with_failures
        == "warn"
    )


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"action": "SYNC_LATER"}, "action"),
        ({"resync_mode": "merge"}, "resync_mode"),
        ({"if_running": "wait"}, "if_running"),
        ({"on_completed_with_failures": "ignore"}, "on_completed_with_failures"),
        ({"poll_interval": 0}, "poll_interval"),
        ({"timeout": "1h"}, "timeout"),
        ({"retry_limit": 0}, "retry_limit"),
    ],
)
def test_bad_parameters_say_what_is_allowed(kwargs, needle):
    with pytest.raises(ValueError, match=needle):
        op("1", **kwargs)


def test_pipeline_id_is_required():
    with pytest.raises(ValueError, match="pipeline_id"):
        op("")


# --- deferral -----------------------------------------------------------------------------------
def test_defers_with_trigger_arguments_and_deadline(hevo_conn, pipeline_id):
    add(hevo_conn, pipeline_id, job_duration_s=30)
    start = datetime.now(timezone.utc) - timedelta(seconds=10)
    ti = RecordingTI(start_date=start)
    o = op(pipeline_id, timeout=600, execution_timeout=timedelta(seconds=120), poll_interval=7)
    deferred = defer(o, ti)
    trigger = deferred.trigger
    assert isinstance(trigger, HevoJobTrigger)
    _, kwargs = trigger.serialize()
    job_id = ti.xcom["hevo_job_id"]
    assert kwargs["pipeline_id"] == pipeline_id and kwargs["job_id"] == job_id
    assert kwargs["connection_id"] == "hevo_airflow_conn_id"
    assert kwargs["poll_interval"] == 7 and kwargs["cancel_on_kill"] is True
    # deadline = task start + min(timeout, execution_timeout), as an absolute epoch
    assert kwargs["deadline"] == pytest.approx(start.timestamp() + 120, abs=0.01)
    assert deferred.method_name == "execute_complete"
    assert deferred.kwargs == {"attached": False, "owned": True}
    # the framework timeout is only a backstop behind our deadline
    expected = kwargs["deadline"] - time.time() + DEFER_BACKSTOP_S
    assert deferred.timeout.total_seconds() == pytest.approx(expected, abs=2)
    # the link works while deferred, and nothing leaks the secret
    assert ti.xcom["hevo_job_url"].endswith(f"/pipelines/{pipeline_id}/jobs/{job_id}")
    assert SECRET not in json.dumps(ti.xcom) and SECRET not in repr(trigger)
    assert hevo_conn.sim.sync_now_posts(pipeline_id) == 1


def test_no_limits_means_the_seven_day_default(hevo_conn, pipeline_id):
    """Nothing waits forever (an unknown status counts as running): 7 days unless the user says otherwise."""
    add(hevo_conn, pipeline_id, job_duration_s=30)
    start = datetime.now(timezone.utc)
    deferred = defer(op(pipeline_id), RecordingTI(start_date=start))
    assert DEFAULT_TIMEOUT_S == 7 * 24 * 3600
    assert deferred.trigger.deadline == pytest.approx(start.timestamp() + DEFAULT_TIMEOUT_S, abs=0.01)
    assert deferred.timeout.total_seconds() == pytest.approx(DEFAULT_TIMEOUT_S + DEFER_BACKSTOP_S, abs=5)
    # the user's timeout overrides the default, in both directions
    longer = defer(op(pipeline_id, timeout=timedelta(days=30)), RecordingTI(start_date=start))
    assert longer.trigger.deadline == pytest.approx(start.timestamp() + 30 * 86400, abs=0.01)


def test_timeout_smaller_than_execution_timeout_wins(hevo_conn, pipeline_id):
    add(hevo_conn, pipeline_id, job_duration_s=30)
    start = datetime.now(timezone.utc)
    deferred = defer(
        op(pipeline_id, timeout=timedelta(seconds=45), execution_timeout=timedelta(hours=1)),
        RecordingTI(start_date=start),
    )
    assert deferred.trigger.deadline == pytest.approx(start.timestamp() + 45, abs=0.01)


def test_resync_posts_resync(hevo_conn, pipeline_id):
    add(hevo_conn, pipeline_id, job_duration_s=30)
    defer(op(pipeline_id, action="resync"))
    assert hevo_conn.sim.resync_posts(pipeline_id) == 1 and hevo_conn.sim.sync_now_posts(pipeline_id) == 0


# --- retries and running jobs ---------------------------------------------------------------------
def test_retry_attaches_instead_of_starting_a_second_sync(hevo_conn, pipeline_id):
    add(hevo_conn, pipeline_id, job_duration_s=30)
    first = defer(op(pipeline_id), RecordingTI(try_number=1))
    second = defer(op(pipeline_id, if_running="fail"), RecordingTI(try_number=2))
    assert second.trigger.job_id == first.trigger.job_id
    # adopted from an earlier execution of this task instance (created during this DAG run): ours to cancel
    assert second.kwargs == {"attached": True, "owned": True} and second.trigger.cancel_on_kill is True
    assert hevo_conn.sim.sync_now_posts(pipeline_id) == 1


def test_restart_within_a_try_adopts_the_job_it_already_started(hevo_conn, pipeline_id):
    """Airflow 3 re-runs execute() with the same try number after a start-up reschedule (DAG not found
    while resuming from deferral); the job the first execution started must be adopted, not doubled."""
    add(hevo_conn, pipeline_id, job_duration_s=0.2)
    start = datetime.now(timezone.utc) - timedelta(seconds=5)
    first = defer(op(pipeline_id), RecordingTI(try_number=1, start_date=start))
    deadline = time.time() + 10
    while hevo_conn.sim.jobs(pipeline_id)[0]["status"] != "COMPLETED" and time.time() < deadline:
        time.sleep(0.05)
    restarted = RecordingTI(try_number=1, start_date=start)
    restarted._ti_context_from_server = SimpleNamespace(task_reschedule_count=1)
    result = op(pipeline_id).execute(make_context(restarted))
    assert result["job_id"] == first.trigger.job_id and result["attached"] is True
    assert hevo_conn.sim.sync_now_posts(pipeline_id) == 1


def test_a_first_start_is_not_taken_for_a_restart(hevo_conn, pipeline_id):
    """Without a reschedule on record, try 1 starts its own sync even when an older job completed."""
    add(hevo_conn, pipeline_id, job_duration_s=0.2)
    defer(op(pipeline_id))
    fresh = RecordingTI(try_number=1)
    fresh._ti_context_from_server = SimpleNamespace(task_reschedule_count=0)
    time.sleep(0.5)
    defer(op(pipeline_id), fresh)
    assert hevo_conn.sim.sync_now_posts(pipeline_id) == 2


def test_if_running_attach_waits_for_the_running_job(hevo_conn, pipeline_id):
    add(hevo_conn, pipeline_id, running_job=True, running_job_duration_s=30)
    deferred = defer(op(pipeline_id))
    # a job this task did not start: never cancelled by its timeout or kill
    assert deferred.kwargs == {"attached": True, "owned": False} and deferred.trigger.cancel_on_kill is False
    assert hevo_conn.sim.sync_now_posts(pipeline_id) == 0


@pytest.mark.parametrize("kwargs", [{"if_running": "fail"}, {"ensure_new_job": True}])
def test_if_running_fail_refuses_with_a_clear_message(hevo_conn, pipeline_id, kwargs):
    add(hevo_conn, pipeline_id, running_job=True, running_job_duration_s=30)
    with pytest.raises(HevoJobFailed, match="already") as info:
        op(pipeline_id, **kwargs).execute(make_context())
    assert "attach" in str(info.value)
    assert hevo_conn.sim.sync_now_posts(pipeline_id) == 0


def test_start_errors_are_clear_and_secret_free(hevo_conn, pipeline_id):
    # no such pipeline in the simulator: 404
    with pytest.raises(HevoJobFailed) as info:
        op(pipeline_id).execute(make_context())
    message = str(info.value)
    assert "404" in message and pipeline_id in message and SECRET not in message


def test_missing_connection_says_how_to_create_it(hevo_sim, pipeline_id, monkeypatch):
    monkeypatch.delenv("AIRFLOW_CONN_HEVO_AIRFLOW_CONN_ID", raising=False)
    with pytest.raises(Exception, match="airflow connections add hevo_airflow_conn_id"):
        op(pipeline_id).execute(make_context())


# --- no wait and blocking poll --------------------------------------------------------------------
def test_no_wait_returns_the_job_id_at_once(hevo_conn, pipeline_id):
    """The seed's contract: the return value is the job id (HevoJobSensor(job_id=...) takes it as is)."""
    add(hevo_conn, pipeline_id, job_duration_s=30)
    ti = RecordingTI()
    job_id = op(pipeline_id, wait_for_completion=False).execute(make_context(ti))
    assert isinstance(job_id, str) and job_id == ti.xcom["hevo_job_id"]
    result = ti.xcom["hevo_result"]  # the structured result, under its own key
    assert result["job_id"] == job_id and result["status"] == "IN_PROGRESS"
    assert result["outcome"] == "running" and result["attached"] is False and result["owned"] is True


@pytest.mark.parametrize(
    ("final_status", "policy", "passes"),
    [
        ("COMPLETED", None, True),
        ("FAILED", None, False),
        ("COMPLETED_WITH_FAILURES", "fail", False),
        ("COMPLETED_WITH_FAILURES", "warn", True),
        ("COMPLETED_WITH_FAILURES", "succeed", True),
    ],
)
def test_blocking_poll_applies_the_policy(hevo_conn, pipeline_id, final_status, policy, passes):
    add(hevo_conn, pipeline_id, job_duration_s=0.3, final_status=final_status)
    o = op(pipeline_id, deferrable=False, on_completed_with_failures=policy)
    if passes:
        result = o.execute(make_context())
        assert result["status"] == final_status and result["events_ingested"] == 1000
        assert result["duration_s"] is not None
    else:
        with pytest.raises(HevoJobFailed, match=final_status):
            o.execute(make_context())


def test_blocking_poll_cancels_on_deadline(hevo_conn, pipeline_id):
    add(hevo_conn, pipeline_id, job_duration_s=30)
    started = time.time()
    with pytest.raises(HevoJobFailed, match="did not finish within 1 s") as info:
        op(pipeline_id, deferrable=False, timeout=1, poll_interval=5).execute(make_context())
    assert time.time() - started < 5
    assert "cancelled" in str(info.value)
    assert hevo_conn.sim.cancel_posts(pipeline_id) == 1


# --- execute_complete for every event ------------------------------------------------------------
def _job(pipeline_id: str, sim, **script) -> str:
    add(sim, pipeline_id, **script)
    with EdgeClient(sim.url, "test-key", SECRET) as client:
        return client.start_job(pipeline_id).job.job_id


def _terminal(pipeline_id, job_id, status):
    outcome = {"COMPLETED": "success", "COMPLETED_WITH_FAILURES": "completed_with_failures"}.get(status, "failed")
    return {
        "status": "terminal",
        "outcome": outcome,
        "pipeline_id": pipeline_id,
        "job_id": job_id,
        "job": {
            "job_id": job_id,
            "status": status,
            "type": "INCREMENTAL",
            "duration_ms": 1500,
            "events_ingested": 10,
            "events_failed": 2,
        },
        "message": "",
    }


@pytest.mark.parametrize(
    ("status", "policy", "passes"),
    [
        ("COMPLETED", "fail", True),
        ("FAILED", "succeed", False),
        ("CANCELLED", "succeed", False),
        ("COMPLETED_WITH_FAILURES", "fail", False),
        ("COMPLETED_WITH_FAILURES", "warn", True),
        ("COMPLETED_WITH_FAILURES", "succeed", True),
    ],
)
def test_execute_complete_terminal(hevo_conn, pipeline_id, status, policy, passes):
    o = op(pipeline_id, on_completed_with_failures=policy)
    event = _terminal(pipeline_id, "j-1", status)
    if passes:
        result = o.execute_complete(make_context(), event, attached=True)
        assert result["status"] == status and result["attached"] is True
        assert result["duration_s"] == 1.5 and result["events_failed"] == 2
        assert result["job_url"].startswith(hevo_conn.url)
    else:
        with pytest.raises(HevoJobFailed) as info:
            o.execute_complete(make_context(), event)
        assert status in str(info.value) and "clear this task" in str(info.value)


def test_execute_complete_timeout_cancels_the_job(hevo_conn, pipeline_id):
    job_id = _job(pipeline_id, hevo_conn, job_duration_s=30)
    event = {
        "status": "timeout",
        "pipeline_id": pipeline_id,
        "job_id": job_id,
        "job": {"job_id": job_id, "status": "IN_PROGRESS"},
        "message": "deadline",
    }
    with pytest.raises(HevoJobFailed, match="did not finish within 60 s") as info:
        op(pipeline_id, timeout=60).execute_complete(make_context(), event)
    assert "IN_PROGRESS" in str(info.value) and "was cancelled" in str(info.value)
    assert hevo_conn.sim.cancel_posts(pipeline_id) == 1


def test_execute_complete_error_rechecks_and_accepts_a_finished_job(hevo_conn, pipeline_id):
    job_id = _job(pipeline_id, hevo_conn, job_duration_s=0.0)
    event = {
        "status": "error",
        "pipeline_id": pipeline_id,
        "job_id": job_id,
        "job": None,
        "message": "network down",
        "error_status": None,
    }
    result = op(pipeline_id).execute_complete(make_context(), event)
    assert result["status"] == "COMPLETED"


def test_execute_complete_error_with_running_job_fails_and_leaves_it_running(hevo_conn, pipeline_id):
    job_id = _job(pipeline_id, hevo_conn, job_duration_s=30)
    event = {
        "status": "error",
        "pipeline_id": pipeline_id,
        "job_id": job_id,
        "job": None,
        "message": "HTTP 403 permission denied",
        "error_status": 403,
    }
    with pytest.raises(HevoJobFailed, match="left running") as info:
        op(pipeline_id).execute_complete(make_context(), event)
    assert "IN_PROGRESS" in str(info.value) and "403" in str(info.value)
    assert hevo_conn.sim.cancel_posts(pipeline_id) == 0


@pytest.mark.parametrize(
    "event", [None, {}, {"status": "surprise", "job_id": "x"}, {"status": "terminal", "job": None}]
)
def test_execute_complete_fails_closed_on_unknown_events(hevo_conn, pipeline_id, event):
    _job(pipeline_id, hevo_conn, job_duration_s=30)
    ti = RecordingTI()
    ti.xcom["hevo_job_id"] = "x"
    with pytest.raises(HevoJobFailed):
        op(pipeline_id).execute_complete(make_context(ti), event)


def test_worker_kill_cancels_the_job_in_blocking_mode(hevo_conn, pipeline_id):
    add(hevo_conn, pipeline_id, job_duration_s=30)
    o = op(pipeline_id, deferrable=False, poll_interval=0.1, timeout=20)
    thread, errors = poll_in_thread(o)  # the poll ends once Hevo reports the job cancelled
    o.on_kill()
    assert hevo_conn.sim.cancel_posts(pipeline_id) == 1
    thread.join(15)
    assert not thread.is_alive()
    assert errors and "CANCEL" in str(errors[0])
