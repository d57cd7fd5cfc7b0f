"""Parse-time benchmark: hevo-dagfactory vs hand-written Python DAGs vs dag-factory 1.1.

What it measures (each figure in a fresh Python process, so no variant profits from another's
warm memory; Airflow, BashOperator and HevoPipelineOperator are imported before the clock starts
in every variant, so only the work of turning the folder into DAGs is timed):

1. Fill a DagBag with 1000 workflows (2 Hevo syncs + dbt + bash each):
   - hand-written: the equivalent DAGs written out in one Python file;
   - hevo-dagfactory: 1000 YAML files + the loader, first with an empty model cache (cold, what
     the very first parse after a deploy costs) and then with the cache filled (warm, every
     later parse in the dag-processor);
   - dag-factory 1.1.0: equivalent YAML, one file per workflow, with its ``load_yaml_dags``.
2. Load the one DAG a worker needs to run a task (Airflow's parsing context set for the middle
   workflow, and a safe-mode DagBag given the DAG's file, as Airflow's task runner does):
   - hevo-dagfactory's loader over the whole folder vs a single hand-written one-DAG file; shown
     as the DagBag fill time (which includes importing hevo_dagfactory's loader modules, which
     the hand-written file does not need), the same with those modules imported first, and the
     whole task-start process (interpreter + the task runner's imports + the parse). The issue's
     target (at most 1.5x) is on the first figure. A warning is printed unless our load replayed
     exactly one cached build plan (the path a worker takes after the dag-processor's parse).

Run: ``.venv/bin/python bench/bench_parse.py [--workflows 1000] [--repeat 3]`` (``make bench``);
``--runs`` is another name for ``--repeat``.

The workload (``--workload operating``, the default) uses what issue 14 added, on both sides: the YAML files
sit in 10 team folders with a ``defaults.yaml`` each (notifications, run parameters) under a root
``defaults.yaml`` and an ``.airflowignore``, and every workflow has notifications, a deadline (Airflow 3.3; on
2.11 the bench selects an ``airflow2`` overlay that switches it off, as a 2.11 user must), run parameters, an
``exclusive`` sync, a pool, a priority and its source YAML in the DAG docs; the hand-written file makes the
same DAGs (the same notifier objects, Params, Deadline Alerts, pools and doc text). ``--workload plain`` is the
workload before issue 14 (one flat folder, none of these keys), for a before/after comparison in one session.
``--python .venv-af2/bin/python`` measures the same on another Airflow line (``make bench`` does so for
Airflow 2.11, without dag-factory): every child process then runs that interpreter, with its own
AIRFLOW_HOME, and the files are written so that they import on both lines.
dag-factory is installed on first use with ``pip install --no-deps --target .bench/dagfactory-1.1.0``
(its dependencies are all Airflow's, already in .venv); it is put on ``sys.path`` only for its own
child process, so its Airflow plugin and telemetry listener never enter the project's venv.
"""

from __future__ import annotations

import argparse
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
WORK = REPO / ".bench" / "parse"  # ``--workload plain``; the operating workload uses parse-operating/
WORKLOAD = "operating"
TEAMS = 10  # team folders of the operating workload (workload_operating.py)
DAGFACTORY_DIR = REPO / ".bench" / "dagfactory-1.1.0"

#: The interpreter of every child process (``--python``): the Airflow line being measured.
PYTHON = sys.executable

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


def target_index(n: int) -> int:
    """Which workflow the single-DAG figures load: the middle one of a 1000-file folder."""
    return min(500, n - 1)


def target_dag(n: int) -> str:
    return _ids(target_index(n))[0]


# --- generation ---------------------------------------------------------------------------------
def _ids(i: int) -> tuple[str, int, int]:
    return f"wf_{i:04d}", 2 * i + 1, 2 * i + 2


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


