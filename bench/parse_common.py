"""What the parse benchmarks share: the generated workflows and DAG files, and timing a DagBag fill in a fresh process.

Used by ``bench_parse.py`` (folders of files) and ``parse_bundle.py`` (the same files in a Git DAG bundle).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from workload_operating import OPERATING_HAND_HEADER, operating_hand_dag, operating_yaml, write_operating_defaults

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / ".bench" / "parse"  # the plain workload; the operating one uses parse-operating/ (use_workload)
#: ``operating``: issue 14's keys and team folders on both sides (workload_operating.py); ``plain``: the
#: workload before them.
WORKLOAD = "plain"
TEAMS = 10  # team folders of the operating workload

#: The interpreter of every child process (``--python``): the Airflow line being measured.
PYTHON = sys.executable  # set by bench_parse --python

#: What a worker has loaded before it parses the DAG file of the task it runs.
TASK_RUNNER_PREIMPORT = (
    "try:\n"
    "    import airflow.sdk  # Airflow 3: the task runner has the Task SDK loaded\n"
    "    import airflow.sdk.execution_time.task_runner\n"
    "    from airflow.dag_processing.dagbag import DagBag\n"
    "except ImportError:  # Airflow 2.x: `airflow tasks run` has the ORM models loaded\n"
    "    import airflow.models\n"
    "    from airflow.models.dagbag import DagBag\n"
)
#: ... plus the operators, so that a DagBag-fill figure times only the work on the folder.
PREIMPORT = TASK_RUNNER_PREIMPORT + (
    "from airflow.providers.standard.operators.bash import BashOperator\n"
    "from hevo_dagfactory.provider.operators.pipeline import HevoPipelineOperator\n"
)


def use_workload(name: str) -> None:
    """Measure ``name`` (``plain`` or ``operating``); each has its own folder under .bench/."""
    global WORKLOAD, WORK
    WORKLOAD = name
    WORK = REPO / ".bench" / ("parse-operating" if name == "operating" else "parse")


def airflow_major() -> int:
    """The Airflow major version of the measured interpreter (``PYTHON``)."""
    code = "from importlib.metadata import version; print(version('apache-airflow'))"
    out = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, check=True, timeout=120).stdout
    return int(out.strip().split(".")[0])


def target_index(n: int) -> int:
    """Which workflow the single-DAG figures load: the middle one of a 1000-file folder."""
    return min(500, n - 1)


def target_dag(n: int) -> str:
    return _ids(target_index(n))[0]


# --- generation ---------------------------------------------------------------------------------
def _ids(i: int) -> tuple[str, int, int]:
    return f"wf_{i:04d}", 2 * i + 1, 2 * i + 2


def ours_path(i: int) -> str:
    """Where workflow ``i`` lives below the loader's folder: a team folder in the operating workload."""
    name = f"{_ids(i)[0]}.yaml"
    return f"team_{i % TEAMS:02d}/{name}" if WORKLOAD == "operating" else name


def ours_yaml(i: int) -> str:
    if WORKLOAD == "operating":
        return operating_yaml(i)
    dag_id, p1, p2 = _ids(i)
    return textwrap.dedent(f"""\
        dag_id: {dag_id}
        description: Sync orders and customers, build the marts, then notify
        schedule: "0 2 * * *"
        start_date: 2026-01-01
        owner: data-eng
        tags: [bench]
        hevo: {{region: eu}}
        defaults: {{retries: 1, retry_delay: 30s}}
        syncs:
          - {{id: orders, pipeline_id: {p1}}}
          - {{id: customers, pipeline_id: {p2}}}
        steps:
          - id: dbt_build
            dbt: {{command: build, select: ["tag:{dag_id}"], target: prod}}
          - id: notify
            bash: echo "{dag_id} done"
            after: [dbt_build]
        """)


