"""dag.test() of DAGs with the operator against the simulator: the whole defer → trigger → resume cycle.

dag.test() on Airflow 3.3 runs each task through the in-process Task SDK supervisor and runs a
deferred task's trigger inline, so this is the real operator, the real serialized trigger, the real
connection lookups and the real resume, with only the scheduler loop simplified. It needs the
session's migrated SQLite DB (root conftest ``airflow_db``) and a serialized DAG, which
``run_dag`` writes first.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import pytest
from provider_helpers import SECRET

from hevo_dagfactory.provider.compat import AIRFLOW_3
from hevo_dagfactory.simulator import PipelineScript

pytestmark = pytest.mark.usefixtures("airflow_db")


def build_dag(dag_id: str, pipeline_id: str, **op_kwargs: Any):
    from hevo_dagfactory.provider import HevoPipelineOperator
    from hevo_dagfactory.provider.compat import DAG, BashOperator

    op_kwargs.setdefault("poll_interval", 0.2)
    with DAG(dag_id, schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc), catchup=False) as dag:
        sync = HevoPipelineOperator(task_id="sync", pipeline_id=pipeline_id, **op_kwargs)
        after = BashOperator(task_id="after", bash_command="echo downstream ran")
        sync >> after
    return dag


def run_dag(dag, tmp_path):
    """Serialize the DAG into the metadata DB (dag.test() needs a DagVersion), then run it."""
    from hevo_dagfactory.provider.compat import DagBag, add_dag_to_bag, sync_dag_bag_to_db

    bag = DagBag(dag_folder=str(tmp_path))
    add_dag_to_bag(bag, dag)
    sync_dag_bag_to_db(bag)
    return dag.test()


def states(dr) -> dict[str, str]:
    return {ti.task_id: str(getattr(ti.state, "value", ti.state)) for ti in dr.get_task_instances()}


def xcoms(dr, task_id: str) -> dict[str, Any]:
    from hevo_dagfactory.provider.compat import task_xcoms

    return task_xcoms(dr.dag_id, dr.run_id, task_id)


def job_polls(sim, pipeline_id: str) -> int:
    return sum(
        1
        for e in sim.sim.request_log
        if e["method"] == "GET" and "/jobs/" in e["path"] and e["pipeline_id"] == pipeline_id
    )


def test_success_defers_resumes_and_returns_the_job(hevo_conn, pipeline_id, tmp_path):
    hevo_conn.sim.add_pipeline(pipeline_id, PipelineScript(job_duration_s=1.0))
    dr = run_dag(build_dag(f"hevo_ok_{pipeline_id}", pipeline_id), tmp_path)
    assert states(dr) == {"sync": "success", "after": "success"}
    values = xcoms(dr, "sync")
    result = values["return_value"]
    assert result["status"] == "COMPLETED" and result["outcome"] == "success"
    assert result["pipeline_id"] == pipeline_id and result["attached"] is False
    assert values["hevo_job_id"] == result["job_id"]
    assert result["job_id"] in result["job_url"]
    if AIRFLOW_3:  # Airflow 3 stores each extra link's URL as an XCom when the task ends
        assert values["_link_HevoJobLink"] == result["job_url"]
    else:  # Airflow 2.x's webserver asks the link class, which reads the task's XCom
        from hevo_dagfactory.provider import HevoJobLink

        assert HevoJobLink().get_link(None, ti_key=dr.get_task_instance("sync").key) == result["job_url"]
    assert job_polls(hevo_conn, pipeline_id) >= 1, "the trigger never polled: the task did not defer"
    assert hevo_conn.sim.sync_now_posts(pipeline_id) == 1
    assert SECRET not in json.dumps(values)


def test_failed_job_fails_the_task_and_skips_downstream(hevo_conn, pipeline_id, tmp_path):
    hevo_conn.sim.add_pipeline(pipeline_id, PipelineScript(job_duration_s=0.5, final_status="FAILED"))
    dr = run_dag(build_dag(f"hevo_failed_{pipeline_id}", pipeline_id), tmp_path)
    assert states(dr) == {"sync": "failed", "after": "upstream_failed"}
    assert str(getattr(dr.state, "value", dr.state)) == "failed"


@pytest.mark.parametrize(("policy", "expected"), [("fail", "failed"), ("warn", "success"), ("succeed", "success")])
def test_completed_with_failures_follows_the_policy(hevo_conn, pipeline_id, tmp_path, policy, expected):
    hevo_conn.sim.add_pipeline(pipeline_id, PipelineScript(job_duration_s=0.5, final_status="COMPLETED_WITH_FAILURES"))
    dr = run_dag(
        build_dag(f"hevo_cwf_{policy}_{pipeline_id}", pipeline_id, on_completed_with_failures=policy), tmp_path
    )
    assert states(dr)["sync"] == expected
    if expected == "success":
        assert xcoms(dr, "sync")["return_value"]["status"] == "COMPLETED_WITH_FAILURES"


def test_timeout_while_deferred_cancels_the_hevo_job(hevo_conn, pipeline_id, tmp_path):
    hevo_conn.sim.add_pipeline(pipeline_id, PipelineScript(job_duration_s=60))
    dr = run_dag(build_dag(f"hevo_timeout_{pipeline_id}", pipeline_id, timeout=2), tmp_path)
    assert states(dr)["sync"] == "failed"
    assert hevo_conn.sim.cancel_posts(pipeline_id) == 1
    job = hevo_conn.sim.jobs(pipeline_id)[0]
    assert job["status"] in ("CANCELLING", "CANCELLED")


def test_timeout_leaves_a_job_the_task_only_attached_to_running(hevo_conn, pipeline_id, tmp_path):
    """if_running=attach waits for a job someone else started (a Hevo schedule, another DAG): not ours to cancel."""
    hevo_conn.sim.add_pipeline(pipeline_id, PipelineScript(running_job=True, running_job_duration_s=60))
    dr = run_dag(build_dag(f"hevo_foreign_{pipeline_id}", pipeline_id, timeout=2), tmp_path)
    assert states(dr)["sync"] == "failed"
    assert hevo_conn.sim.sync_now_posts(pipeline_id) == 0
    assert hevo_conn.sim.cancel_posts(pipeline_id) == 0
    assert hevo_conn.sim.jobs(pipeline_id)[0]["status"] == "IN_PROGRESS"


def test_deferred_timeout_comes_on_time_while_hevo_answers_slowly(hevo_conn, pipeline_id, tmp_path):
    """A poll stuck in a slow answer must not run into the framework's backstop, which fails without a cancel."""
    from provider_helpers import slow_polls_once_polling

    hevo_conn.sim.add_pipeline(pipeline_id, PipelineScript(job_duration_s=120))
    slow_polls_once_polling(hevo_conn, pipeline_id, delay_s=60)
    dr = run_dag(build_dag(f"hevo_slow_{pipeline_id}", pipeline_id, timeout=3), tmp_path)
    assert states(dr)["sync"] == "failed"
    assert hevo_conn.sim.cancel_posts(pipeline_id) == 1
    assert hevo_conn.sim.jobs(pipeline_id)[0]["status"] in ("CANCELLING", "CANCELLED")


