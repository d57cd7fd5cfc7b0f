"""``Workflow`` → Airflow ``DAG``: schedule, default_args, tags, docs, tasks and dependencies.

Why this is small: each task comes from the step-kind registry (``steps.py``); this module only
assembles. Syncs have no upstream, so they run in parallel; a step runs after its ``after`` list,
or after every sync when ``after`` is omitted. The function touches neither the network nor
the metadata DB, so it is safe at parse time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hevo_dagfactory.factory import docs
from hevo_dagfactory.factory import plan as build_plan
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
    return args


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
    dag_kwargs = dict(
        dag_id=wf.dag_id,
        description=wf.description,
        schedule=schedule_argument(dag_schedule(wf.schedule), wf.timezone),
        start_date=wf.start_date,
        end_date=wf.end_date,
        catchup=wf.catchup,
        max_active_runs=wf.max_active_runs,
        tags=dag_tags(wf),
        default_args=default_args(wf),
        doc_md=docs.workflow_doc_md(wf, name, emitted),
    )
    if needs_start_date(dag_kwargs["schedule"], wf.start_date):
        from hevo_dagfactory.spec.errors import ConfigError, ConfigErrors

        raise ConfigErrors(
            [
                ConfigError(
                    "this Airflow (2.x) cannot schedule a workflow without a start_date",
                    name,
                    None,
                    None,
                    "/schedule",
                    hint="add e.g. 'start_date: 2026-01-01' (Airflow 3 schedules it from now without one)",
                    error_type="needs_start_date",
                )
            ]
        )
    plan = build_plan.start(wf.dag_id, dag_kwargs)
    dag = DAG(**dag_kwargs)
    ctx = BuildContext(workflow=wf, dag=dag, base_dir=wf.source.parent, plan=plan)
    tasks: dict[str, Any] = {}
    for sync in wf.syncs:
        tasks[sync.id] = build_task(SYNC_KIND, ctx, sync, sync.id)
    for step in wf.steps:
        tasks[step.id] = build_task(step.kind, ctx, step.body, step.id)
    for step in wf.steps:
        upstream = wf.upstream_of(step)
        if upstream:
            tasks[step.id].set_upstream([tasks[u] for u in upstream])
            build_plan.add_edges(plan, step.id, upstream)
    return dag, build_plan.finish(plan, dag)
