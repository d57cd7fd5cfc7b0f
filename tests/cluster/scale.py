"""The scale scenario's workflows and Hevo account: 100 deferrable syncs on one rate-limited Hevo user."""

from __future__ import annotations

import textwrap

from hevo_dagfactory.demo.cluster import ExtraHevo

SCALE_CONN_ID = "hevo_scale"
SCALE_DAGS = 4
SYNCS_PER_DAG = 25
FIRST_PIPELINE = 930001
#: Hevo's limit of 100 requests per minute per user (time scaled: see test_scale.py).
SCALE_HEVO = ExtraHevo(SCALE_CONN_ID, rate_per_minute=100, rate_window_s=60.0)
POLL_INTERVAL_S = 15


def scale_pipelines(dag_index: int) -> list[int]:
    first = FIRST_PIPELINE + dag_index * SYNCS_PER_DAG
    return list(range(first, first + SYNCS_PER_DAG))


def scale_dag_ids() -> list[str]:
    return [f"cl_scale_{i + 1}" for i in range(SCALE_DAGS)]


def scale_workflows() -> dict[str, str]:
    """file name -> text of the scale DAGs: each ``SYNCS_PER_DAG`` parallel deferrable syncs, then one step."""
    files = {}
    for index, dag_id in enumerate(scale_dag_ids()):
        syncs = "\n".join(f"  - {{id: p{pid}, pipeline_id: {pid}}}" for pid in scale_pipelines(index))
        files[f"{dag_id}.yaml"] = (
            textwrap.dedent(f"""\
            dag_id: {dag_id}
            schedule: null
            start_date: 2026-01-01
            owner: cluster-tests
            tags: [cluster, scale]
            hevo: {{connection_id: {SCALE_CONN_ID}, region: us}}
            defaults: {{retries: 0}}
            sync_defaults: {{poll_interval: {POLL_INTERVAL_S}s}}
            syncs:
            """)
            + syncs
            + "\nsteps:\n  - id: done\n    bash: echo all syncs of {dag_id} finished\n".replace("{dag_id}", dag_id)
        )
    return files