def test_blocking_task_whose_execution_timeout_fires_mid_poll_cancels_its_job(hevo_conn, pipeline_id, tmp_path):
    from datetime import timedelta

    from provider_helpers import slow_polls_once_polling

    hevo_conn.sim.add_pipeline(pipeline_id, PipelineScript(job_duration_s=120))
    slow_polls_once_polling(hevo_conn, pipeline_id, delay_s=60)
    dag = build_dag(
        f"hevo_exec_timeout_{pipeline_id}", pipeline_id, deferrable=False, execution_timeout=timedelta(seconds=3)
    )
    dr = run_dag(dag, tmp_path)
    assert states(dr)["sync"] == "failed"
    assert hevo_conn.sim.cancel_posts(pipeline_id) == 1
    assert hevo_conn.sim.jobs(pipeline_id)[0]["status"] in ("CANCELLING", "CANCELLED")


def test_a_retry_after_a_failed_try_adopts_the_job_that_completed(hevo_conn, pipeline_id, tmp_path):
    """Try 1's sync succeeds at Hevo but the try fails afterwards; the retry takes that job, no second sync."""
    from datetime import timedelta

    def fail_first_try(context, result):
        if context["ti"].try_number == 1:
            raise RuntimeError("the worker died after the sync finished")

    hevo_conn.sim.add_pipeline(pipeline_id, PipelineScript(job_duration_s=0.5))
    dag = build_dag(
        f"hevo_retry_{pipeline_id}",
        pipeline_id,
        retries=1,
        retry_delay=timedelta(seconds=0),
        post_execute=fail_first_try,
    )
    dr = run_dag(dag, tmp_path)
    assert states(dr) == {"sync": "success", "after": "success"}
    assert dr.get_task_instance("sync").try_number == 2
    assert hevo_conn.sim.sync_now_posts(pipeline_id) == 1
    assert xcoms(dr, "sync")["return_value"]["attached"] is True


