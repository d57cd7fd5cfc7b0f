"""HevoPipelineOperator(action="WAIT"): start nothing, wait for a job Hevo runs on its own schedule.

Against the simulator's Hevo-scheduled pipelines over real sockets: deferred (execute → the real
trigger → execute_complete), polled from the worker, and the whole defer → trigger → resume cycle
through ``dag.test()`` with the Asset emitted. No test may see a POST: a wait-only task starts nothing.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime, timedelta, timezone

import pytest
from provider_helpers import SECRET, RecordingTI, make_context
from sim_steer import schedule_after_first_look

from hevo_dagfactory.provider import HevoJobTrigger, HevoPipelineOperator
from hevo_dagfactory.provider.compat import TaskDeferred
from hevo_dagfactory.provider.operators.waitonly import reference_ms
from hevo_dagfactory.provider.results import HevoJobFailed
from hevo_dagfactory.simulator import PipelineScript


def scheduled(**script) -> PipelineScript:
    script.setdefault("schedule_every_s", 60)
    script.setdefault("job_duration_s", 0.3)
    return PipelineScript(sync_type="SCHEDULED", **script)


def waiter(pipeline_id: str, **kwargs) -> HevoPipelineOperator:
    kwargs.setdefault("task_id", "crm")
    kwargs.setdefault("poll_interval", 0.1)
    kwargs.setdefault("timeout", 60)
    return HevoPipelineOperator(pipeline_id=pipeline_id, action="wait", **kwargs)


class Run:
    """The bits of a DAG run the reference reads: the data interval end, else when the run was created."""

    def __init__(self, end: datetime | None = None, run_after: datetime | None = None) -> None:
        self.start_date = datetime.now(timezone.utc)
        self.data_interval_end = end
        self.run_after = run_after or self.start_date


def context_at(end: datetime | None = None) -> dict:
    context = make_context(RecordingTI(task_id="crm"))
    context["dag_run"] = Run(end)
    context["data_interval_end"] = end
    return context


def posts(sim, pipeline_id: str) -> int:
    return sum(1 for e in sim.request_log if e["pipeline_id"] == pipeline_id and e["method"] == "POST")


def run_deferred(o: HevoPipelineOperator, context: dict, seen: list | None = None) -> dict:
    """execute → TaskDeferred → the trigger's one event → execute_complete, as the framework does.

    ``seen`` collects the TaskDeferred, for a look at the trigger's arguments."""
    with pytest.raises(TaskDeferred) as info:
        o.execute(context)
    deferred = info.value
    if seen is not None:
        seen.append(deferred)
    event = asyncio.run(asyncio.wait_for(deferred.trigger.run().__anext__(), 30)).payload
    json.dumps(event)
    assert SECRET not in json.dumps(event)
    return getattr(o, deferred.method_name)(context, event, **(deferred.kwargs or {}))


# --- construction and the reference time ------------------------------------------------------------
def test_wait_parameters_are_checked():
    assert waiter("1").action == "WAIT" and "completed_after" in HevoPipelineOperator.template_fields
    with pytest.raises(ValueError, match="wait_for_completion=False would do nothing"):
        waiter("1", wait_for_completion=False)
    with pytest.raises(ValueError, match="completed_after applies to action WAIT only"):
        HevoPipelineOperator(task_id="s", pipeline_id="1", completed_after="{{ data_interval_start }}")


def test_the_reference_is_the_data_interval_end_unless_told():
    end = datetime(2026, 3, 1, 6, 0, tzinfo=timezone.utc)
    ms = int(end.timestamp() * 1000)
    assert reference_ms(None, context_at(end)) == ms
    assert reference_ms("2026-03-01T07:00:00+01:00", context_at()) == ms  # what a template renders to
    assert reference_ms("2026-03-01 06:00:00Z", context_at()) == ms
    assert reference_ms("2026-03-01T06:00:00", context_at()) == ms  # naive: UTC
    assert reference_ms(end, context_at()) == ms and reference_ms(end.timestamp(), context_at()) == ms
    manual = context_at(None)  # a manual or asset-triggered run on Airflow 3 has no data interval
    assert reference_ms(None, manual) == int(manual["dag_run"].run_after.timestamp() * 1000)
    with pytest.raises(HevoJobFailed, match="not a date and time"):
        reference_ms("next tuesday", context_at())


