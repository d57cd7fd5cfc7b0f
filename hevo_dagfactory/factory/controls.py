"""Execution controls → Airflow arguments: task ``default_args``, per-task arguments, DAG limits.

Why per task as well as in ``default_args``: ``defaults:`` controls apply to every task through
``default_args``; a sync's or step's own controls (and an ``exclusive`` sync's pipeline pool) are
arguments of that task's operator, which win over ``default_args`` as in any Airflow DAG. The
arguments are collected per task id here and added by ``BuildContext.make``, so builders (and plug-in
kinds' builders) get them without knowing about them. ``retry_exponential_backoff`` goes through
compat (2.11 takes a bool, 3.3 a multiplier).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hevo_dagfactory.provider.compat import retry_backoff

if TYPE_CHECKING:
    from hevo_dagfactory.spec.model import TaskControls, Workflow


def control_args(controls: TaskControls) -> dict[str, Any]:
    """A ``TaskControls`` as operator arguments."""
    args = dict(controls.items())
    if "retry_exponential_backoff" in args:
        args["retry_exponential_backoff"] = retry_backoff(args["retry_exponential_backoff"])
    return args


def dag_limits(workflow: Workflow) -> dict[str, Any]:
    """``max_active_tasks`` and ``dagrun_timeout`` when set (Airflow's defaults otherwise)."""
    args: dict[str, Any] = {}
    if workflow.max_active_tasks is not None:
        args["max_active_tasks"] = workflow.max_active_tasks
    if workflow.dagrun_timeout is not None:
        args["dagrun_timeout"] = workflow.dagrun_timeout
    return args


def task_args(workflow: Workflow) -> dict[str, dict[str, Any]]:
    """task id → the extra operator arguments of that task: its controls and its run-parameter arguments."""
    from hevo_dagfactory.spec.kinds import STEP_KINDS

    out: dict[str, dict[str, Any]] = {}
    for sync in workflow.syncs:
        out[sync.id] = control_args(sync.effective_controls())
    enabled = set(workflow.params.names())
    for step in workflow.steps:
        args = control_args(step.controls)
        kind = STEP_KINDS.get(step.kind)
        for name, extra in kind.param_args.items() if kind is not None else ():
            if name in enabled:
                args.update(extra)
        out[step.id] = args
    return out
