"""One builder per step kind, in a registry: ``hevo_sync``, ``dbt``, ``bash``.

Why a registry: adding a step kind (say ``airbyte``) must need only a builder registered here
and a branch in the schema, never an edit of the DAG assembly in ``dag.py``. A builder gets a
:class:`BuildContext` and the kind's own model object and returns one Airflow operator whose
``task_id`` is the id the user wrote, so ``after:`` lists map one-to-one onto task ids.

A builder should make its operator with ``ctx.make(OperatorClass, task_id=..., **kwargs)`` and
return it as is: the call is recorded in the DAG's build plan (``plan.py``), which later parses
replay without the model or the builders. A builder that calls its operator class itself still
works; its workflows just have no plan and are built from the model on every parse.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hevo_dagfactory.factory import commands
from hevo_dagfactory.factory import plan as build_plan
from hevo_dagfactory.factory.operators import DbtBashOperator, WorkflowBashOperator
from hevo_dagfactory.provider.compat import DAG, Asset, AssetAlias

StepBuilder = Callable[["BuildContext", Any, str], Any]

#: kind → builder. ``hevo_sync`` builds a ``Sync``; the others build ``Step.<kind>``.
STEP_BUILDERS: dict[str, StepBuilder] = {}

SYNC_KIND = "hevo_sync"


@dataclass(frozen=True)
class BuildContext:
    """What every builder may need besides its own model object."""

    workflow: Any  # hevo_dagfactory.spec.model.Workflow
    dag: DAG
    base_dir: Path  # the workflow file's folder: relative paths in a step resolve against it
    plan: dict[str, Any] | None = None  # the build plan being recorded (see plan.py)

    def make(self, cls: type, **kwargs: Any) -> Any:
        """``cls(dag=self.dag, **kwargs)``, recorded in the build plan (kwargs must be picklable)."""
        build_plan.add_task(self.plan, cls, kwargs)
        return cls(dag=self.dag, **kwargs)


def register_step_builder(kind: str) -> Callable[[StepBuilder], StepBuilder]:
    """Decorator: make ``fn(ctx, model, task_id)`` the builder for ``kind``."""

    def decorator(fn: StepBuilder) -> StepBuilder:
        STEP_BUILDERS[kind] = fn
        return fn

    return decorator


def build_task(kind: str, ctx: BuildContext, model: Any, task_id: str) -> Any:
    """Dispatch to the registered builder; an unknown kind is a programming error, named clearly."""
    try:
        builder = STEP_BUILDERS[kind]
    except KeyError:
        known = ", ".join(sorted(STEP_BUILDERS))
        raise ValueError(f"no DAG builder for step kind {kind!r} (known: {known})") from None
    return builder(ctx, model, task_id)


# --- hevo_sync -----------------------------------------------------------------------------
_operator_cls: Any = None


def _hevo_operator() -> Any:
    """HevoPipelineOperator, imported on first use (the provider layer owns it)."""
    global _operator_cls
    if _operator_cls is None:
        from hevo_dagfactory.provider.operators.pipeline import HevoPipelineOperator

        _operator_cls = HevoPipelineOperator
    return _operator_cls


def emits_asset(sync: Any) -> bool:
    """Whether a sync's task emits its pipeline's Asset: not for ``wait: none``.

    Why: a fire-and-forget sync finishes its task when the Hevo job is *started*; emitting the
    "fresh data" Asset then would start downstream DAGs before the data has landed.
    """
    return sync.wait != "none"


def sync_outlets(workflow: Any, sync: Any) -> list[Any]:
    """The pipeline's Asset, and the alias that receives an Asset per loaded table at run time (see
    :func:`emits_asset`; provider/lineage/tables.py)."""
    if not emits_asset(sync):
        return []
    region = workflow.hevo.region
    return [Asset(sync.asset_uri(region)), AssetAlias(sync.tables_alias(region))]


@register_step_builder(SYNC_KIND)
def build_sync(ctx: BuildContext, sync: Any, task_id: str) -> Any:
    """A ``HevoPipelineOperator``; ``wait`` picks deferrable, poll-in-worker or fire-and-forget."""
    wf = ctx.workflow
    return ctx.make(
        _hevo_operator(),
        task_id=task_id,
        pipeline_id=sync.pipeline_id,
        action=sync.action.upper(),
        job_type=sync.job_type,
        connection_id=wf.hevo.connection_id,
        region=wf.hevo.region,
        poll_interval=sync.poll_interval,
        deferrable=sync.wait == "deferrable",
        wait_for_completion=sync.wait != "none",
        resync_mode=sync.resync_mode.upper(),
        on_completed_with_failures=sync.on_completed_with_failures,
        if_running=sync.if_running,
        timeout=sync.timeout,
        outlets=sync_outlets(wf, sync),
    )


# --- dbt ---------------------------------------------------------------------------------------
@register_step_builder("dbt")
def build_dbt(ctx: BuildContext, step: Any, task_id: str) -> Any:
    """``dbt ...`` through BashOperator: every user value shell-quoted after rendering, env added to the worker's."""
    argv = commands.dbt_argv(step, ctx.base_dir)
    return ctx.make(
        DbtBashOperator,
        task_id=task_id,
        dbt_argv=argv,
        bash_command=commands.join_argv(argv),  # the line as written, until Airflow renders dbt_argv
        env=commands.plain_env(step.env),
        append_env=True,
    )


# --- bash --------------------------------------------------------------------------------------
@register_step_builder("bash")
def build_bash(ctx: BuildContext, step: Any, task_id: str) -> Any:
    """The user's own command as written, with its env (added to the worker's) and cwd."""
    return ctx.make(
        WorkflowBashOperator,
        task_id=task_id,
        bash_command=step.command,
        env=commands.plain_env(step.env),
        append_env=True,
        cwd=commands.resolve_path(step.cwd, ctx.base_dir),
    )
