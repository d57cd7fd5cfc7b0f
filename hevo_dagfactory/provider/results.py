"""What a finished (or started) Hevo job means for an Airflow task: XCom result and verdict.

Why one module: the operator (deferred and blocking modes) and the sensor must agree on the
result shape and on the completed-with-failures policy, and every failure message must carry
Hevo's status and say what to do. Keeping that here means the three paths cannot drift.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from hevo_dagfactory.hevo import JobOutcome, classify
from hevo_dagfactory.provider.compat import AirflowException
from hevo_dagfactory.provider.failed_objects import Reader, add_failed_objects, has_failed_objects, summary
from hevo_dagfactory.provider.hooks.hevo import job_url
from hevo_dagfactory.provider.links.job import XCOM_RESULT

POLICIES = ("fail", "warn", "succeed")


class HevoJobFailed(AirflowException):
    """The Hevo job ended badly (or could not be followed); the message says what to do."""


def resolve_policy(on_completed_with_failures: str | None, accept_completed_with_failures: bool) -> str:
    """``on_completed_with_failures`` wins; ``None`` falls back to the seed's boolean flag."""
    if on_completed_with_failures is None:
        return "succeed" if accept_completed_with_failures else "fail"
    policy = str(on_completed_with_failures).strip().lower()
    if policy not in POLICIES:
        raise ValueError(
            f"on_completed_with_failures must be one of {', '.join(POLICIES)}; got {on_completed_with_failures!r}"
        )
    return policy


def outcome_name(status: str | None) -> str:
    """Hevo job status → ``success | completed_with_failures | failed | running`` (``JobOutcome`` values)."""
    return classify(status or "").value


def job_result(
    pipeline_id: Any, job: dict[str, Any], *, attached: bool, ui_base: str, owned: bool | None = None
) -> dict[str, Any]:
    """The task's structured result (XCom): JSON only, never a credential.

    ``owned`` (default: not ``attached``) says whether the task may cancel the job (provider/tries.py).
    """
    duration_ms = job.get("duration_ms")
    result: dict[str, Any] = {
        "pipeline_id": pipeline_id,
        "job_id": job.get("job_id"),
        "job_type": job.get("type"),
        "status": job.get("status"),
        "outcome": outcome_name(job.get("status")),
        "attached": bool(attached),
        "owned": (not attached) if owned is None else bool(owned),
        "duration_s": round(duration_ms / 1000, 3) if isinstance(duration_ms, (int, float)) else None,
        "job_url": job_url(ui_base, pipeline_id, job.get("job_id")),
    }
    for key, value in sorted(job.items()):
        if key.startswith(("events_", "objects_")) and (value is None or isinstance(value, (int, float))):
            result[key] = value
    return result


def conclude(
    result: dict[str, Any],
    policy: str,
    log: logging.Logger | Any,
    *,
    objects: Reader | None = None,
    ti: Any = None,
    lineage: Callable[[dict[str, Any], Reader], None] | None = None,
) -> dict[str, Any]:
    """End a wait on the worker, for every wait mode: name the failing tables, gather lineage, publish, judge.

    For a FAILED / ``*_WITH_FAILURES`` job, ``objects`` (``failed_objects.reader(client, ...)``) is
    read, best effort, into the result and the log. ``lineage`` (provider/lineage/hooks.py), when given,
    gathers the tables read and loaded from the same read, best effort. The final result goes to the XCom
    key ``hevo_result`` (when ``ti`` is given) before the verdict, so it is there when the task fails too.
    Returns the result or raises :class:`HevoJobFailed`, exactly as :func:`judge`.
    """
    if objects is not None and has_failed_objects(result.get("status")):
        add_failed_objects(result, objects, log)
    if lineage is not None and objects is not None:
        try:
            lineage(result, objects)
        except Exception as exc:  # noqa: BLE001 - lineage must never fail a task
            log.warning("Could not gather the lineage of Hevo job %s: %s", result.get("job_id"), exc)
    if ti is not None:
        try:
            ti.xcom_push(key=XCOM_RESULT, value=result)
        except Exception as exc:  # noqa: BLE001 - publishing must not change the verdict
            log.warning("Could not push the Hevo result to XCom: %s", exc)
    return judge(result, policy, log)


def judge(result: dict[str, Any], policy: str, log: logging.Logger | Any) -> dict[str, Any]:
    """Return ``result`` when the job counts as a success under ``policy``, else raise ``HevoJobFailed``.

    Fails closed: anything but SUCCESS or a tolerated COMPLETED_WITH_FAILURES is a failure.
    """
    outcome = result.get("outcome")
    where = f"Hevo job {result.get('job_id')} of pipeline {result.get('pipeline_id')}"
    if outcome == JobOutcome.SUCCESS.value:
        log.info("%s completed (status %s).", where, result.get("status"))
        return result
    if outcome == JobOutcome.COMPLETED_WITH_FAILURES.value:
        failed = result.get("events_failed")
        detail = f"{where} ended COMPLETED_WITH_FAILURES ({failed if failed is not None else 'some'} failed events)"
        if policy == "succeed":
            log.info("%s; accepted by on_completed_with_failures=succeed.", detail)
            return result
        if policy == "warn":
            log.warning("%s; continuing because on_completed_with_failures=warn. See %s", detail, result.get("job_url"))
            return result
        raise HevoJobFailed(
            f"{detail}.{summary(result)} Inspect the failed objects at {result.get('job_url')}, fix them in Hevo, "
            "then clear this task; set on_completed_with_failures to 'warn' or 'succeed' to let such runs pass."
        )
    if outcome == JobOutcome.RUNNING.value:
        raise HevoJobFailed(
            f"{where} is still {result.get('status')} but the task was told it had finished; this is a bug in "
            f"the trigger. The job keeps running in Hevo: {result.get('job_url')}"
        )
    raise HevoJobFailed(
        f"{where} ended with Hevo status {result.get('status')}.{summary(result)} Check the job at "
        f"{result.get('job_url')} (source credentials, destination, pipeline state), fix the cause in Hevo, then "
        "clear this task to re-run."
    )
