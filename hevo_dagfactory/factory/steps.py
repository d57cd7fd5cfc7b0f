"""How each task is built: the step kind's operator (``spec.kinds``), or a builder registered here.

Why: adding a step kind (say ``airbyte``) must never need an edit of the DAG assembly in
``dag.py``. A step kind registered in ``spec.kinds`` names its operator class and how its body
becomes the operator's arguments; :func:`build_task` makes that operator. A kind that is more
than one operator (a task group, say), and the syncs (``hevo_sync``), have a builder in
``STEP_BUILDERS`` instead, which wins over the kind's operator. A builder gets a
:class:`BuildContext` and the kind's own model object and returns one Airflow operator whose
``task_id`` is the id the user wrote, so ``after:`` lists map one-to-one onto task ids.

A builder should make its operator with ``ctx.make(OperatorClass, task_id=..., **kwargs)`` and
return it as is: the call is recorded in the DAG's build plan (``plan.py``), which later parses
replay without the model or the builders. A builder that calls its operator class itself still
works; its workflows just have no plan and are built from the model on every parse.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hevo_dagfactory.provider.compat import DAG, Asset, AssetAlias
from hevo_dagfactory.spec.kinds import STEP_KINDS, StepKind

if TYPE_CHECKING:
    from hevo_dagfactory.factory.plan import Recorder
    from hevo_dagfactory.spec.model import Sync, Workflow

StepBuilder = Callable[["BuildContext", Any, str], Any]

#: kind → builder. ``hevo_sync`` builds a ``Sync``; a step kind's builder (if any) builds its ``Step.body``.
STEP_BUILDERS: dict[str, StepBuilder] = {}
_operator_classes: dict[str, type] = {}

SYNC_KIND = "hevo_sync"


@dataclass(frozen=True)
class BuildContext:
    """What every builder may need besides its own model object."""

    workflow: Workflow
    dag: DAG
    base_dir: Path  # the workflow file's folder: relative paths in a step resolve against it
    recorder: Recorder | None = None  # records the DAG's build plan (see plan.py)
    #: task id → extra operator arguments of that task (its execution controls, run parameters)
    task_args: dict[str, dict[str, Any]] = field(default_factory=dict)

    def make(self, cls: type, **kwargs: Any) -> Any:
        """``cls(dag=self.dag, **kwargs)`` plus the task's ``task_args``, recorded in the build plan.

        The arguments must be picklable (they are recorded in the plan).
        """
        kwargs = {**kwargs, **self.task_args.get(kwargs.get("task_id", ""), {})}
        if self.recorder is not None:
            self.recorder.add_task(cls, kwargs)
        return cls(dag=self.dag, **kwargs)


def register_step_builder(kind: str) -> Callable[[StepBuilder], StepBuilder]:
    """Decorator: make ``fn(ctx, model, task_id)`` the builder for ``kind``."""

    def decorator(fn: StepBuilder) -> StepBuilder:
        STEP_BUILDERS[kind] = fn
        return fn

    return decorator


def build_task(kind: str, ctx: BuildContext, model: Any, task_id: str) -> Any:
    """A registered builder's task, else the step kind's operator; an unknown kind is named clearly."""
    builder = STEP_BUILDERS.get(kind)
    if builder is not None:
        return builder(ctx, model, task_id)
    step_kind = STEP_KINDS.get(kind)
    if step_kind is None or step_kind.operator is None or step_kind.task_args is None:
        known = ", ".join(sorted(set(STEP_BUILDERS) | {k for k, v in STEP_KINDS.items() if v.operator}))
        raise ValueError(f"no DAG builder for step kind {kind!r} (known: {known})")
    return build_operator(step_kind, ctx, model, task_id)


def build_operator(kind: StepKind, ctx: BuildContext, model: Any, task_id: str) -> Any:
    """``kind.operator(task_id=..., **kind.task_args(model, folder))``, recorded in the build plan."""
    assert kind.operator is not None and kind.task_args is not None  # checked by build_task
    return ctx.make(operator_class(kind.operator), task_id=task_id, **kind.task_args(model, ctx.base_dir))


def operator_class(path: str) -> type:
    """The class a ``"package.module:Class"`` path names, imported on first use."""
    cls = _operator_classes.get(path)
    if cls is None:
        module, _, name = path.partition(":")
        cls = _operator_classes[path] = getattr(importlib.import_module(module), name)
    return cls


# --- hevo_sync -----------------------------------------------------------------------------
_operator_cls: Any = None


def _hevo_operator() -> Any:
    """HevoPipelineOperator, imported on first use (the provider layer owns it)."""
    global _operator_cls
    if _operator_cls is None:
        from hevo_dagfactory.provider.operators.pipeline import HevoPipelineOperator

        _operator_cls = HevoPipelineOperator
    return _operator_cls


def _run_params_operator() -> Any:
    """The operator of a workflow with the ``resync`` run parameter (it picks its action when the run starts)."""
    from hevo_dagfactory.provider.operators.run_params import HevoRunParamsOperator

    return HevoRunParamsOperator


def emits_asset(sync: Sync) -> bool:
    """Whether a sync's task emits its pipeline's Asset: not for ``wait: none``.

    Why: a fire-and-forget sync finishes its task when the Hevo job is *started*; emitting the
    "fresh data" Asset then would start downstream DAGs before the data has landed.
    """
    return sync.wait != "none"


def sync_outlets(workflow: Workflow, sync: Sync) -> list[Any]:
    """The pipeline's Asset, and the alias that receives an Asset per loaded table at run time (see
    :func:`emits_asset`; provider/lineage/tables.py)."""
    if not emits_asset(sync):
        return []
    region = workflow.hevo.region
    return [Asset(sync.asset_uri(region)), AssetAlias(sync.tables_alias(region))]


@register_step_builder(SYNC_KIND)
def build_sync(ctx: BuildContext, sync: Sync, task_id: str) -> Any:
    """A ``HevoPipelineOperator``; ``wait`` picks deferrable, poll-in-worker or fire-and-forget.

    ``action: wait`` becomes ``action="WAIT"``: the operator starts nothing and waits for a job Hevo runs
    on its own schedule; it emits the same Asset as a sync, so downstream workflows keep working.
    With the ``resync`` run parameter on, a ``HevoRunParamsOperator`` that reads it when the run starts.
    """
    wf = ctx.workflow
    resync = {"resync": "{{ params.resync }}"} if wf.params.resync else {}
    return ctx.make(
        _run_params_operator() if resync else _hevo_operator(),
        **resync,
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
        completed_after=sync.completed_after,  # action: wait only (None: the run's data interval end)
        outlets=sync_outlets(wf, sync),
    )