# --- no wait, then HevoJobSensor ------------------------------------------------------------------------
def build_sensor_dag(dag_id: str, pipeline_id: str, **sensor_kwargs: Any):
    """The seed's split: the operator returns the job id, the sensor takes it from return_value."""
    from hevo_dagfactory.provider import HevoJobSensor, HevoPipelineOperator
    from hevo_dagfactory.provider.compat import DAG

    with DAG(dag_id, schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc), catchup=False) as dag:
        start = HevoPipelineOperator(task_id="start", pipeline_id=pipeline_id, wait_for_completion=False)
        wait = HevoJobSensor(
            task_id="wait", pipeline_id=pipeline_id, job_id="{{ ti.xcom_pull(task_ids='start') }}", **sensor_kwargs
        )
        start >> wait
    return dag


@pytest.mark.parametrize(("final_status", "expected"), [("COMPLETED", "success"), ("FAILED", "failed")])
def test_deferred_sensor_judges_the_job_it_waited_for(hevo_conn, pipeline_id, tmp_path, final_status, expected):
    # long enough that the sensor's first poke (before it defers) still sees the job running, even on a busy machine
    hevo_conn.sim.add_pipeline(pipeline_id, PipelineScript(job_duration_s=4.0, final_status=final_status))
    dag = build_sensor_dag(
        f"hevo_sensor_{final_status}_{pipeline_id}", pipeline_id, deferrable=True, poke_interval=0.2, timeout=60
    )
    dr = run_dag(dag, tmp_path)
    assert states(dr) == {"start": "success", "wait": expected}
    started = xcoms(dr, "start")
    job_id = started["return_value"]
    assert job_id == started["hevo_job_id"] == started["hevo_result"]["job_id"]
    assert job_polls(hevo_conn, pipeline_id) >= 2, "the sensor's trigger never polled: it did not defer"
    if expected == "success":
        assert xcoms(dr, "wait")["return_value"]["job_id"] == job_id
    assert hevo_conn.sim.cancel_posts(pipeline_id) == 0


def test_rescheduling_sensor_gives_back_its_slot_between_pokes(hevo_conn, pipeline_id, tmp_path):
    hevo_conn.sim.add_pipeline(pipeline_id, PipelineScript(job_duration_s=5.0))
    dag = build_sensor_dag(f"hevo_resched_{pipeline_id}", pipeline_id, mode="reschedule", poke_interval=1, timeout=60)
    dr = run_dag(dag, tmp_path)
    assert states(dr) == {"start": "success", "wait": "success"}
    assert xcoms(dr, "wait")["return_value"]["status"] == "COMPLETED"
    from airflow.models.taskreschedule import TaskReschedule
    from airflow.utils.session import create_session

    with create_session() as session:
        if hasattr(TaskReschedule, "ti_id"):  # Airflow 3: rows belong to the task instance's id
            rows = session.query(TaskReschedule).filter_by(ti_id=dr.get_task_instance("wait").id)
        else:  # Airflow 2.x
            rows = session.query(TaskReschedule).filter_by(dag_id=dr.dag_id, run_id=dr.run_id, task_id="wait")
        assert rows.count() >= 1, "the sensor never rescheduled: it held its slot between pokes"
