"""The seed guide's DAG runs on our provider with only its import line changed (plus schedule_interval)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hevo_dagfactory.simulator import PipelineScript

pytestmark = pytest.mark.usefixtures("airflow_db")

GUIDE_DAG = Path(__file__).parent / "seed_guide" / "hevo_seed_guide_dag.py"


def test_guide_dag_imports_without_errors():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(GUIDE_DAG))
    assert not bag.import_errors
    assert set(bag.dags["hevo_seed_guide"].task_ids) == {"sync_hevo_pipeline", "downstream_task"}


def test_guide_dag_runs_against_the_simulator(hevo_conn):
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import DagBag, sync_bag_to_db

    hevo_conn.sim.add_pipeline(123, PipelineScript(job_duration_s=1.0))
    bag = DagBag(dag_folder=str(GUIDE_DAG))
    dag = bag.dags["hevo_seed_guide"]
    # Test speed only: the guide's default 15 s poll interval would make this test wait 15 s.
    dag.get_task("sync_hevo_pipeline").poll_interval = 0.2
    DagBundlesManager().sync_bundles_to_db()
    sync_bag_to_db(bag, "dags-folder", None)
    dr = dag.test()
    got = {ti.task_id: str(getattr(ti.state, "value", ti.state)) for ti in dr.get_task_instances()}
    assert got == {"sync_hevo_pipeline": "success", "downstream_task": "success"}
    assert hevo_conn.sim.sync_now_posts(123) == 1
    job = hevo_conn.sim.jobs(123)[0]
    assert job["status"] == "COMPLETED" and job["type"] == "INCREMENTAL"
