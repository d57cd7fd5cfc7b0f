# The example DAG of Hevo's guide "Using Edge Pipelines with Airflow" (seed provider, parameters as in
# hevo-api.md §4), for Airflow 2.x, with exactly one edit, marked:
#   1. the HevoPipelineOperator import line (the seed installs into the `airflow.hevo` namespace).
# `schedule_interval=None` stays as the guide wrote it (Airflow 2 accepts it; Airflow 3 does not, see
# ../seed_guide/). tests/provider/test_seed_guide_dag.py runs it with dag.test() against the simulator.
from datetime import datetime

from airflow import DAG
from airflow.operators.bash import BashOperator

# from airflow.hevo.operators import HevoPipelineOperator      # the guide's line
from hevo_dagfactory.provider import HevoPipelineOperator  # EDIT 1

with DAG(
    dag_id="hevo_seed_guide",
    start_date=datetime(2024, 1, 1),
    schedule_interval=None,
    catchup=False,
) as dag:
    sync_pipeline = HevoPipelineOperator(
        task_id="sync_hevo_pipeline",
        pipeline_id=123,
        connection_id="hevo_airflow_conn_id",
    )

    downstream_task = BashOperator(
        task_id="downstream_task",
        bash_command="echo 'Hevo pipeline sync finished'",
    )

    sync_pipeline >> downstream_task
