"""Airflow 2.x: a cancelled HevoJobTrigger cancels the Hevo job only when a user killed the deferred task.

Airflow 2.x has no trigger ``on_kill``. Its triggerer cancels a trigger's asyncio task both when a user
marks the deferred task failed/success or clears it, and when the triggerer restarts or hands the trigger
to another triggerer. The trigger tells them apart by the task instance's state in the metadata DB: still
DEFERRED means "restart", anything else means "killed". These tests use a real task instance row in the
session's migrated DB and the simulator over real sockets; only the triggerer loop is replaced by
cancelling the consuming task, which is exactly what the 2.x triggerer does.

On Airflow >= 3.3 the same user actions call ``on_kill`` (tests/provider/test_trigger.py) and a
CancelledError never cancels anything (test_triggerer_restart_cancels_nothing there), so this module is
skipped.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest
from provider_helpers import SECRET

from hevo_dagfactory.hevo import EdgeClient
from hevo_dagfactory.provider.compat import TRIGGER_ON_KILL
from hevo_dagfactory.provider.triggers.job import HevoJobTrigger
from hevo_dagfactory.simulator import PipelineScript

pytestmark = [
    pytest.mark.usefixtures("airflow_db"),
    pytest.mark.skipif(
        TRIGGER_ON_KILL,
        reason="Airflow >= 3.3 cancels a killed task's job through the trigger's on_kill (test_trigger.py)",
    ),
]


def start_job(sim, pipeline_id: str, **script) -> str:
    sim.sim.add_pipeline(pipeline_id, PipelineScript(**script))
    with EdgeClient(sim.url, "test-key", SECRET) as client:
        return client.start_job(pipeline_id).job.job_id


def deferred_task_instance(dag_id: str):
    """A real task instance row of a real DAG run, in state DEFERRED (as the triggerer finds it)."""
    from airflow.utils.state import DagRunState, TaskInstanceState
    from airflow.utils.types import DagRunType

    from hevo_dagfactory.provider.compat import DAG, BashOperator, DagBag, add_dag_to_bag, sync_dag_bag_to_db

    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    with DAG(dag_id, schedule=None, start_date=start, catchup=False) as dag:
        BashOperator(task_id="sync", bash_command="true")
    bag = DagBag(dag_folder="/nonexistent")
    add_dag_to_bag(bag, dag)
    sync_dag_bag_to_db(bag)
    now = datetime.now(timezone.utc)
    dr = dag.create_dagrun(
        run_id=f"manual__{dag_id}",
        state=DagRunState.RUNNING,
        execution_date=now,
        run_type=DagRunType.MANUAL,
        data_interval=(now, now),
    )
    ti = dr.get_task_instance("sync")
    set_state(ti, TaskInstanceState.DEFERRED)
    return ti


def set_state(ti, state) -> None:
    """Change the row as the UI's "mark failed" does (another process: only the DB row changes)."""
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session

    with create_session() as session:
        session.query(TaskInstance).filter_by(
            dag_id=ti.dag_id, run_id=ti.run_id, task_id=ti.task_id, map_index=ti.map_index
        ).update({"state": state}, synchronize_session=False)


async def cancel_while_polling(trigger: HevoJobTrigger, before_cancel=None) -> None:
    """Run the trigger as the triggerer does, then cancel it mid-poll; the CancelledError must come back out."""

    async def consume():
        async for _ in trigger.run():
            pass

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.3)
    if before_cancel is not None:
        before_cancel()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 40)


def job_status(sim, pipeline_id: str, job_id: str) -> str:
    return next(j for j in sim.sim.jobs(pipeline_id) if j["job_id"] == job_id)["status"]


async def test_triggerer_restart_while_deferred_cancels_nothing(hevo_conn, pipeline_id):
    job_id = start_job(hevo_conn, pipeline_id, job_duration_s=30)
    trigger = HevoJobTrigger(pipeline_id, job_id, poll_interval=0.05)
    trigger.task_instance = deferred_task_instance(f"af2_restart_{pipeline_id}")
    await cancel_while_polling(trigger)
    assert hevo_conn.sim.cancel_posts(pipeline_id) == 0
    assert job_status(hevo_conn, pipeline_id, job_id) == "IN_PROGRESS"


@pytest.mark.parametrize("user_action", ["failed", "success", None], ids=["mark-failed", "mark-success", "clear"])
async def test_user_kill_of_the_deferred_task_cancels_the_job(hevo_conn, pipeline_id, user_action):
    job_id = start_job(hevo_conn, pipeline_id, job_duration_s=30)
    trigger = HevoJobTrigger(pipeline_id, job_id, poll_interval=0.05)
    ti = deferred_task_instance(f"af2_kill_{pipeline_id}")
    trigger.task_instance = ti
    await cancel_while_polling(trigger, before_cancel=lambda: set_state(ti, user_action))
    assert hevo_conn.sim.cancel_posts(pipeline_id) == 1
    assert job_status(hevo_conn, pipeline_id, job_id) in ("CANCELLING", "CANCELLED")


async def test_a_watching_trigger_never_cancels(hevo_conn, pipeline_id):
    """Sensors pass cancel_on_kill=False: they watch a job they do not own."""
    job_id = start_job(hevo_conn, pipeline_id, job_duration_s=30)
    trigger = HevoJobTrigger(pipeline_id, job_id, poll_interval=0.05, cancel_on_kill=False)
    ti = deferred_task_instance(f"af2_watch_{pipeline_id}")
    trigger.task_instance = ti
    await cancel_while_polling(trigger, before_cancel=lambda: set_state(ti, "failed"))
    assert hevo_conn.sim.cancel_posts(pipeline_id) == 0


async def test_a_cancel_after_the_event_fired_leaves_the_job_alone(hevo_conn, pipeline_id):
    """Once the event fired, the task resumes (state leaves DEFERRED); a late cancel must not touch the job."""
    job_id = start_job(hevo_conn, pipeline_id, job_duration_s=0.2)
    trigger = HevoJobTrigger(pipeline_id, job_id, poll_interval=0.05)
    ti = deferred_task_instance(f"af2_fired_{pipeline_id}")
    trigger.task_instance = ti
    gen = trigger.run()
    event = await asyncio.wait_for(gen.__anext__(), 15)
    assert event.payload["status"] == "terminal"
    set_state(ti, "scheduled")
    with pytest.raises(asyncio.CancelledError):
        await gen.athrow(asyncio.CancelledError())
    assert hevo_conn.sim.cancel_posts(pipeline_id) == 0


async def test_without_a_task_instance_nothing_is_cancelled(hevo_conn, pipeline_id):
    """Unknown state (no task instance attached) must not cancel a running sync."""
    job_id = start_job(hevo_conn, pipeline_id, job_duration_s=30)
    await cancel_while_polling(HevoJobTrigger(pipeline_id, job_id, poll_interval=0.05))
    assert hevo_conn.sim.cancel_posts(pipeline_id) == 0