def hand_dag(i: int) -> str:
    if WORKLOAD == "operating":
        return operating_hand_dag(i)
    dag_id, p1, p2 = _ids(i)
    return textwrap.dedent(f"""\
        with DAG(
            dag_id="{dag_id}",
            description="Sync orders and customers, build the marts, then notify",
            schedule="0 2 * * *",
            start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
            catchup=False,
            max_active_runs=1,
            tags=["hevo", "region:eu", "bench"],
            default_args={{"owner": "data-eng", "retries": 1, "retry_delay": timedelta(seconds=30)}},
        ):
            orders = HevoPipelineOperator(
                task_id="orders", pipeline_id={p1}, region="eu", poll_interval=timedelta(seconds=15),
                outlets=[Asset("hevo://eu/pipelines/{p1}")],
            )
            customers = HevoPipelineOperator(
                task_id="customers", pipeline_id={p2}, region="eu", poll_interval=timedelta(seconds=15),
                outlets=[Asset("hevo://eu/pipelines/{p2}")],
            )
            dbt_build = BashOperator(
                task_id="dbt_build", bash_command="dbt build --select tag:{dag_id} --target prod", append_env=True
            )
            notify = BashOperator(task_id="notify", bash_command='echo "{dag_id} done"', append_env=True)
            [orders, customers] >> dbt_build >> notify

        """)


HAND_HEADER = textwrap.dedent("""\
    # Hand-written Airflow DAGs, the baseline of bench/bench_parse.py.
    from datetime import datetime, timedelta, timezone

    from airflow.providers.standard.operators.bash import BashOperator

    try:
        from airflow.sdk import DAG, Asset
    except ImportError:  # Airflow 2.x
        from airflow import DAG
        from airflow.datasets import Dataset as Asset

    from hevo_dagfactory.provider.operators.pipeline import HevoPipelineOperator

    """)


def dagfactory_yaml(i: int) -> str:
    dag_id, p1, p2 = _ids(i)
    op = "hevo_dagfactory.provider.operators.pipeline.HevoPipelineOperator"
    bash = "airflow.providers.standard.operators.bash.BashOperator"
    return textwrap.dedent(f"""\
        {dag_id}:
          description: Sync orders and customers, build the marts, then notify
          schedule: "0 2 * * *"
          catchup: false
          max_active_runs: 1
          tags: [hevo, "region:eu", bench]
          default_args:
            owner: data-eng
            retries: 1
            retry_delay_sec: 30
            start_date: 2026-01-01
          tasks:
            - task_id: orders
              operator: {op}
              pipeline_id: {p1}
              region: eu
              outlets: ["hevo://eu/pipelines/{p1}"]
            - task_id: customers
              operator: {op}
              pipeline_id: {p2}
              region: eu
              outlets: ["hevo://eu/pipelines/{p2}"]
            - task_id: dbt_build
              operator: {bash}
              bash_command: "dbt build --select tag:{dag_id} --target prod"
              append_env: true
              dependencies: [orders, customers]
            - task_id: notify
              operator: {bash}
              bash_command: 'echo "{dag_id} done"'
              append_env: true
              dependencies: [dbt_build]
        """)


OURS_LOADER = "# Airflow DAG loader (hevo-dagfactory)\nfrom hevo_dagfactory import load_workflows\n\nload_workflows()\n"
DAGFACTORY_LOADER = textwrap.dedent("""\
    # Airflow DAG loader (dag-factory 1.1)
    from pathlib import Path

    from dagfactory import load_yaml_dags

    load_yaml_dags(globals_dict=globals(), dags_folder=str(Path(__file__).parent / "yaml"))
    """)


def generate(n: int) -> dict[str, Path]:
    """Write the four folders under WORK (only if the workflow count or the workload changed)."""
    stamp = WORK / f".generated-{n}-both-lines-{WORKLOAD}"
    paths = {
        "hand": WORK / "hand",
        "hand_single": WORK / "hand_single",
        "ours": WORK / "ours",
        "dagfactory": WORK / "dagfactory",
    }
    if stamp.exists():
        return paths
    if WORK.exists():
        shutil.rmtree(WORK)
    for p in paths.values():
        p.mkdir(parents=True)
    header = HAND_HEADER + (OPERATING_HAND_HEADER if WORKLOAD == "operating" else "")
    (paths["hand"] / "hand_written.py").write_text(header + "".join(hand_dag(i) for i in range(n)))
    (paths["hand_single"] / "hand_written_one.py").write_text(header + hand_dag(target_index(n)))
    (paths["ours"] / "hevo_workflows.py").write_text(OURS_LOADER)
    for i in range(n):
        path = paths["ours"] / ours_path(i)
        path.parent.mkdir(exist_ok=True)
        path.write_text(ours_yaml(i))
    if WORKLOAD == "operating":
        write_operating_defaults(paths["ours"])
    (paths["dagfactory"] / "dagfactory_loader.py").write_text(DAGFACTORY_LOADER)
    (paths["dagfactory"] / "yaml").mkdir()
    for i in range(n):
        (paths["dagfactory"] / "yaml" / f"{_ids(i)[0]}.yml").write_text(dagfactory_yaml(i))
    stamp.touch()
    return paths