def test_the_trigger_round_trips_the_wait_only_arguments_and_accepts_old_ones():
    trigger = HevoJobTrigger(
        "7", None, deadline=2e9, cancel_on_kill=False, completed_after_ms=1_800_000_000_000, job_type="INCREMENTAL"
    )
    _, kwargs = trigger.serialize()
    assert HevoJobTrigger(**kwargs).serialize() == trigger.serialize()
    old = {
        k: v for k, v in kwargs.items() if k not in ("completed_after_ms", "job_type", "accept_completed_with_failures")
    }
    old["job_id"] = "j-1"  # a task deferred by an earlier version follows its job, as before
    assert HevoJobTrigger(**old).completed_after_ms is None
    with pytest.raises(ValueError, match="job_id"):
        HevoJobTrigger("7", None)


# --- deferred and polled, against Hevo-scheduled pipelines -------------------------------------------
def test_deferred_wait_succeeds_on_hevos_next_run_and_starts_nothing(hevo_conn, pipeline_id):
    hevo_conn.sim.add_pipeline(pipeline_id, scheduled(schedule_first_s=3600))
    schedule_after_first_look(hevo_conn.sim, pipeline_id, 0.5)  # the worker's look finds nothing: it defers
    context, seen = context_at(datetime.now(timezone.utc)), []
    result = run_deferred(waiter(pipeline_id), context, seen)
    _, kwargs = seen[0].trigger.serialize()
    assert kwargs["job_id"] is None and kwargs["cancel_on_kill"] is False
    assert kwargs["completed_after_ms"] == reference_ms(None, context)
    assert result["status"] == "COMPLETED" and result["attached"] is True and result["owned"] is False
    ti = context["ti"]
    assert ti.xcom["hevo_job_id"] == result["job_id"] and ti.xcom["hevo_job_url"] == result["job_url"]
    assert posts(hevo_conn.sim, pipeline_id) == 0


def test_a_run_that_starts_late_finds_its_job_without_deferring(hevo_conn, pipeline_id):
    hevo_conn.sim.add_pipeline(pipeline_id, scheduled(past_jobs=3, schedule_first_s=600))
    three_minutes_ago = datetime.now(timezone.utc) - timedelta(minutes=3)
    result = waiter(pipeline_id).execute(context_at(three_minutes_ago))  # no TaskDeferred
    assert result["status"] == "COMPLETED"
    assert posts(hevo_conn.sim, pipeline_id) == 0


def test_polled_wait_succeeds_from_the_worker(hevo_conn, pipeline_id):
    hevo_conn.sim.add_pipeline(pipeline_id, scheduled(schedule_first_s=0.5))
    result = waiter(pipeline_id, deferrable=False).execute(context_at(datetime.now(timezone.utc)))
    assert result["status"] == "COMPLETED" and result["outcome"] == "success"
    assert posts(hevo_conn.sim, pipeline_id) == 0


@pytest.mark.parametrize("deferrable", [True, False], ids=["deferred", "polled"])
def test_a_failed_run_after_the_reference_fails_the_task_now(hevo_conn, pipeline_id, deferrable):
    hevo_conn.sim.add_pipeline(pipeline_id, scheduled(schedule_first_s=3600, final_status="FAILED"))
    schedule_after_first_look(hevo_conn.sim, pipeline_id, 0.5)
    o, context = waiter(pipeline_id, deferrable=deferrable, timeout=600), context_at(datetime.now(timezone.utc))
    started = time.time()
    with pytest.raises(HevoJobFailed) as info:
        run_deferred(o, context) if deferrable else o.execute(context)
    assert time.time() - started < 60, "a failure must not wait for the timeout"
    message = str(info.value)
    assert "FAILED" in message and "started nothing" in message and "later run" in message


@pytest.mark.parametrize(("policy", "passes"), [("fail", False), ("warn", True), ("succeed", True)])
def test_completed_with_failures_follows_the_policy(hevo_conn, pipeline_id, policy, passes):
    hevo_conn.sim.add_pipeline(pipeline_id, scheduled(schedule_first_s=0.5, final_status="COMPLETED_WITH_FAILURES"))
    o = waiter(pipeline_id, deferrable=False, on_completed_with_failures=policy)
    if passes:
        assert o.execute(context_at(datetime.now(timezone.utc)))["status"] == "COMPLETED_WITH_FAILURES"
    else:
        with pytest.raises(HevoJobFailed, match="COMPLETED_WITH_FAILURES"):
            o.execute(context_at(datetime.now(timezone.utc)))


