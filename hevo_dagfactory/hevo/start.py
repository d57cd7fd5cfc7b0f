"""Starting a sync without ever starting two: the ``start_job`` flow, written once for both clients.

The flow is a generator (see :mod:`.flow`) that both clients drive with ``run_flow``. Its steps, each
in the module of its concept:

1. **Look first** (:mod:`.attach`): a running job of the expected type is attached to (or refused
   with ``if_running="fail"``); a task retry may adopt its earlier try's COMPLETED job. No POST then,
   and no pre-flight: attaching needs nothing from the pipeline's state.
2. **Pre-flight** (:mod:`.preflight`): one GET of the pipeline; a paused, deleted or failed pipeline
   fails at once with no POST; a Hevo-scheduled one gets a warning; an unreadable one goes on.
3. **POST** (:mod:`.resync` for the body): a 429 is retried by the client (Hevo refused it before
   acting). After a 5xx, a timeout, a dropped connection or a malformed answer the sync may have
   started: discovery runs before any re-POST, at most ``max_posts`` POSTs in all. A resync body
   Hevo refuses with a 400 is tried once in its other documented shape.
4. **"A job is already in progress"** (:mod:`.refusal` recognises it, :mod:`.attach` handles it):
   the running job is attached to or refused per ``if_running``; it is ours only if an earlier POST
   of ours may have started it.
5. **Discovery** (:mod:`.discovery`): the job id from the answer, else the job the tiers say is ours
   (never one listed before, never an older one, never a SKIPPED record).

docs/hevo-client.md has the why of each rule.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Generator
from dataclasses import replace
from typing import Any

from .attach import IF_RUNNING, after_refusal, describe, look_first
from .discovery import (
    DEFAULT_DISCOVERY,
    DiscoveryPolicy,
    discover,
    fetch_named,
    is_ambiguous,
    job_id_in,
    job_in_answer,
    judge_for,
)
from .endpoints import resync_body
from .errors import HevoError, HevoJobInProgress, HevoJobNotFound
from .flow import Op, Sleep, now_ms
from .models import Job, StartedJob, expected_job_types
from .preflight import check_pipeline
from .resync import post_trigger

__all__ = ["DEFAULT_DISCOVERY", "IF_RUNNING", "DiscoveryPolicy", "Sleep", "start_job_flow"]

Flow = Generator[Op, Any, StartedJob]


def start_job_flow(
    pipeline_id: Any,
    *,
    action: str = "sync_now",
    job_type: str | None = None,
    resync_mode: str = "EVOLVE_AND_MERGE",
    if_running: str = "attach",
    attach_only: bool = False,
    since_ms: int | None = None,
    discovery: DiscoveryPolicy = DEFAULT_DISCOVERY,
    clock: Callable[[], int] = now_ms,
) -> Flow:
    """The start-job state machine; see the module docstring. Returns a :class:`StartedJob`."""
    if if_running not in IF_RUNNING:
        raise ValueError(f"if_running must be 'attach' or 'fail', got {if_running!r}")
    expected = expected_job_types(action, job_type)
    action_key = "sync_now" if action.strip().lower().replace("-", "_") == "sync_now" else "resync"
    if action_key == "resync":
        resync_body(resync_mode)  # an unknown mode is refused before any request
    before, found = yield from look_first(
        pipeline_id,
        expected,
        if_running=if_running,
        attach_only=attach_only,
        since_ms=since_ms,
        discovery=discovery,
        now_ms=clock(),
    )
    if found is not None:
        return found
    pipeline = yield from check_pipeline(
        pipeline_id, action_key.replace("_", "-"), discovery.attempts, discovery.interval_s
    )
    started = yield from _post_and_find(
        pipeline_id,
        action_key,
        resync_mode,
        expected,
        before,
        if_running=if_running,
        attach_only=attach_only,
        discovery=discovery,
        clock=clock,
    )
    return replace(started, pipeline=pipeline)  # what the pre-flight read, for lineage: no second read


def _post_and_find(
    pipeline_id: Any,
    action: str,
    resync_mode: str,
    expected: frozenset[str],
    before: list[Job],
    *,
    if_running: str,
    attach_only: bool,
    discovery: DiscoveryPolicy,
    clock: Callable[[], int],
) -> Flow:
    """POST (at most ``max_posts`` times, re-posting only after an ambiguous failure left no job) and
    find the job it started."""
    first_trigger_ms: int | None = None
    last_error: HevoError | None = None
    for _ in range(discovery.max_posts):
        trigger_ms = clock()
        first_trigger_ms = trigger_ms if first_trigger_ms is None else first_trigger_ms
        judge = judge_for(before, first_trigger_ms, discovery)
        try:
            body = yield from post_trigger(pipeline_id, action, resync_mode)
        except HevoJobInProgress as exc:
            return (
                yield from after_refusal(
                    exc,
                    pipeline_id,
                    expected,
                    judge=judge if last_error is not None else None,  # only a lost answer's job can be ours
                    if_running=if_running,
                    attach_only=attach_only,
                    discovery=discovery,
                    trigger_ms=first_trigger_ms,
                )
            )
        except HevoError as exc:
            if not is_ambiguous(exc):
                raise
            last_error = exc
            found = yield from discover(pipeline_id, expected, judge, discovery)
            if found is not None:
                return StartedJob(found, attached=False, triggered_at_ms=first_trigger_ms)
            continue
        answered = job_in_answer(body, expected)
        if answered is not None:
            return StartedJob(answered, attached=False, triggered_at_ms=trigger_ms)
        job_id = job_id_in(body)
        if job_id:
            job = yield from fetch_named(pipeline_id, job_id, expected, trigger_ms, discovery)
            return StartedJob(job, attached=False, triggered_at_ms=trigger_ms)
        found = yield from discover(pipeline_id, expected, judge, discovery)
        if found is not None:
            return StartedJob(found, attached=False, triggered_at_ms=first_trigger_ms)
        raise _not_found(pipeline_id, action, expected, discovery)
    assert last_error is not None
    raise _gave_up(last_error, pipeline_id, discovery) from last_error


def _not_found(pipeline_id: Any, action: str, expected: frozenset[str], discovery: DiscoveryPolicy) -> HevoJobNotFound:
    waited = discovery.attempts * discovery.interval_s
    return HevoJobNotFound(
        f"Hevo accepted the {action.replace('_', '-')} request for pipeline {pipeline_id}, but no "
        f"{describe(expected)} job created after it appeared in the jobs list within ~{waited:g} s. "
        "Look at the pipeline's Jobs tab in the Hevo UI; if the job type is spelled differently there, "
        "set job_type; if jobs appear slowly, raise the discovery attempts."
    )


def _gave_up(last_error: HevoError, pipeline_id: Any, discovery: DiscoveryPolicy) -> HevoError:
    final = copy.copy(last_error)  # same type and fields (e.g. a transport error's kind), clearer message
    final.message = (
        f"{last_error.message} No job appeared in pipeline {pipeline_id}'s jobs list after {discovery.max_posts} "
        "attempt(s) to start it, so as far as Hevo shows, no sync is running."
    )
    final.args = (final.message,)
    return final
