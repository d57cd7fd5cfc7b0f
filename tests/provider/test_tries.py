"""Which try is this, and whose job: retry vs. a user's clear, and job ownership (provider/tries.py).

A retry after a failed try may adopt the COMPLETED job of the try that died; a task a user cleared to
force a re-sync must start a new one. The difference is Airflow's ``max_tries`` bookkeeping, checked
here against the installed Airflow's real ``clear_task_instances``.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from provider_helpers import RecordingTI, make_context

from hevo_dagfactory.provider import HevoPipelineOperator
from hevo_dagfactory.provider.compat import TaskDeferred, retry_after_failed_try
from hevo_dagfactory.provider.tries import CLEARED, FIRST, RESTARTED, RETRY, TryKind, owns_job, which_try
from hevo_dagfactory.simulator import PipelineScript


@pytest.mark.parametrize(
    ("try_number", "max_tries", "retries", "kind"),
    [
        (1, 0, 0, FIRST),
        (1, 2, 2, FIRST),
        (2, 2, 2, RETRY),  # try 1 failed, the scheduler retried: max_tries unchanged
        (3, 2, 2, RETRY),
        (2, 1, 0, CLEARED),  # cleared after try 1: max_tries = 1 + retries
        (2, 3, 2, CLEARED),
        (3, 3, 2, RETRY),  # the cleared try failed and was retried
        (2, None, 1, CLEARED),  # nothing known: never adopt a finished job
    ],
)
def test_which_try(try_number, max_tries, retries, kind):
    assert which_try(SimpleNamespace(try_number=try_number, max_tries=max_tries), retries).name == kind


def test_a_restart_within_a_try_wins():
    ti = SimpleNamespace(try_number=1, max_tries=0, _ti_context_from_server=SimpleNamespace(task_reschedule_count=1))
    assert which_try(ti, 0).name == RESTARTED and which_try(ti, 0).adopts_completed


@pytest.mark.parametrize(
    ("attached", "kind", "created", "owned"),
    [
        (False, FIRST, None, True),  # we started it
        (True, FIRST, 2_000_000, False),  # if_running=attach on a first try: someone else's job
        (True, RETRY, 2_000_000, True),  # adopted from our earlier try (created during the run)
        (True, CLEARED, 2_000_000, True),
        (True, RETRY, 1_000_000, False),  # older than the DAG run: never ours
        (True, RETRY, None, False),  # unknown age: do not cancel
    ],
)
def test_owns_job(attached, kind, created, owned):
    got, why = owns_job(
        attached=attached, kind=TryKind(kind), created_ms=created, run_started_ms=1_900_000, skew_ms=60_000
    )
    assert got is owned and why


@pytest.mark.usefixtures("airflow_db")
def test_airflows_clear_starts_a_new_cycle_and_its_retries_do_not(hevo_conn, tmp_path):
    """Run a task, clear it with Airflow's own clear_task_instances, and classify the tries that follow."""
    from airflow.models.taskinstance import TaskInstance, clear_task_instances
    from airflow.utils.session import create_session

    from hevo_dagfactory.provider.compat import DAG, BashOperator, DagBag, add_dag_to_bag, sync_dag_bag_to_db

    dag_id = f"hevo_clear_{time.time_ns()}"
    with DAG(dag_id, schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc), catchup=False) as dag:
        BashOperator(task_id="t", bash_command="true", retries=2)
    bag = DagBag(dag_folder=str(tmp_path))
    add_dag_to_bag(bag, dag)
    sync_dag_bag_to_db(bag)
    dr = dag.test()
    with create_session() as session:
        ti = session.query(TaskInstance).filter_by(dag_id=dag_id, run_id=dr.run_id, task_id="t").one()
        assert (ti.try_number, ti.max_tries) == (1, 2)
        assert not retry_after_failed_try(ti, 2)
        clear_task_instances([ti], session)
        session.flush()
        cleared = session.query(TaskInstance).filter_by(dag_id=dag_id, run_id=dr.run_id, task_id="t").one()
        max_tries, last_try = cleared.max_tries, cleared.try_number
    assert max_tries == last_try + 2
    # the scheduler bumps try_number when it schedules the cleared task (dag.test() does the same)
    assert which_try(SimpleNamespace(try_number=last_try + 1, max_tries=max_tries), 2).name == CLEARED
    # a retry of that try keeps max_tries
    assert which_try(SimpleNamespace(try_number=last_try + 2, max_tries=max_tries), 2).name == RETRY


