"""The scale scenario: 100 deferrable syncs on one Hevo user limited to 100 requests a minute.

Time is scaled down by ``TIME_SCALE`` (4) so the scenario takes minutes, not a quarter of an hour: Hevo's
minute becomes a 15 s window holding the same 100 requests (the simulator's ``--rate-window`` and the
connection's ``rate_limit_window_s``), jobs of 1 to 3 minutes last 15 to 45 s, and syncs poll every 4 s
instead of every 15 s. Requests per sync and the shape of the load are those of the unscaled case; only the
clock runs faster.
"""

from __future__ import annotations

import textwrap

from hevo_dagfactory.demo.cluster import ExtraHevo

TIME_SCALE = 4
SCALE_CONN_ID = "hevo_scale"
SCALE_DAGS = 10
SYNCS_PER_DAG = 10
FIRST_PIPELINE = 930001
#: Hevo's 100 requests per minute per user, on a minute shortened TIME_SCALE times.
SCALE_HEVO = ExtraHevo(SCALE_CONN_ID, rate_per_minute=100, rate_window_s=60.0 / TIME_SCALE)
POLL_INTERVAL_S = 4  # 15 s / TIME_SCALE, rounded
JOB_SECONDS = (60.0 / TIME_SCALE, 180.0 / TIME_SCALE)  # jobs of one to three minutes


def scale_dag_ids() -> list[str]:
    return [f"cl_scale_{i + 1:02d}" for i in range(SCALE_DAGS)]


def scale_pipelines(dag_index: int | None = None) -> list[int]:
    """The pipeline ids of one scale DAG, or of all of them."""
    if dag_index is None:
        return list(range(FIRST_PIPELINE, FIRST_PIPELINE + SCALE_DAGS * SYNCS_PER_DAG))
    first = FIRST_PIPELINE + dag_index * SYNCS_PER_DAG
    return list(range(first, first + SYNCS_PER_DAG))


def job_seconds(pipeline_id: int) -> float:
    """Job lengths spread evenly over JOB_SECONDS, so the syncs do not finish in lockstep."""
    low, high = JOB_SECONDS
    step = (pipeline_id - FIRST_PIPELINE) % 10
    return low + (high - low) * step / 9


def scale_workflows() -> dict[str, str]:
    """file name -> text of the scale DAGs: each ``SYNCS_PER_DAG`` parallel deferrable syncs, then one step."""
    files = {}
    for index, dag_id in enumerate(scale_dag_ids()):
        syncs = "".join(f"  - {{id: p{pid}, pipeline_id: {pid}}}\n" for pid in scale_pipelines(index))
        header = textwrap.dedent(f"""\
            dag_id: {dag_id}
            schedule: null
            start_date: 2026-01-01
            owner: cluster-tests
            tags: [cluster, scale]
            hevo: {{connection_id: {SCALE_CONN_ID}, region: us}}
            defaults: {{retries: 0}}
            sync_defaults: {{poll_interval: {POLL_INTERVAL_S}s}}
            """)
        files[f"{dag_id}.yaml"] = f"{header}syncs:\n{syncs}steps:\n  - id: done\n    bash: echo {dag_id} synced\n"
    return files
