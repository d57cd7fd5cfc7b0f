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
3. The same workflows in a Git DAG bundle (``parse_bundle.py``, Airflow 3 only; ``--skip-bundle``):
   a one-file commit in the dag-processor's checkout, a new dag-processor pod, and a worker's task
   start on a new bundle version.

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
import os
import shutil
import statistics
import subprocess
import sys
import time

import parse_common as common
from parse_common import REPO, generate, interleaved, median_run, run_child, target_dag, task_start_wall

DAGFACTORY_DIR = REPO / ".bench" / "dagfactory-1.1.0"


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


def _fills(paths: dict, repeat: int, df_note: str | None) -> tuple[dict, dict, dict, dict | None]:
    """(hand-written, cold, warm, dag-factory) DagBag fills: medians of runs taken in turn."""
    env = {"PYTHONPATH": str(DAGFACTORY_DIR)}  # dag-factory is importable only in its own runs
    runs: dict[str, list[dict]] = {"hand": [], "cold": [], "warm": [], "dagfactory": []}
    for _ in range(repeat):
        runs["hand"].append(run_child(paths["hand"]))
        shutil.rmtree(common.WORK / "model-cache", ignore_errors=True)
        runs["cold"].append(run_child(paths["ours"]))
        runs["warm"].append(run_child(paths["ours"]))
        if df_note is None:
            runs["dagfactory"].append(run_child(paths["dagfactory"], env))
    hand, cold, warm = (median_run(runs[k]) for k in ("hand", "cold", "warm"))
    return hand, cold, warm, median_run(runs["dagfactory"]) if df_note is None else None


def _single(paths: dict, n: int, repeat: int) -> tuple[dict, dict, dict, float, float]:
    """One DAG for a task: hand-written 1-DAG file vs our loader, then with our modules imported, then whole processes."""
    ctx = {"_AIRFLOW_PARSING_CONTEXT_DAG_ID": target_dag(n), "_AIRFLOW_PARSING_CONTEXT_TASK_ID": "dbt_build"}
    # A worker parses only the DAG's own file (the task runner's DagBag gets the file path), so
    # the single-DAG figures parse the one hand-written file vs our loader file.
    one_hand, one_ours = paths["hand_single"] / "hand_written_one.py", paths["ours"] / "hevo_workflows.py"
    single_hand, single_ours = interleaved([one_hand, one_ours], repeat, ctx)
    _, preimported = interleaved([one_hand, one_ours], repeat, {**ctx, "BENCH_PREIMPORT_HEVO_DAGFACTORY": "1"})
    starts: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        starts[0].append(task_start_wall(one_hand, ctx))
        starts[1].append(task_start_wall(one_ours, ctx))
    return single_hand, single_ours, preimported, statistics.median(starts[0]), statistics.median(starts[1])


def _warnings(n: int, fills: dict[str, dict | None], single_hand: dict, single_ours: dict) -> None:
    for name, r in fills.items():
        if r is not None and (r["dags"] != n or r["errors"]):
            print(f"WARNING: {name} produced {r['dags']} DAGs / {r['errors']} import errors (expected {n} / 0)")
    if single_ours["dags"] != 1 or single_hand["dags"] != 1:
        print(f"WARNING: single-DAG loads produced {single_ours['dags']} / {single_hand['dags']} DAGs (expected 1)")
    if single_ours["stats"].get("replayed") != 1 or single_ours["stats"].get("validated"):
        print(f"WARNING: the single-DAG load did not replay one cached build plan: {single_ours['stats']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workflows", type=int, default=1000)
    parser.add_argument("--repeat", "--runs", type=int, default=5, help="runs per figure (median shown)")
    parser.add_argument("--skip-dagfactory", action="store_true")
    parser.add_argument("--skip-bundle", action="store_true", help="leave out 3), the Git DAG bundle figures")
    parser.add_argument(
        "--workload",
        choices=("operating", "plain"),
        default="operating",
        help="operating: with issue 14's keys (deadline, params, notifications, pools) and team folders (default); "
        "plain: the workload before them",
    )
    parser.add_argument(
        "--python",
        default=sys.executable,
        help="interpreter of the measured processes, e.g. .venv-af2/bin/python for Airflow 2.11",
    )
    args = parser.parse_args()
    common.PYTHON = args.python
    common.use_workload(args.workload)
    if args.workload == "operating" and common.airflow_major() == 2:
        os.environ["HEVO_DAGFACTORY_ENV"] = "airflow2"  # no Deadline Alerts on 2.11: the overlay drops the deadline
    n = args.workflows
    began = time.perf_counter()
    paths = generate(n)
    print(
        f"{n} workflows (2 Hevo syncs + dbt + bash each, workload {args.workload}) in "
        f"{common.WORK.relative_to(REPO)}/; median of "
        f"{args.repeat} fresh processes per figure (variants in turn); Airflow and the operators imported "
        "before timing. The machine may be shared: compare the ratios, which are taken in one run.",
        flush=True,
    )
    df_note = "skipped (--skip-dagfactory)" if args.skip_dagfactory else ensure_dagfactory()
    hand, cold, warm, dagfactory = _fills(paths, args.repeat, df_note)
    print(f"Airflow {cold['airflow']} ({common.PYTHON})", flush=True)
    single_hand, single_ours, preimported, start_hand, start_ours = _single(paths, n, args.repeat)
    _warnings(n, {"hand": hand, "cold": cold, "warm": warm, "dagfactory": dagfactory}, single_hand, single_ours)
    _print_fills(n, hand, cold, warm, dagfactory, df_note)
    _print_single(target_dag(n), n, single_hand, single_ours, preimported, start_hand, start_ours)
    if not args.skip_bundle:
        import parse_bundle

        parse_bundle.main(n, args.repeat, paths["hand"], paths["hand_single"] / "hand_written_one.py")
    print(
        "targets: 1) warm <= 1.20x hand-written, cold <= 1.50x; 2) <= 1.50x a single hand-written DAG file; "
        "3) one-file commit <= 1.10x a warm parse"
    )
    print(f"bench_parse finished in {time.perf_counter() - began:.0f} s")
    return 0


def _print_fills(n: int, hand: dict, cold: dict, warm: dict, dagfactory: dict | None, df_note: str | None) -> None:
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
        f"   the same ratios in CPU time of the parsing process:   warm {warm['cpu'] / hand['cpu']:.2f}x, "
        f"cold {cold['cpu'] / hand['cpu']:.2f}x (steadier than wall time when the machine is shared)"
    )
    print(
        f"   DAGs / tasks                          {hand['dags']}/{hand['tasks']}      {warm['dags']}/{warm['tasks']}"
        + (f"          {dagfactory['dags']}/{dagfactory['tasks']}" if dagfactory else "")
    )


def _print_single(
    target: str, n: int, single_hand: dict, single_ours: dict, preimported: dict, start_hand: float, start_ours: float
) -> None:
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
        f"{_fmt_ms(preimported['fill'])}                "
        f"{preimported['fill'] / single_hand['fill']:5.2f}x"
    )
    print(
        f"   whole task-start process          {_fmt(start_hand)}              {_fmt(start_ours)}"
        f"                {start_ours / start_hand:5.2f}x"
    )
    print()


if __name__ == "__main__":
    sys.exit(main())