def ours_path(i: int) -> str:
    """Where workflow ``i`` lives below the loader's folder: a team folder in the operating workload."""
    name = f"{_ids(i)[0]}.yaml"
    return f"team_{i % TEAMS:02d}/{name}" if WORKLOAD == "operating" else name


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
    """Write the four folders under .bench/parse/ (only if the workflow count changed)."""
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
def _airflow_major() -> int:
    """The Airflow major version of the measured interpreter (``--python``)."""
    code = "from importlib.metadata import version; print(version('apache-airflow'))"
    out = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, check=True, timeout=120).stdout
    return int(out.strip().split(".")[0])


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


def _median(runs: list[dict]) -> dict:
    out = dict(runs[-1])
    out["fill"] = statistics.median(r["fill"] for r in runs)
    out["cpu"] = statistics.median(r["cpu"] for r in runs)
    out["wall"] = statistics.median(r["wall"] for r in runs)
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
    return [_median(r) for r in runs]


def ensure_dagfactory() -> str | None:
    """Install dag-factory 1.1.0 into .bench/ (not into .venv); return why not if that fails."""
    if (DAGFACTORY_DIR / "dagfactory" / "__init__.py").exists():
        return None
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            "--no-deps",
            "--target",
            str(DAGFACTORY_DIR),
            "dag-factory==1.1.0",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if proc.returncode != 0:
        return f"pip install dag-factory==1.1.0 failed: {proc.stderr.strip()[-300:]}"
    return None


# --- report ---------------------------------------------------------------------------------------
def _fmt(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds:8.3f} s"


