"""``notify:`` and ``deadline:`` → the DAG's callbacks and its Deadline Alert.

Where each event is attached, and why:

- ``failure`` and ``retry`` are task callbacks (in ``default_args``): the task's own context knows
  the task, its try, its log URL and its Hevo job (XCom), which is what an on-call engineer needs;
- ``failure`` is also a DAG failure callback, which stays quiet when a task failure caused it
  (already reported, with more detail) and speaks for a run that failed otherwise (``dagrun_timeout``);
- ``success`` is a DAG success callback: one message per run, not one per task;
- ``deadline`` is a Deadline Alert on Airflow 3.3 (``compat.deadlines``).

A workflow whose notifier provider is missing here, or with a deadline on Airflow 2.11, cannot run
as written: it becomes a placeholder DAG that says what to install or change (``problems.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hevo_dagfactory.factory.problems import cannot_run
from hevo_dagfactory.provider.compat.alerting import notifier_problem
from hevo_dagfactory.provider.compat.deadlines import DeadlineUnsupported, deadline_alert
from hevo_dagfactory.provider.notify.notifier import WorkflowNotifier

if TYPE_CHECKING:
    from hevo_dagfactory.spec.model import Workflow

#: event in the file → (where the callback goes, its argument name, the notifier's event)
ATTACH = {
    "failure": (("task", "on_failure_callback", "failure"), ("dag", "on_failure_callback", "run_failure")),
    "retry": (("task", "on_retry_callback", "retry"),),
    "success": (("dag", "on_success_callback", "success"),),
}


def check_providers(workflow: Workflow, source_name: str) -> None:
    """Raise ``ConfigErrors`` when a target's notifier provider is not installed in this Airflow."""
    targets = list(workflow.notify) + (list(workflow.deadline.notify) if workflow.deadline else [])
    for kind in sorted({t.kind for t in targets}):
        problem = notifier_problem(kind)
        if problem is not None:
            raise cannot_run(source_name, problem, "/notify", "or remove the targets of this kind", "notifier")


def callbacks(workflow: Workflow) -> tuple[dict[str, Any], dict[str, Any]]:
    """(task callbacks for ``default_args``, DAG callbacks for ``DAG(...)``), one notifier per event."""
    by_slot: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for target in workflow.notify:
        for event in target.on:
            for slot in ATTACH[event]:
                by_slot.setdefault(slot, []).append(target.as_dict())
    task: dict[str, Any] = {}
    dag: dict[str, Any] = {}
    for (where, argument, event), targets in by_slot.items():
        notifier = WorkflowNotifier(workflow=workflow.dag_id, event=event, targets=targets)
        (task if where == "task" else dag).setdefault(argument, []).append(notifier)
    return task, dag


def deadline_args(workflow: Workflow, source_name: str) -> dict[str, Any]:
    """``{"deadline": DeadlineAlert}`` for a workflow with ``deadline:``; raises on a line without them."""
    dl = workflow.deadline
    if dl is None:
        return {}
    when = f"by {dl.by} ({dl.timezone})" if dl.by else f"within {_duration(dl.after)} of being queued"
    kwargs = {"workflow": workflow.dag_id, "when": when, "targets": [t.as_dict() for t in dl.notify]}
    try:
        return {"deadline": deadline_alert(by=dl.by, after=dl.after, timezone=dl.timezone, kwargs=kwargs)}
    except DeadlineUnsupported:
        raise cannot_run(
            source_name,
            "this Airflow (2.x) has no Deadline Alerts, so 'deadline:' cannot be honoured",
            "/deadline",
            "run it on Airflow 3.3, or switch the deadline off for this Airflow with 'deadline: null' "
            "(for example in an environments overlay)",
            "deadline_unsupported",
        ) from None


def _duration(value: Any) -> str:
    seconds = int(value.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0 and seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
