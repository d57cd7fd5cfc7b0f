"""What ``hevo-dagfactory demo`` does inside a running stack: script Hevo, start the runs, watch them, collect.

Kept apart from the stack (which only knows processes) and from the CLI (which only knows the terminal), so the
e2e tests can reuse the same "start every workflow and wait" logic the user sees.

How runs start, and why:
- A DAG with a cron schedule whose latest interval has passed gets a *scheduled* run the moment it is unpaused
  (``catchup: false`` still runs the latest interval). Triggering it by hand too would sync every pipeline
  twice, so the demo only triggers by hand the DAGs Airflow will not start by itself (``next_dagrun_run_after``
  is empty or in the future).
- A DAG scheduled on Assets is left to Airflow: the upstream sync task emits the Asset event and the scheduler
  starts it. Only if no run appears within ``asset_grace_s`` after its producers finished is it triggered by hand,
  and the result table says so.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import requests

from hevo_dagfactory.demo.client import TERMINAL_RUN_STATES, AirflowClient
from hevo_dagfactory.demo.dbtsetup import DbtSetup, TaskResult
from hevo_dagfactory.demo.simproc import SimulatorAdmin

#: the operators of sync tasks (the second: a workflow with the ``resync`` run parameter)
SYNC_OPERATORS = ("HevoPipelineOperator", "HevoRunParamsOperator")
DBT_OPERATOR = "DbtBashOperator"


class DemoError(RuntimeError):
    """A problem the user must fix before the demo can run; the message says what to do."""


@dataclass(frozen=True)
class DemoPlan:
    """The workflows found in the config folder, reduced to what the demo needs."""

    dag_ids: tuple[str, ...]
    pipeline_ids: tuple[int, ...]
    asset_driven: tuple[str, ...]  # DAG ids scheduled on Assets
    producers: dict[str, tuple[str, ...]]  # asset-driven dag id -> dag ids whose syncs emit its assets
    connection_ids: tuple[str, ...] = ("hevo_airflow_conn_id",)  # Airflow connections the syncs use
    dbt_steps: int = 0  # how many dbt steps the workflows have (the demo then needs dbt)
    slack_connections: tuple[str, ...] = ()  # Slack webhook connections of notify targets (a local stand-in)
    success_notify: tuple[str, ...] = ()  # DAGs whose Slack targets hear of a successful run
    pools: dict[str, dict[str, Any]] = field(default_factory=dict)  # pools the workflows need (spec.pools)


def connection_env_var(conn_id: str) -> str:
    """The environment variable Airflow reads a connection from (``AIRFLOW_CONN_<ID>``)."""
    return f"AIRFLOW_CONN_{conn_id.upper()}"


def real_hevo_env(plan: DemoPlan, environ: dict[str, str]) -> dict[str, str]:
    """The caller's ``AIRFLOW_CONN_*`` variables for every connection the workflows use (``--real-hevo``).

    Raises ``DemoError`` naming each missing variable and how to set it; the values are never printed.
    """
    missing = [c for c in plan.connection_ids if not environ.get(connection_env_var(c))]
    if missing:
        examples = "\n".join(
            f'  export {connection_env_var(c)}=\'{{"conn_type": "hevo", "login": "<API key>", '
            f'"password": "<API secret>", "extra": {{"region": "us"}}}}\''
            for c in missing
        )
        raise DemoError(
            f"--real-hevo needs the Airflow connection(s) {', '.join(missing)} in the environment:\n{examples}\n"
            "(use your region: asia, au, eu, in, us or us2; the workflows' pipeline ids must exist in that account)"
        )
    return {connection_env_var(c): environ[connection_env_var(c)] for c in plan.connection_ids}


def plan_from_configs(config_dir: Path) -> DemoPlan:
    """Validate every workflow file (no Airflow needed) and list DAGs, pipelines and Asset links."""
    from hevo_dagfactory.spec import AssetSchedule, load_paths

    if not config_dir.is_dir():
        raise DemoError(f"config folder {config_dir} does not exist; pass --configs DIR with your workflow files")
    result = load_paths([config_dir])
    if result.errors:
        lines = "\n".join(f"  {e}" for e in result.errors)
        raise DemoError(
            f"{len(result.errors)} problem(s) in the workflow files under {config_dir}:\n{lines}\n"
            "Fix them (run `hevo-dagfactory validate` for details), then run the demo again."
        )
    if not result.workflows:
        raise DemoError(f"no workflow files found under {config_dir}; `hevo-dagfactory new` writes a starter file")
    emits: dict[str, set[str]] = {}
    for wf in result.workflows:
        for sync in wf.syncs:
            if sync.wait != "none":
                emits.setdefault(sync.asset_uri(wf.hevo.region), set()).add(wf.dag_id)
    asset_driven, producers = [], {}
    for wf in result.workflows:
        if isinstance(wf.schedule, AssetSchedule):
            asset_driven.append(wf.dag_id)
            producers[wf.dag_id] = tuple(sorted({d for uri in wf.schedule.uris for d in emits.get(uri, ())}))
    pipelines = sorted({int(s.pipeline_id) for wf in result.workflows for s in wf.syncs})
    from hevo_dagfactory.spec.pools import required_pools

    targets = [t for wf in result.workflows for t in (*wf.notify, *(wf.deadline.notify if wf.deadline else ()))]
    return DemoPlan(
        slack_connections=tuple(sorted({t.connection_id for t in targets if t.kind == "slack"})),
        success_notify=tuple(
            sorted(
                wf.dag_id for wf in result.workflows if any(t.kind == "slack" and "success" in t.on for t in wf.notify)
            )
        ),
        pools=required_pools(result.workflows, named=True),
        connection_ids=tuple(sorted({wf.hevo.connection_id for wf in result.workflows if wf.syncs})),
        dag_ids=tuple(sorted(wf.dag_id for wf in result.workflows)),
        pipeline_ids=tuple(pipelines),
        asset_driven=tuple(asset_driven),
        producers=producers,
        dbt_steps=sum(1 for wf in result.workflows for st in wf.steps if st.kind == "dbt"),
    )


@dataclass
class TrackedRun:
    dag_id: str
    run_id: str
    run_type: str
    state: str = "queued"
    how: str = ""  # why this run exists: "scheduled on unpause", "triggered by hand", "asset event", ...
    tasks: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ResultRow:
    dag_id: str
    run_type: str
    task_id: str
    state: str
    job_id: str
    duration_s: float | None
    note: str = ""
    run_id: str = ""
    worker: str = ""  # the cluster stack: which Celery worker finished the task (its host name)
    triggerer: str = ""  # ... and which triggerer(s) ran a deferred sync's trigger
    dbt: TaskResult | None = None  # what a dbt task did (its run_results.json)


def _parse_ts(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class DemoRunner:
    """Scripts the simulator, starts one run per workflow, watches until every run is terminal."""

    def __init__(
        self,
        api: AirflowClient,
        sim: SimulatorAdmin | None,
        plan: DemoPlan,
        *,
        job_seconds: float = 3.0,
        timeout_s: float = 600.0,
        asset_grace_s: float = 45.0,
        on_progress: Callable[[list[TrackedRun]], None] | None = None,
        served_by: Callable[[str, str, dict[str, Any]], tuple[str, str]] | None = None,
        dbt: DbtSetup | None = None,
    ):
        self.api = api
        # (dag_id, run_id, task instance) -> (worker, triggerer) of a sync task; the cluster stack knows them.
        self.served_by = served_by
        self.sim = sim
        self.plan = plan
        self.job_seconds = job_seconds
        self.timeout_s = timeout_s
        self.asset_grace_s = asset_grace_s
        self.on_progress = on_progress
        self.dbt = dbt
        self.runs: dict[str, TrackedRun] = {}
        self.notes: list[str] = []
        self.skipped: set[str] = set()  # DAGs this Airflow shows as placeholders (e.g. a deadline on 2.11)

    def script_pipelines(self) -> None:
        """Every pipeline id of every workflow: a successful job of ``job_seconds`` (no-op for real Hevo)."""
        if self.sim is None:
            return
        for pid in self.plan.pipeline_ids:
            self.sim.script(pid, job_duration_s=self.job_seconds)

    def create_pools(self) -> None:
        """The pools the workflows need (``exclusive`` syncs, named pools), as a deployment creates them."""
        for name, pool in self.plan.pools.items():
            self.api.create_pool(name, pool["slots"], pool["description"], pool["include_deferred"])

    def _skip_placeholders(self) -> None:
        """Leave out the workflows this Airflow cannot run as written (a placeholder DAG says why), with a note."""
        for dag_id in self.plan.dag_ids:
            dag = self.api.dag(dag_id) or {}
            tags = {t.get("name") if isinstance(t, dict) else t for t in dag.get("tags") or ()}
            if "config-error" in tags:
                self.skipped.add(dag_id)
                self.notes.append(f"{dag_id}: not run on this Airflow: {dag.get('description')}")

    def start(self, dag_wait_s: float = 120.0) -> None:
        """Wait for the DAGs, unpause them all, trigger the ones Airflow will not start by itself."""
        self.api.wait_for_dags(list(self.plan.dag_ids), timeout=dag_wait_s)
        self._skip_placeholders()
        now = datetime.now(timezone.utc)
        for dag_id in self.plan.asset_driven:  # first, so no Asset event can be missed
            self.api.unpause(dag_id)
        for dag_id in self.plan.dag_ids:
            if dag_id in self.plan.asset_driven or dag_id in self.skipped:
                continue
            dag = self.api.dag(dag_id) or {}
            run_after = _parse_ts(dag.get("next_dagrun_run_after"))
            self.api.unpause(dag_id)
            if run_after is not None and run_after <= now:
                self.notes.append(
                    f"{dag_id}: started by its own schedule on unpause (interval {run_after:%Y-%m-%d %H:%M})"
                )
                continue
            # A logical date, as the UI's trigger form sets one: templates like {{ ds }} then render.
            run_id = self.api.trigger(dag_id, logical_date=datetime.now(timezone.utc))
            self.runs[f"{dag_id}/{run_id}"] = TrackedRun(dag_id, run_id, "manual", how="triggered by hand")

    def _discover(self) -> None:
        for dag_id in self.plan.dag_ids:
            if dag_id in self.skipped:
                continue
            for run in self.api.dag_runs(dag_id):
                key = f"{dag_id}/{run['dag_run_id']}"
                if key not in self.runs:
                    kind = str(run.get("run_type"))
                    how = {"asset_triggered": "Asset event from upstream", "scheduled": "scheduled on unpause"}
                    self.runs[key] = TrackedRun(dag_id, run["dag_run_id"], kind, how=how.get(kind, kind))

    def _refresh(self) -> None:
        for run in self.runs.values():
            if run.state in TERMINAL_RUN_STATES:
                continue
            run.state = str(self.api.dag_run(run.dag_id, run.run_id)["state"])
            run.tasks = self.api.task_instances(run.dag_id, run.run_id)

    def _asset_fallback(self, producers_done_at: dict[str, float]) -> None:
        """Trigger an asset-driven DAG by hand only when its Asset event did not start it in time."""
        for dag_id in self.plan.asset_driven:
            if dag_id in self.skipped or any(r.dag_id == dag_id for r in self.runs.values()):
                continue
            producers = self.plan.producers.get(dag_id, ())
            runs = [r for r in self.runs.values() if r.dag_id in producers]
            if producers and (not runs or any(r.state not in TERMINAL_RUN_STATES for r in runs)):
                continue
            done = producers_done_at.setdefault(dag_id, time.monotonic())
            if time.monotonic() - done < self.asset_grace_s:
                continue
            why = (
                f"no Asset event started it within {self.asset_grace_s:.0f}s after its upstream finished"
                if producers
                else "none of the demo's workflows produces the Assets it waits for"
            )
            run_id = self.api.trigger(dag_id, logical_date=datetime.now(timezone.utc))
            self.runs[f"{dag_id}/{run_id}"] = TrackedRun(dag_id, run_id, "manual", how=f"triggered by hand: {why}")
            self.notes.append(f"{dag_id}: triggered by hand because {why}")

    def watch(self, interval: float = 1.0) -> list[TrackedRun]:
        """Poll until every DAG has a run and every run is terminal (bounded by ``timeout_s``)."""
        deadline = time.monotonic() + self.timeout_s
        producers_done_at: dict[str, float] = {}
        while True:
            try:
                self._discover()
                self._refresh()
            except requests.Timeout:  # a busy machine: the API answered late; these reads are asked again
                pass
            self._asset_fallback(producers_done_at)
            if self.on_progress:
                self.on_progress(list(self.runs.values()))
            every_dag_ran = all(
                any(r.dag_id == d for r in self.runs.values()) for d in self.plan.dag_ids if d not in self.skipped
            )
            if every_dag_ran and all(r.state in TERMINAL_RUN_STATES for r in self.runs.values()):
                return list(self.runs.values())
            if time.monotonic() > deadline:
                pending = [f"{r.dag_id} ({r.state})" for r in self.runs.values() if r.state not in TERMINAL_RUN_STATES]
                missing = [
                    d
                    for d in self.plan.dag_ids
                    if d not in self.skipped and not any(r.dag_id == d for r in self.runs.values())
                ]
                raise DemoError(
                    f"the demo timed out after {self.timeout_s:.0f}s; still running: {pending or '-'}; never started: "
                    f"{missing or '-'}. Look at the scheduler and triggerer logs (paths above), or re-run with --keep "
                    "and open the Airflow UI."
                )
            time.sleep(interval)

    def results(self) -> list[ResultRow]:
        """One row per task of every run: a sync's Hevo job id and duration (its XCom), what a dbt task built."""
        rows: list[ResultRow] = []
        for run in sorted(self.runs.values(), key=lambda r: (r.dag_id, r.run_id)):
            tis = self.api.task_instances(run.dag_id, run.run_id)
            for ti in sorted(tis, key=lambda t: (t.get("start_date") or "9", t["task_id"])):
                job_id, duration, worker, triggerer, dbt = "", ti.get("duration"), "", "", None
                if ti.get("operator") in SYNC_OPERATORS:
                    value = self.api.xcom(run.dag_id, run.run_id, ti["task_id"])
                    if isinstance(value, dict):
                        job_id = str(value.get("job_id") or "")
                        duration = value.get("duration_s", duration)
                    if self.served_by is not None:
                        worker, triggerer = self.served_by(run.dag_id, run.run_id, ti)
                elif ti.get("operator") == DBT_OPERATOR and self.dbt is not None:
                    dbt = self.dbt.result(run.dag_id, run.run_id, ti["task_id"], int(ti.get("try_number") or 1))
                state = str(ti.get("state"))
                row = ResultRow(run.dag_id, run.run_type, ti["task_id"], state, job_id, duration, run.how)
                row.run_id, row.worker, row.triggerer, row.dbt = run.run_id, worker, triggerer, dbt
                rows.append(row)
        return rows