def _fmt_ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workflows", type=int, default=1000)
    parser.add_argument("--repeat", "--runs", type=int, default=5, help="runs per figure (median shown)")
    parser.add_argument("--skip-dagfactory", action="store_true")
    parser.add_argument(
        "--workload",
        choices=("operating", "plain"),
        default="operating",
        help="operating: with issue 14's keys and team folders (default); plain: the workload before them",
    )
    parser.add_argument(
        "--python",
        default=sys.executable,
        help="interpreter of the measured processes, e.g. .venv-af2/bin/python for Airflow 2.11",
    )
    args = parser.parse_args()
    global PYTHON, WORKLOAD, WORK
    PYTHON = args.python
    WORKLOAD = args.workload
    if WORKLOAD == "operating":
        WORK = REPO / ".bench" / "parse-operating"
        if _airflow_major() == 2:  # no Deadline Alerts on 2.11: the workflows' overlay switches the deadline off
            os.environ["HEVO_DAGFACTORY_ENV"] = "airflow2"
    n = args.workflows
    began = time.perf_counter()
    paths = generate(n)
    print(
        f"{n} workflows (2 Hevo syncs + dbt + bash each, workload {WORKLOAD}) in {WORK.relative_to(REPO)}/; median of "
        f"{args.repeat} fresh processes per figure; Airflow and the operators imported before timing.",
        flush=True,
    )

    shutil.rmtree(WORK / "model-cache", ignore_errors=True)
    cold = run_child(paths["ours"])
    print(f"Airflow {cold['airflow']} ({PYTHON})", flush=True)
    df_note = "skipped (--skip-dagfactory)" if args.skip_dagfactory else ensure_dagfactory()
    dagfactory = None
    if df_note is None:
        # dag-factory is importable only in its own runs (PYTHONPATH), never in the project venv.
        env = {"PYTHONPATH": str(DAGFACTORY_DIR)}
        runs: tuple[list[dict], ...] = ([], [], [])
        for _ in range(args.repeat):
            runs[0].append(run_child(paths["hand"]))
            runs[1].append(run_child(paths["ours"]))
            runs[2].append(run_child(paths["dagfactory"], env))
        hand, warm, dagfactory = (_median(r) for r in runs)
    else:
        hand, warm = interleaved([paths["hand"], paths["ours"]], args.repeat)

    target = target_dag(n)
    ctx = {"_AIRFLOW_PARSING_CONTEXT_DAG_ID": target, "_AIRFLOW_PARSING_CONTEXT_TASK_ID": "dbt_build"}
    # A worker parses only the DAG's own file (the task runner's DagBag gets the file path), so
    # the single-DAG figures parse the one hand-written file vs our loader file.
    one_hand, one_ours = paths["hand_single"] / "hand_written_one.py", paths["ours"] / "hevo_workflows.py"
    single_hand, single_ours = interleaved([one_hand, one_ours], args.repeat, ctx)
    _, single_ours_warm_imports = interleaved(
        [one_hand, one_ours], args.repeat, {**ctx, "BENCH_PREIMPORT_HEVO_DAGFACTORY": "1"}
    )
    starts: tuple[list[float], list[float]] = ([], [])
    for _ in range(args.repeat):
        starts[0].append(task_start_wall(one_hand, ctx))
        starts[1].append(task_start_wall(one_ours, ctx))
    start_hand, start_ours = (statistics.median(s) for s in starts)

    for name, r in (("hand", hand), ("cold", cold), ("warm", warm), ("dagfactory", dagfactory)):
        if r is not None and (r["dags"] != n or r["errors"]):
            print(f"WARNING: {name} produced {r['dags']} DAGs / {r['errors']} import errors (expected {n} / 0)")
    if single_ours["dags"] != 1 or single_hand["dags"] != 1:
        print(f"WARNING: single-DAG loads produced {single_ours['dags']} / {single_hand['dags']} DAGs (expected 1)")
    if single_ours["stats"].get("replayed") != 1 or single_ours["stats"].get("validated"):
        print(f"WARNING: the single-DAG load did not replay one cached build plan: {single_ours['stats']}")

    print()
    print(f"1) DagBag fill, {n} workflows        hand-written   hevo-dagfactory   dag-factory 1.1")
    print(
        f"   warm (cache filled)               {_fmt(hand['fill'])}     {_fmt(warm['fill'])}        "
        f"{_fmt(dagfactory['fill']) if dagfactory else df_note}"
    )
    df_ratio = f"{dagfactory['fill'] / hand['fill']:5.2f}x" if dagfactory else "n/a"
    print(
        f"   ratio to hand-written                 1.00x          {warm['fill'] / hand['fill']:5.2f}x"
        f"            {df_ratio}"
    )
    print(
        f"   CPU time (steadier on a busy machine) {_fmt(hand['cpu'])}     {_fmt(warm['cpu'])}   "
        f"({warm['cpu'] / hand['cpu']:.2f}x)"
    )
    print(
        f"   cold (first parse, empty cache)                      {_fmt(cold['fill'])}  "
        f"({cold['fill'] / hand['fill']:.2f}x)"
    )
    print(
        f"   DAGs / tasks                          {hand['dags']}/{hand['tasks']}      {warm['dags']}/{warm['tasks']}"
        + (f"          {dagfactory['dags']}/{dagfactory['tasks']}" if dagfactory else "")
    )
    print()
    print(f"2) One DAG for a task ({target})    hand-written 1-DAG file   hevo-dagfactory ({n} files)   ratio")
    print(
        f"   DagBag fill                       {_fmt_ms(single_hand['fill'])}              "
        f"{_fmt_ms(single_ours['fill'])}                {single_ours['fill'] / single_hand['fill']:5.2f}x"
    )
    print(
        f"   CPU time                          {_fmt_ms(single_hand['cpu'])}              "
        f"{_fmt_ms(single_ours['cpu'])}                {single_ours['cpu'] / single_hand['cpu']:5.2f}x"
    )
    print(
        f"   same, hevo_dagfactory already imported                     "
        f"{_fmt_ms(single_ours_warm_imports['fill'])}                "
        f"{single_ours_warm_imports['fill'] / single_hand['fill']:5.2f}x"
    )
    print(
        f"   whole task-start process          {_fmt(start_hand)}              {_fmt(start_ours)}"
        f"                {start_ours / start_hand:5.2f}x"
    )
    print()
    print("targets: 1) warm <= 1.20x hand-written; 2) <= 1.50x a single hand-written DAG file")
    print(f"bench_parse finished in {time.perf_counter() - began:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
