"""``hevo-dagfactory demo``: the example workflows, end to end, in a real local Airflow (``make demo``).

Starts the Hevo simulator and Airflow (3.3: scheduler, dag-processor, triggerer, api-server; 2.11: scheduler,
triggerer, webserver) in ``.demo/airflow-home``
with the project's ``dags/`` reading ``configs/``, scripts every pipeline of the workflows as a short successful
job, starts one run of each workflow, shows progress, prints a result table and exits 0 only when every task
succeeded. ``--keep`` leaves Airflow running for the UI until Ctrl-C. Everything started is stopped on exit,
on an error and on Ctrl-C/SIGTERM.
"""

from __future__ import annotations

import argparse
import os
import shutil
import time
from pathlib import Path

import requests
from rich.console import Console
from rich.live import Live
from rich.table import Table

from hevo_dagfactory.demo import dbtsetup
from hevo_dagfactory.demo.client import AirflowApiError
from hevo_dagfactory.demo.cluster import ClusterStack
from hevo_dagfactory.demo.clusterdemo import CLUSTER_BLURB, DEMO_TRIGGERER_CAPACITY, bundle_files, served_notes
from hevo_dagfactory.demo.procs import StackError
from hevo_dagfactory.demo.runner import (
    DemoError,
    DemoPlan,
    DemoRunner,
    ResultRow,
    TrackedRun,
    connection_env_var,
    plan_from_configs,
    real_hevo_env,
)
from hevo_dagfactory.demo.stack import AirflowStack
from hevo_dagfactory.demo.standins import WebhookRecorder, slack_connection_json

_MARKER = ".hevo-dagfactory-demo-home"
_OK = {"success"}
_STATE_STYLE = {
    "success": "green",
    "failed": "red",
    "upstream_failed": "red",
    "deferred": "magenta",
    "running": "cyan",
    "queued": "yellow",
    "scheduled": "yellow",
}


def _project_dir(name: str) -> Path:
    """``./name`` when run from a checkout (``make demo``), else the folder next to the installed package."""
    here = Path.cwd() / name
    if here.is_dir():
        return here
    return Path(__file__).resolve().parents[2] / name


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--configs", type=Path, default=None, help="workflow folder (default: ./configs)")
    parser.add_argument("--dags", type=Path, default=None, help="Airflow dags folder (default: ./dags)")
    parser.add_argument(
        "--home",
        type=Path,
        default=None,
        help="AIRFLOW_HOME for the demo; recreated on every run (default: .demo/airflow-home, .demo/cluster-home)",
    )
    parser.add_argument(
        "--cluster",
        action="store_true",
        help="a production-shaped stack: PostgreSQL, Redis, CeleryExecutor with two workers, two schedulers, two "
        "triggerers, the workflows from a Git DAG bundle (make demo-cluster)",
    )
    parser.add_argument("--keep", action="store_true", help="leave Airflow running afterwards (Ctrl-C stops it)")
    parser.add_argument("--job-seconds", type=float, default=3.0, help="how long each simulated Hevo job runs")
    parser.add_argument("--timeout", type=float, default=300.0, help="give up after this many seconds of runs")
    parser.add_argument(
        "--dbt-venv",
        type=Path,
        default=None,
        help=f"virtualenv whose dbt and dbt-ol run the dbt steps (default: ./{dbtsetup.VENV_NAME})",
    )
    parser.add_argument(
        "--real-hevo",
        action="store_true",
        help="sync real pipelines: no simulator; the workflows' connections come from your AIRFLOW_CONN_* variables",
    )


def _fresh_home(home: Path) -> Path:
    """Recreate the demo home, refusing to wipe a folder the demo did not create."""
    home = home.resolve()
    if home.exists():
        if not (home / _MARKER).exists():
            raise DemoError(f"{home} exists and was not made by the demo; pass --home with a new or demo folder")
        shutil.rmtree(home)
    home.mkdir(parents=True)
    (home / _MARKER).write_text("created by hevo-dagfactory demo; deleted and recreated on every run\n")
    return home


