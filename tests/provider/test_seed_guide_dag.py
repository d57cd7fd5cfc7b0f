"""The seed guide's DAG runs on our provider with only its import line changed.

On Airflow 2.x that is literally the guide's file (``schedule_interval=None`` included,
tests/provider/seed_guide_af2/); Airflow 3 rejects ``schedule_interval``, so the 3.x copy
(tests/provider/seed_guide/) also says ``schedule=None``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hevo_dagfactory.provider.compat import AIRFLOW_3
from hevo_dagfactory.simulator import PipelineScript

pytestmark = pytest.mark.usefixtures("airflow_db")

HERE = Path(__file__).parent
GUIDE_DAG_AF3 = HERE / "seed_guide" / "hevo_seed_guide_dag.py"
GUIDE_DAG_AF2 = HERE / "seed_guide_af2" / "hevo_seed_guide_dag.py"
GUIDE_DAG = GUIDE_DAG_AF3 if AIRFLOW_3 else GUIDE_DAG_AF2


def _code_lines(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if not line.lstrip().startswith("#")]


def test_the_two_guide_copies_differ_only_in_the_schedule_argument():
    """Both copies are the guide's DAG: the 3.x one may differ from the 2.x one only where Airflow 3 demands."""
    af2, af3 = _code_lines(GUIDE_DAG_AF2), _code_lines(GUIDE_DAG_AF3)
    assert len(af2) == len(af3)
    diff = [(a.strip(), b.strip()) for a, b in zip(af2, af3) if a != b]
    assert diff == [("schedule_interval=None,", "schedule=None,  # EDIT 2: the guide says schedule_interval=None")]


def test_guide_dag_imports_without_errors():
    from hevo_dagfactory.provider.compat import DagBag

    bag = DagBag(dag_folder=str(GUIDE_DAG))
    assert not bag.import_errors
    assert set(bag.dags["hevo_seed_guide"].task_ids) == {"sync_hevo_pipeline", "downstream_task"}


def test_guide_dag_runs_against_the_simulator(hevo_conn):
    from hevo_dagfactory.provider.compat import DagBag, sync_dag_bag_to_db

    hevo_conn.sim.add_pipeline(123, PipelineScript(job_duration_s=1.0))
    bag = DagBag(dag_folder=str(GUIDE_DAG))
    dag = bag.dags["hevo_seed_guide"]
    # Test speed only: the guide's default 15 s poll interval would make this test wait 15 s.
    dag.get_task("sync_hevo_pipeline").poll_interval = 0.2
    sync_dag_bag_to_db(bag)
    dr = dag.test()
    got = {ti.task_id: str(getattr(ti.state, "value", ti.state)) for ti in dr.get_task_instances()}
    assert got == {"sync_hevo_pipeline": "success", "downstream_task": "success"}
    assert hevo_conn.sim.sync_now_posts(123) == 1
    job = hevo_conn.sim.jobs(123)[0]
    assert job["status"] == "COMPLETED" and job["type"] == "INCREMENTAL"
