"""``Workflow`` → Airflow ``DAG``: schedule, default_args, tags, docs, tasks and dependencies.

Why this is small: each task comes from the step-kind registry (``steps.py``); this module only
assembles. Syncs have no upstream, so they run in parallel; a step runs after its ``after`` list,
or after every sync when ``after`` is omitted. The function touches neither the network nor
the metadata DB, so it is safe at parse time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hevo_dagfactory.factory import alerts, controls, docs
from hevo_dagfactory.factory import plan as build_plan
from hevo_dagfactory.factory.problems import cannot_run
from hevo_dagfactory.factory.relocate import anchor_for
from hevo_dagfactory.factory.runparams import dag_params
from hevo_dagfactory.factory.steps import SYNC_KIND, BuildContext, build_task, emits_asset
from hevo_dagfactory.provider.compat import DAG, Asset, AssetAll, AssetAny, needs_start_date, schedule_argument

if TYPE_CHECKING:
    from hevo_dagfactory.factory.plan import Plan
    from hevo_dagfactory.spec.model import Schedule, Workflow

#: Tag every generated DAG carries (plus ``region:<r>``), so the UI can filter on it.
HEVO_TAG = "hevo"


def dag_schedule(schedule: Schedule) -> Any:
    """Cron/preset strings and None pass through; an AssetSchedule becomes an asset condition."""
    if schedule is None or isinstance(schedule, str):
        return schedule
    assets = [Asset(uri) for uri in schedule.uris]
    if len(assets) == 1:
        return assets
    return AssetAny(*assets) if schedule.any else AssetAll(*assets)


def dag_tags(workflow: Workflow) -> list[str]:
    """``hevo``, ``region:<r>`` and the user's tags, de-duplicated in that order."""
    tags = [HEVO_TAG, f"region:{workflow.hevo.region}", *workflow.tags]
    return list(dict.fromkeys(tags))


def default_args(workflow: Workflow) -> dict[str, Any]:
    d = workflow.defaults
    args: dict[str, Any] = {"owner": workflow.owner, "retries": d.retries, "retry_delay": d.retry_delay}
    if d.execution_timeout is not None:
        args["execution_timeout"] = d.execution_timeout
    args.update(controls.control_args(d.controls))
    return args


def operating_args(workflow: Workflow, source_name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(extra ``DAG(...)`` arguments, extra ``default_args``): limits, params, callbacks, the deadline.

    Raises ``ConfigErrors`` when this Airflow cannot run them as written (``alerts.py``).
    """
    alerts.check_providers(workflow, source_name)
    task_callbacks, dag_callbacks = alerts.callbacks(workflow)
    dag_args = {**controls.dag_limits(workflow), **dag_callbacks, **alerts.deadline_args(workflow, source_name)}
    params = dag_params(workflow)
    if params:
        dag_args["params"] = params
    return dag_args, task_callbacks


def build_dag(workflow: Workflow, *, source_name: str | None = None) -> DAG:
    """Build the DAG for one validated workflow.

    ``source_name`` is how the workflow file is named in the DAG's docs (relative to the config
    folder, so no machine paths reach the UI); it defaults to the file name.
    """
    return build_dag_and_plan(workflow, source_name=source_name)[0]


def build_dag_and_plan(workflow: Workflow, *, source_name: str | None = None) -> tuple[DAG, Plan | None]:
    """:func:`build_dag`, plus the build plan that replays it (``plan.py``; None if a builder bypassed it)."""
    wf = workflow
    name = source_name or wf.source.name
    emitted = [s.asset_uri(wf.hevo.region) for s in wf.syncs if emits_asset(s)]
    extra_dag_args, task_callbacks = operating_args(wf, name)
    dag_kwargs = dict(
        dag_id=wf.dag_id,
        description=wf.description,
        schedule=schedule_argument(dag_schedule(wf.schedule), wf.timezone),
        start_date=wf.start_date,
        end_date=wf.end_date,
        catchup=wf.catchup,
        max_active_runs=wf.max_active_runs,
        tags=dag_tags(wf),
        default_args={**default_args(wf), **task_callbacks},
        doc_md=docs.workflow_doc_md(wf, name, emitted),
        **extra_dag_args,
    )
    if needs_start_date(dag_kwargs["schedule"], wf.start_date):
        raise cannot_run(
            name,
            "this Airflow (2.x) cannot schedule a workflow without a start_date",
            "/schedule",
            "add e.g. 'start_date: 2026-01-01' (Airflow 3 schedules it from now without one)",
            "needs_start_date",
        )
    anchor, up = anchor_for(str(wf.source.parent), (step.body for step in wf.steps))
    recorder = build_plan.Recorder(wf.dag_id, dag_kwargs, anchor, up)
    dag = DAG(**dag_kwargs)
    ctx = BuildContext(
        workflow=wf, dag=dag, base_dir=wf.source.parent, recorder=recorder, task_args=controls.task_args(wf)
    )
    tasks: dict[str, Any] = {}
    for sync in wf.syncs:
        tasks[sync.id] = build_task(SYNC_KIND, ctx, sync, sync.id)
    for step in wf.steps:
        tasks[step.id] = build_task(step.kind, ctx, step.body, step.id)
    for step in wf.steps:
        upstream = wf.upstream_of(step)
        if upstream:
            tasks[step.id].set_upstream([tasks[u] for u in upstream])
            recorder.add_edges(step.id, upstream)
    return dag, recorder.finish(dag)