def _dags_folder(args: argparse.Namespace, home: Path) -> Path:
    """The project's dags/ (whose loader reads ../configs), or a one-line loader for another --configs folder.

    The project's loader names its folder explicitly, so for any other folder the demo writes the plain
    ``load_workflows()`` loader, which reads ``HEVO_DAGFACTORY_CONFIG_DIR`` (set by the stack).
    """
    if args.dags is not None:
        dags = args.dags.resolve()
        if not dags.is_dir():
            raise DemoError(f"dags folder {dags} does not exist; pass --dags DIR (the folder with hevo_workflows.py)")
        return dags
    if args.configs is None and (_project_dir("dags") / "hevo_workflows.py").is_file():
        return _project_dir("dags").resolve()
    dags = home / "dags"
    dags.mkdir(parents=True, exist_ok=True)
    (dags / "hevo_workflows.py").write_text(
        '"""Demo loader: every workflow file in $HEVO_DAGFACTORY_CONFIG_DIR becomes an Airflow DAG."""\n\n'
        "from hevo_dagfactory import load_workflows\n\nload_workflows()\n"
    )
    return dags


def _dbt_venv(args: argparse.Namespace, plan: DemoPlan) -> Path | None:
    """The venv whose dbt runs the steps; None means the dbt on PATH. A DemoError when dbt is nowhere."""
    if args.dbt_venv is not None:
        venv = dbtsetup.find_venv([args.dbt_venv])
        if venv is None:
            raise DemoError(f"--dbt-venv {args.dbt_venv} has no bin/dbt; {dbtsetup.INSTALL_HINT}")
        return venv
    venv = dbtsetup.find_venv([Path.cwd() / dbtsetup.VENV_NAME, _project_dir(dbtsetup.VENV_NAME)])
    if venv is None and plan.dbt_steps and shutil.which("dbt") is None:
        raise DemoError(
            f"the workflows have {plan.dbt_steps} dbt step(s), but there is no {dbtsetup.VENV_NAME} and no dbt on "
            f"PATH; {dbtsetup.INSTALL_HINT} (`make demo` does), or pass --dbt-venv DIR"
        )
    return venv


def _progress_table(runs: list[TrackedRun], started: float) -> Table:
    table = Table(title=f"Workflow runs ({time.monotonic() - started:.0f}s)", expand=False)
    table.add_column("DAG")
    table.add_column("run")
    table.add_column("state")
    table.add_column("tasks")
    for run in sorted(runs, key=lambda r: r.dag_id):
        tasks = " ".join(
            f"[{_STATE_STYLE.get(str(t.get('state')), 'white')}]{t['task_id']}:{t.get('state') or 'none'}[/]"
            for t in run.tasks
        )
        style = _STATE_STYLE.get(run.state, "white")
        table.add_row(run.dag_id, run.how, f"[{style}]{run.state}[/]", tasks or "-")
    return table


def _result_table(rows: list[ResultRow]) -> Table:
    served = any(row.worker or row.triggerer for row in rows)  # the cluster stack says who served each sync
    table = Table(title="Result")
    cols = (
        "DAG",
        "task",
        "state",
        "Hevo job id / dbt result",
        "duration",
        *(("worker", "triggerer") if served else ()),
    )
    for col in cols:
        table.add_column(col)
    for row in rows:
        style = _STATE_STYLE.get(row.state, "white")
        duration = f"{row.duration_s:.1f}s" if isinstance(row.duration_s, (int, float)) else "-"
        what = row.job_id or (row.dbt.summary() if row.dbt else "-")
        cells = [row.dag_id, row.task_id, f"[{style}]{row.state}[/]", what, duration]
        table.add_row(*cells, *((row.worker or "", row.triggerer or "") if served else ()))
    return table


