"""The trigger's events: one payload shape for every way a wait ends (docs/provider.md §5).

Why a module: the trigger sends these and the operator's worker-side poll builds the same payload
from the same wait result, so both modes conclude through the same code (operators/waiting.py).
"""

from __future__ import annotations

from typing import Any

from hevo_dagfactory.hevo.wait import ERROR, TERMINAL, WaitResult


def event_payload(
    status: str,
    *,
    pipeline_id: Any,
    job_id: str | None,
    job: dict[str, Any] | None,
    message: str,
    owned: bool,
    **more: Any,
) -> dict[str, Any]:
    """One trigger event's payload (docs/provider.md §5).

    ``owned`` (may the task cancel the job) travels with the event, because not every resume path
    keeps the deferral's kwargs (``dag.test()`` replaces them by the event on 2.11 and 3.3).
    """
    payload = {
        "status": status,
        "pipeline_id": pipeline_id,
        "job_id": job_id,
        "job": job,
        "message": message,
        "owned": owned,
    }
    payload.update(more)
    return payload


def wait_event(result: WaitResult, *, pipeline_id: Any, job_id: str | None, owned: bool) -> dict[str, Any]:
    """The payload for a wait flow's result: what the trigger sends and the worker-side poll concludes from."""
    job = result.job
    more: dict[str, Any] = {}
    if result.end == TERMINAL and result.outcome is not None:
        more["outcome"] = result.outcome.value
    if result.end == ERROR:
        more["error_status"] = result.error_status
    return event_payload(
        result.end,
        pipeline_id=pipeline_id,
        job_id=job_id if job_id is not None else (job.job_id if job else None),
        job=job.to_dict() if job else None,
        message=result.message,
        owned=owned,
        **more,
    )