@pytest.mark.parametrize("deferrable", [True, False], ids=["deferred", "polled"])
def test_no_run_within_the_timeout_says_what_it_saw_and_what_to_check(hevo_conn, pipeline_id, deferrable):
    hevo_conn.sim.add_pipeline(pipeline_id, scheduled(past_jobs=1, schedule_first_s=600))
    o, context = waiter(pipeline_id, deferrable=deferrable, timeout=1.5), context_at(datetime.now(timezone.utc))
    with pytest.raises(HevoJobFailed) as info:
        run_deferred(o, context) if deferrable else o.execute(context)
    message = str(info.value)
    assert f"No INCREMENTAL job of pipeline {pipeline_id} completed after" in message
    assert "the newest seen: job" in message and "enabled and runs on a schedule" in message
    assert "nothing was started or cancelled" in message and "Waited 1.5 s" in message
    assert hevo_conn.sim.cancel_posts(pipeline_id) == 0 and posts(hevo_conn.sim, pipeline_id) == 0


def test_an_error_event_is_rechecked_once(hevo_conn, pipeline_id):
    hevo_conn.sim.add_pipeline(pipeline_id, scheduled(past_jobs=2, schedule_first_s=600))
    long_ago = datetime.now(timezone.utc) - timedelta(minutes=10)
    event = {"status": "error", "pipeline_id": pipeline_id, "job_id": None, "job": None, "message": "network down"}
    result = waiter(pipeline_id).execute_complete(context_at(long_ago), event)
    assert result["status"] == "COMPLETED"  # the re-check found a completion after the reference
    with pytest.raises(HevoJobFailed, match="network down") as info:
        waiter(pipeline_id).execute_complete(context_at(datetime.now(timezone.utc)), event)
    assert "Nothing was started or cancelled" in str(info.value)


# --- the whole cycle in a real Airflow (dag.test()) -------------------------------------------------------
def asset_events(dag_id: str) -> list[str]:
    """URIs of the Asset (Airflow 3) or Dataset (2.x) events the DAG's tasks emitted."""
    from airflow.utils.session import create_session

    try:
        from airflow.models.asset import AssetEvent as Event
        from airflow.models.asset import AssetModel as Target
    except ImportError:  # Airflow 2.x
        from airflow.models.dataset import DatasetEvent as Event
        from airflow.models.dataset import DatasetModel as Target

    key = "asset_id" if hasattr(Event, "asset_id") else "dataset_id"
    with create_session() as session:
        rows = session.query(Target.uri).join(Event, getattr(Event, key) == Target.id)
        return [uri for (uri,) in rows.filter(Event.source_dag_id == dag_id).all()]


@pytest.mark.usefixtures("airflow_db")
@pytest.mark.parametrize("deferrable", [True, False], ids=["deferred", "polled"])
def test_dag_run_waits_for_hevos_run_and_emits_the_asset(hevo_conn, pipeline_id, tmp_path, deferrable):
    from test_dag_runs import run_dag, states, xcoms

    from hevo_dagfactory.provider.compat import DAG, Asset, BashOperator

    hevo_conn.sim.add_pipeline(pipeline_id, scheduled(schedule_first_s=3600, job_duration_s=0.5))
    schedule_after_first_look(hevo_conn.sim, pipeline_id, 1.0)  # the task's first look finds nothing
    uri = f"hevo://us/pipelines/{pipeline_id}"
    dag_id = f"hevo_wait_{'d' if deferrable else 'p'}_{pipeline_id}"
    with DAG(dag_id, schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc), catchup=False) as dag:
        crm = waiter(pipeline_id, deferrable=deferrable, poll_interval=0.3, outlets=[Asset(uri)])
        crm >> BashOperator(task_id="after", bash_command="echo the data has landed")
    dr = run_dag(dag, tmp_path)
    assert states(dr) == {"crm": "success", "after": "success"}
    values = xcoms(dr, "crm")
    result = values["return_value"]
    assert result["status"] == "COMPLETED" and values["hevo_job_id"] == result["job_id"]
    assert asset_events(dag_id) == [uri]
    looks = [e for e in hevo_conn.sim.request_log if e["path"] == f"/api/v1/pipelines/{pipeline_id}/jobs"]
    assert len(looks) >= 2, "the task never waited: its first look already found the job"
    assert posts(hevo_conn.sim, pipeline_id) == 0