def _make_stack(
    args: argparse.Namespace, home: Path, dags: Path, configs: Path, env: dict[str, str], dbt_venv: Path | None
) -> AirflowStack:
    """The local stack, or with ``--cluster`` the production-shaped one with ``configs`` committed to its bundle."""
    dbt = {"dbt_venv": dbt_venv, "raw_data_projects": dbtsetup.example_projects(configs)}
    if args.cluster:
        return ClusterStack(
            home,
            workflows=bundle_files(configs),
            with_simulator=not args.real_hevo,
            extra_env=env,
            triggerer_capacity=DEMO_TRIGGERER_CAPACITY,
            **dbt,
        )
    return AirflowStack(
        home, dags_folder=dags, config_dir=configs, with_simulator=not args.real_hevo, extra_env=env, **dbt
    )


def _print_dbt_built(console: Console, rows: list[ResultRow], stack: AirflowStack) -> None:
    """Under the table: the models each dbt task built and where, and the lineage events dbt-ol wrote."""
    built = [r for r in rows if r.dbt is not None]
    if not built:
        return
    console.print("\n[bold]What dbt built[/] (artifacts of every dbt task under " + str(stack.dbt.artifacts) + "):")
    for row in built:
        where = f" in {row.dbt.duckdb_files[0]}" if row.dbt.duckdb_files else ""
        console.print(f"  {row.dag_id}.{row.task_id}: {', '.join(row.dbt.models) or 'no models'}{where}")
    events = stack.dbt.lineage_events()
    if events:
        jobs = sorted({e["job"]["name"] for e in events if e.get("job")})
        console.print(
            f"OpenLineage: {len(events)} events from dbt-ol (steps with lineage: true) in {stack.dbt.lineage_file}, "
            f"for {len(jobs)} jobs; see docs/lineage.md"
        )


class _Nothing:
    """A ``with`` block that does nothing (no Slack target in the workflows)."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _standin_env(plan: DemoPlan, slack: WebhookRecorder | None) -> dict[str, str]:
    """Every Slack connection of the workflows points at the local webhook stand-in (no real Slack here)."""
    if slack is None:
        return {}
    return {connection_env_var(c): slack_connection_json(slack.url) for c in plan.slack_connections}


def _await_success_messages(slack: WebhookRecorder, runner: DemoRunner, timeout: float = 60.0) -> None:
    """A run's success message is sent by a DAG callback after the run ended (dag-processor): give it time."""
    for run in runner.runs.values():
        if run.state == "success" and run.dag_id in runner.plan.success_notify:
            try:
                slack.wait_for(f"Workflow run succeeded: {run.dag_id}", timeout)
            except TimeoutError:
                runner.notes.append(f"{run.dag_id}: no success notification arrived within {timeout:.0f}s")


def _print_messages(console: Console, slack: WebhookRecorder, plan: DemoPlan) -> None:
    """What the workflows' Slack notifications said (the stand-in recorded them)."""
    texts = slack.texts()
    console.print(
        f"The local Slack stand-in ({slack.url}, for connection(s) {', '.join(plan.slack_connections)}) received "
        f"{len(texts)} message(s)" + (":" if texts else ".")
    )
    for text in texts:
        console.print("  " + text.replace("\n", "\n  "), markup=False, highlight=False)


def _report(
    console: Console, runner: DemoRunner, stack: AirflowStack, slack: WebhookRecorder | None, started: float
) -> list[ResultRow]:
    """The result table, the notes, the notifications received, and the verdict; returns the failed rows."""
    rows = runner.results()
    if slack is not None:
        _await_success_messages(slack, runner)
    console.print(_result_table(rows))
    _print_dbt_built(console, rows, stack)
    for note in runner.notes + served_notes(rows):
        console.print(f"note: {note}", soft_wrap=True, markup=False)
    if slack is not None:
        _print_messages(console, slack, runner.plan)
    failed = [r for r in rows if r.state not in _OK]
    if failed:
        console.print(
            f"[red]{len(failed)} task(s) did not succeed[/]; task logs are in {stack.logs_dir} "
            "(or re-run with --keep and open the UI)."
        )
    else:
        console.print(
            f"[green]All {len(rows)} tasks of {len(runner.runs)} run(s) succeeded[/] in "
            f"{time.monotonic() - started:.0f}s."
        )
    return failed


