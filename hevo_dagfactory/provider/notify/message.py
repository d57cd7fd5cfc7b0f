"""The text of a notification, built from what Airflow hands a callback.

Why our own text and not the notifiers' templates: one message must say which workflow, run, task,
Hevo pipeline and Hevo job it is about, with links to the task log and the Hevo job, whatever the
event (a task failed or will be retried, the run succeeded or timed out, a deadline passed) and
wherever Airflow runs the callback (the worker, the dag-processor, the triggerer), each with a
context of its own. Every lookup is therefore optional: a missing piece leaves its line out. The
error text goes through Airflow's secrets masker; the Hevo API secret is never part of any of it.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hevo_dagfactory.provider.compat.alerting import redact, run_url
from hevo_dagfactory.provider.links.job import XCOM_JOB_ID, XCOM_JOB_URL, XCOM_PIPELINE_ID

#: event → (word in the subject, first line of the text)
EVENTS: dict[str, tuple[str, str]] = {
    "failure": ("FAILED", "Task failed"),
    "retry": ("RETRY", "Task failed and will be retried"),
    "success": ("SUCCEEDED", "Workflow run succeeded"),
    "run_failure": ("FAILED", "Workflow run failed"),
    "deadline": ("DEADLINE MISSED", "Workflow run has not finished by its deadline"),
}
ERROR_LINE_MAX_CHARS = 500


@dataclass(frozen=True)
class Message:
    subject: str
    lines: tuple[tuple[str, str], ...]  # (label, value); a value starting with http is a link

    @property
    def text(self) -> str:
        """Plain text (Slack renders the URLs as links)."""
        return "\n".join(f"{label}: {value}" if label else value for label, value in self.lines)

    @property
    def html(self) -> str:
        """The e-mail body."""
        rows = []
        for label, value in self.lines:
            shown = html.escape(value)
            if value.startswith(("http://", "https://")):
                shown = f'<a href="{html.escape(value, quote=True)}">{shown}</a>'
            rows.append(f"<b>{html.escape(label)}:</b> {shown}" if label else f"<b>{shown}</b>")
        return "<br>\n".join(rows)


def build(event: str, workflow: str, context: Mapping[str, Any], detail: str | None = None) -> Message:
    """The message for ``event`` of ``workflow``; ``detail`` is the deadline's wording (``by 07:00 ...``)."""
    word, headline = EVENTS[event]
    ti = context.get("ti") or context.get("task_instance")
    run_id = _run_id(context, ti)
    task_id = getattr(ti, "task_id", None) if event in ("failure", "retry") else None
    lines: list[tuple[str, str]] = [("", f"{headline}: {workflow}" + (f" / {task_id}" if task_id else ""))]
    if run_id:
        lines.append(("Run", run_id))
    if detail:
        lines.append(("Deadline", detail))
    if task_id:
        lines += _task_lines(context, ti)
    elif context.get("reason") and event == "run_failure":
        lines.append(("Reason", str(context["reason"])))
    if run_id:
        lines.append(("Airflow run", run_url(workflow, run_id)))
    pipeline = _pipeline(context, ti) if task_id else None
    subject = f"[Airflow] {word}: {workflow}" + (f".{task_id}" if task_id else "")
    if pipeline is not None:
        subject += f" (Hevo pipeline {pipeline})"
    return Message(subject, tuple(lines))


def _run_id(context: Mapping[str, Any], ti: Any) -> str | None:
    dag_run = context.get("dag_run")
    if isinstance(dag_run, Mapping):  # the deadline callback's context: DAGRunResponse as JSON
        return dag_run.get("dag_run_id") or dag_run.get("run_id")
    return context.get("run_id") or getattr(dag_run, "run_id", None) or getattr(ti, "run_id", None)


def _task_lines(context: Mapping[str, Any], ti: Any) -> list[tuple[str, str]]:
    lines = []
    tries = getattr(ti, "try_number", None)
    if isinstance(tries, int):
        most = getattr(ti, "max_tries", None)
        lines.append(("Try", f"{tries} of {most + 1}" if isinstance(most, int) else str(tries)))
    pipeline = _pipeline(context, ti)
    if pipeline is not None:
        job = _xcom(ti, XCOM_JOB_ID)
        lines.append(("Hevo pipeline", str(pipeline) + (f", job {job}" if job else " (no job started)")))
        url = _xcom(ti, XCOM_JOB_URL)
        if isinstance(url, str) and url:
            lines.append(("Hevo job", url))
    error = context.get("exception")
    if error is not None:
        text = redact(f"{type(error).__name__}: {error}" if isinstance(error, BaseException) else str(error))
        lines.append(("Error", text if len(text) <= ERROR_LINE_MAX_CHARS else text[: ERROR_LINE_MAX_CHARS - 1] + "…"))
    log_url = _attr(ti, "log_url")
    if isinstance(log_url, str) and log_url:
        lines.append(("Task log", log_url))
    return lines


def _pipeline(context: Mapping[str, Any], ti: Any) -> Any:
    """The Hevo pipeline of a sync task (the operator's own, else its XCom); None for other tasks."""
    task = context.get("task") or getattr(ti, "task", None)
    pipeline = getattr(task, "pipeline_id", None)
    return pipeline if pipeline not in (None, "") else _xcom(ti, XCOM_PIPELINE_ID)


def _xcom(ti: Any, key: str) -> Any:
    """One XCom of this task instance; None where this context cannot read XComs (never an error)."""
    try:
        return ti.xcom_pull(task_ids=ti.task_id, key=key)
    except Exception:  # noqa: BLE001 - a notification must not fail for a missing detail
        return None


def _attr(obj: Any, name: str) -> Any:
    try:
        return getattr(obj, name, None)
    except Exception:  # noqa: BLE001 - e.g. a log_url property without its configuration
        return None