# --- the operator's decisions -------------------------------------------------------------------
def op(pipeline_id: str, **kwargs) -> HevoPipelineOperator:
    kwargs.setdefault("task_id", "sync")
    kwargs.setdefault("poll_interval", 0.05)
    return HevoPipelineOperator(pipeline_id=pipeline_id, **kwargs)


def _completed_job(sim, pipeline_id: str) -> datetime:
    """Try 1 starts a quick job that COMPLETES; returns when the run 'started' (a little before)."""
    sim.sim.add_pipeline(pipeline_id, PipelineScript(job_duration_s=0.1))
    run_start = datetime.now(timezone.utc) - timedelta(seconds=5)
    with pytest.raises(TaskDeferred):
        op(pipeline_id).execute(make_context(RecordingTI(try_number=1, max_tries=1), run_start))
    deadline = time.time() + 10
    while sim.sim.jobs(pipeline_id)[0]["status"] != "COMPLETED" and time.time() < deadline:
        time.sleep(0.05)
    return run_start


def test_a_retry_after_a_failed_try_adopts_the_completed_job(hevo_conn, pipeline_id):
    run_start = _completed_job(hevo_conn, pipeline_id)
    retry = RecordingTI(try_number=2, max_tries=1)  # retries=1: try 2 is a retry of the failed try 1
    result = op(pipeline_id, retries=1).execute(make_context(retry, run_start))
    assert result["status"] == "COMPLETED" and result["attached"] is True
    assert hevo_conn.sim.sync_now_posts(pipeline_id) == 1


def test_a_cleared_task_starts_a_new_sync(hevo_conn, pipeline_id):
    """Clearing a successful sync task is how users force a re-sync: the finished job is not adopted."""
    run_start = _completed_job(hevo_conn, pipeline_id)
    cleared = RecordingTI(try_number=2, max_tries=2)  # retries=1, cleared after try 1: max_tries = 1 + 1
    with pytest.raises(TaskDeferred) as info:
        op(pipeline_id, retries=1).execute(make_context(cleared, run_start))
    assert hevo_conn.sim.sync_now_posts(pipeline_id) == 2
    assert info.value.kwargs == {"attached": False, "owned": True}


def test_a_cleared_task_still_attaches_to_a_running_job(hevo_conn, pipeline_id):
    """Never two syncs at once: even after a clear, a job still running is attached to, not doubled."""
    hevo_conn.sim.add_pipeline(pipeline_id, PipelineScript(job_duration_s=30))
    run_start = datetime.now(timezone.utc) - timedelta(seconds=5)
    with pytest.raises(TaskDeferred) as first:
        op(pipeline_id).execute(make_context(RecordingTI(try_number=1, max_tries=0), run_start))
    with pytest.raises(TaskDeferred) as again:
        op(pipeline_id, if_running="fail").execute(make_context(RecordingTI(try_number=2, max_tries=1), run_start))
    assert again.value.trigger.job_id == first.value.trigger.job_id
    assert again.value.kwargs == {"attached": True, "owned": True}
    assert hevo_conn.sim.sync_now_posts(pipeline_id) == 1


def test_a_retry_does_not_own_a_job_older_than_the_dag_run(hevo_conn, pipeline_id):
    """A job that was already running before this DAG run began was started by someone else."""
    hevo_conn.sim.add_pipeline(pipeline_id, PipelineScript(running_job=True, running_job_duration_s=30))
    run_start = datetime.now(timezone.utc) + timedelta(minutes=5)  # the job predates the run (beyond the skew)
    with pytest.raises(TaskDeferred) as info:
        op(pipeline_id, retries=1).execute(make_context(RecordingTI(try_number=2, max_tries=1), run_start))
    assert info.value.kwargs == {"attached": True, "owned": False}
    assert info.value.trigger.cancel_on_kill is False