def _hold(console: Console, stack: AirflowStack) -> None:
    user, password = stack.ui_login
    console.print(
        f"\n[bold]Airflow is still running[/]: open {stack.api_url} and log in as [bold]{user}[/] / "
        f"[bold]{password}[/]"
        + (f"\nThe simulator answers on {stack.simulator.base_url}." if stack.simulator else "")
        + "\nPress Ctrl-C to stop everything."
    )
    while all(p.alive() for p in stack.procs.values()):
        time.sleep(1.0)
    console.print("[red]an Airflow component stopped by itself; shutting down (see the logs above)[/]")


def _run_and_report(
    console: Console,
    stack: AirflowStack,
    plan: DemoPlan,
    args: argparse.Namespace,
    started: float,
    slack: WebhookRecorder | None,
) -> bool:
    """Run the plan's workflows on the stack with a live table, print the result; True if a task failed."""
    runner = DemoRunner(
        stack.api,
        stack.simulator.admin if stack.simulator else None,
        plan,
        job_seconds=args.job_seconds,
        timeout_s=args.timeout,
        served_by=stack.served_by if isinstance(stack, ClusterStack) else None,
        dbt=stack.dbt,
    )
    runner.script_pipelines()
    runner.create_pools()
    runner.start()
    with Live(console=console, refresh_per_second=2, transient=False) as live:
        runner.on_progress = lambda runs: live.update(_progress_table(runs, started))
        runner.watch()
    console.print()
    return bool(_report(console, runner, stack, slack, started))


def run(args: argparse.Namespace) -> int:
    console = Console()
    if not console.is_terminal:  # piped or CI: keep ids and task names readable instead of 80 columns
        console = Console(width=140)
    configs = (args.configs or _project_dir("configs")).resolve()
    try:
        plan = plan_from_configs(configs)
        real_env = real_hevo_env(plan, dict(os.environ)) if args.real_hevo else {}
        dbt_venv = _dbt_venv(args, plan)
        home = _fresh_home(args.home or Path(".demo") / ("cluster-home" if args.cluster else "airflow-home"))
        dags = _dags_folder(args, home)
    except DemoError as exc:
        console.print(f"[red]demo: {exc}[/]")
        return 2
    console.print(
        f"Starting the Hevo simulator and Airflow{CLUSTER_BLURB if args.cluster else ''} in {home} "
        f"(about {'a minute' if args.cluster else '30 s'}) for {len(plan.dag_ids)} workflow(s): {', '.join(plan.dag_ids)}"
    )
    started = time.monotonic()
    slack = WebhookRecorder() if plan.slack_connections else None
    try:
        stack = _make_stack(args, home, dags, configs, {**_standin_env(plan, slack), **real_env}, dbt_venv)
        if args.real_hevo:
            console.print(f"[yellow]--real-hevo: the runs start real syncs of pipelines {list(plan.pipeline_ids)}[/]")
        with stack, slack or _Nothing():
            console.print(f"Stack up in {time.monotonic() - started:.0f}s.\n{stack.describe()}")
            failed = _run_and_report(console, stack, plan, args, started, slack)
            if args.keep:
                _hold(console, stack)
            return 1 if failed else 0
    except KeyboardInterrupt:
        console.print("\ninterrupted: every process the demo started has been stopped")
        return 130
    except (DemoError, StackError, AirflowApiError, TimeoutError, requests.RequestException) as exc:
        console.print(
            f"[red]demo failed: {exc}[/]\nEverything the demo started has been stopped. Logs: {home / 'logs'}"
        )
        return 1
