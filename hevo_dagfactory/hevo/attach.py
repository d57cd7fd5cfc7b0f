"""Attaching to a job that already runs, instead of starting a second sync.

Two moments of a start decide it: the look at the jobs list before any POST (:func:`look_first`),
and Hevo's "a job is already in progress" refusal of our POST (:func:`after_refusal`).

- A running job of the expected type → attach (``if_running="attach"``) or raise
  :class:`HevoJobInProgress` (``"fail"``). On a task retry (``attach_only=True``) we always attach:
  it is most likely our earlier try's job, and a second sync must never start while one runs.
- A retry also adopts a COMPLETED job of the type created since ``since_ms`` (our earlier try
  succeeded at Hevo but the task died); a FAILED/CANCELLED/with-failures job does not count, so a
  retry after a failure starts a new sync.
- After the refusal, the running job is ours only if an earlier POST of ours may have started it
  (that POST's answer was lost), judged by discovery's tiers; a job that refused our first POST is
  never ours.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from .discovery import DiscoveryPolicy, Judge, find_running
from .errors import HevoJobInProgress
from .flow import Op
from .joblist import has_type, newest, running_of
from .models import Job, JobOutcome, StartedJob

IF_RUNNING = ("attach", "fail")


def describe(types: frozenset[str]) -> str:
    return "/".join(sorted(types))


def in_progress_error(label: str, job: Job, expected: frozenset[str]) -> HevoJobInProgress:
    return HevoJobInProgress(
        f"A {job.type or describe(expected)} job ({job.job_id}, status {job.status}) is already running on {label}, "
        "and if_running is 'fail', so no new sync was started. Wait for it or cancel it in the Hevo UI, "
        "or set if_running: attach to wait for the running job instead.",
        job=job,
    )


def look_first(
    pipeline_id: Any,
    expected: frozenset[str],
    *,
    if_running: str,
    attach_only: bool,
    since_ms: int | None,
    discovery: DiscoveryPolicy,
    now_ms: int,
) -> Generator[Op, Any, tuple[list[Job], StartedJob | None]]:
    """Read the jobs list before any POST: (the jobs listed, the job to attach to or None).

    Raises :class:`HevoJobInProgress` for a running job when ``if_running="fail"`` on a first try.
    """
    before = yield from discovery.look(pipeline_id, has_type(expected))
    running = running_of(before, expected)
    if running is not None:
        if attach_only or if_running == "attach":
            return before, StartedJob(running, attached=True, triggered_at_ms=now_ms)
        raise in_progress_error(f"pipeline {pipeline_id}", running, expected)
    if attach_only and since_ms is not None:
        prior = newest(
            j
            for j in before
            if j.type_key in expected and j.created_ts is not None and j.created_ts >= since_ms - discovery.skew_ms
        )
        if prior is not None and prior.outcome is JobOutcome.SUCCESS:
            return before, StartedJob(prior, attached=True, triggered_at_ms=now_ms)
    return before, None


def after_refusal(
    exc: HevoJobInProgress,
    pipeline_id: Any,
    expected: frozenset[str],
    *,
    judge: Judge | None,
    if_running: str,
    attach_only: bool,
    discovery: DiscoveryPolicy,
    trigger_ms: int,
) -> Generator[Op, Any, StartedJob]:
    """Hevo refused our POST because a job runs: attach to it, take it as ours, or raise.

    ``judge`` is None when no earlier POST of ours can have started a job (then the job is never ours);
    ``trigger_ms`` is when we first posted.
    """
    label = f"pipeline {pipeline_id}"
    mine, other, ours = yield from find_running(pipeline_id, expected, discovery, judge)
    if mine is not None:
        if ours or attach_only or if_running == "attach":
            return StartedJob(mine, attached=not ours, triggered_at_ms=trigger_ms)
        raise in_progress_error(label, mine, expected) from exc
    raise HevoJobInProgress(
        f"Hevo refused to start a {describe(expected)} job on {label} because a job is in progress"
        + (f" (job {other.job_id}, type {other.type}, status {other.status})" if other else "")
        + f": {exc.body or exc.message}. Wait for that job or cancel it in the Hevo UI, then retry.",
        job=other,
        status=exc.status,
        body=exc.body,
        method=exc.method,
        url=exc.url,
    ) from exc