# --- measurement ------------------------------------------------------------------------------------
def _child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("_AIRFLOW_PARSING_CONTEXT")}
    home = WORK / f"airflow-home-{Path(PYTHON).parent.parent.name.lstrip('.')}"  # one per venv/line
    home.mkdir(parents=True, exist_ok=True)
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT="900",
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{home / 'airflow.db'}",
        HEVO_DAGFACTORY_CACHE_DIR=str(WORK / "model-cache"),
        # dag-factory's telemetry is on by default; this machine must not phone home
        DO_NOT_TRACK="1",
        SCARF_ANALYTICS="false",
        AIRFLOW__DAG_FACTORY__ENABLE_TELEMETRY="False",
    )
    env.pop("HEVO_DAGFACTORY_CONFIG_DIR", None)
    env.update(extra or {})
    return env


CHILD = PREIMPORT + textwrap.dedent("""\
    import json, logging, os, sys, time
    if os.environ.get("BENCH_PREIMPORT_HEVO_DAGFACTORY"):  # what a replay of a cached build plan loads
        import hevo_dagfactory.factory.loader, hevo_dagfactory.factory.operators
    logging.disable(logging.WARNING)
    folder = sys.argv[1]
    t0, c0 = time.perf_counter(), time.process_time()
    bag = DagBag(dag_folder=folder, safe_mode=True)
    fill, cpu = time.perf_counter() - t0, time.process_time() - c0
    import airflow
    loader = sys.modules.get("hevo_dagfactory.factory.loader")
    print(json.dumps({"airflow": airflow.__version__, "fill": fill, "cpu": cpu, "dags": len(bag.dags), "tasks": sum(len(d.tasks) for d in bag.dags.values()),
                      "errors": len(bag.import_errors), "stats": dict(loader.LAST_RUN) if loader else {}}))
    """)


def run_child(folder: Path, extra_env: dict[str, str] | None = None) -> dict:
    """One fresh process; returns the DagBag fill figures plus the whole process wall time."""
    started = time.perf_counter()
    proc = subprocess.run(
        [PYTHON, "-c", CHILD, str(folder)],
        env=_child_env(extra_env),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
    )
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark child failed for {folder}:\n{proc.stderr[-3000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["wall"] = wall
    return result


def task_start_wall(folder: Path, extra_env: dict[str, str] | None = None) -> float:
    """Interpreter start + the task runner's imports + a safe-mode DagBag of the DAG's file.

    What a worker pays before the task runs; the DAG file imports the operators itself.
    """
    code = TASK_RUNNER_PREIMPORT + "import sys\nDagBag(dag_folder=sys.argv[1], safe_mode=True)\n"
    started = time.perf_counter()
    subprocess.run(
        [PYTHON, "-c", code, str(folder)],
        env=_child_env(extra_env),
        cwd=REPO,
        check=True,
        capture_output=True,
        timeout=900,
    )
    return time.perf_counter() - started


def median_run(runs: list[dict]) -> dict:
    out = dict(runs[-1])
    for figure in ("fill", "cpu", "wall"):
        out[figure] = statistics.median(r[figure] for r in runs)
    return out


def interleaved(folders: list[Path], repeat: int, extra_env: dict[str, str] | None = None) -> list[dict]:
    """Median figures per folder, runs alternating between the folders.

    Why alternate: the machine is shared and its load drifts; taking A, B, A, B... exposes both
    variants to the same drift, so their ratio is fairer than back-to-back batches.
    """
    runs: list[list[dict]] = [[] for _ in folders]
    for _ in range(repeat):
        for i, folder in enumerate(folders):
            runs[i].append(run_child(folder, extra_env))
    return [median_run(r) for r in runs]
