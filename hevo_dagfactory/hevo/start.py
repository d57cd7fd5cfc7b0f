"""Starting a sync without ever starting two: the logic of ``start_job``, written once for both clients.

The flow is a generator that yields what it needs done (an :class:`~.endpoints.ApiCall` to send, or a
:class:`Sleep`) and receives the parsed answer, or the raised :class:`~.errors.HevoError` thrown back
in. The sync client drives it with ``time.sleep``, the async one with ``asyncio.sleep``; the rules
below therefore exist once.

Rules (see docs/hevo-client.md for the why):
1. Look at the newest jobs first. A RUNNING job of the expected type → attach (``if_running="attach"``)
   or raise :class:`HevoJobInProgress` (``"fail"``). On a task retry (``attach_only=True``) we always
   attach to it: it is most likely our earlier try's job, and a second sync must never start while one
   runs. A retry also adopts a COMPLETED job of that type created since ``since_ms`` (our earlier try
   succeeded at Hevo but the task died); a finished FAILED/CANCELLED/with-failures job does not count,
   so a retry after a failure starts a new sync.
2. POST once. A 429 is retried by the client (Hevo refused it before acting). After a 5xx, a timeout,
   a dropped connection or a malformed answer the sync may have started: list the jobs and look for
   it before any re-POST (at most ``max_posts`` POSTs in all).
3. "A job is in progress" in the body → handled like rule 1 with the running job found in the list.
4. Discovery: the job id from the response if present; else the newest job of the expected type that
   was not in the list we read before posting and was created at or after trigger time minus a clock
   skew allowance, in ANY status (so a job that finished before our first look is still found and an
   older scheduled job is never taken). Bounded attempts with short sleeps.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from typing import Any, Generator, Iterable

from . import endpoints as ep
from .errors import HevoError, HevoJobInProgress, HevoJobNotFound, HevoNotFound, HevoServerError, HevoTransportError
from .models import Job, JobOutcome, JobPage, StartedJob, expected_job_types

IF_RUNNING = ("attach", "fail")


@dataclass(frozen=True)
class DiscoveryPolicy:
    """How hard ``start_job`` looks for the job a trigger created.

    Hevo's provider docs say jobs take 5-15 s to appear, hence 10 looks 3 s apart by default.
    ``skew_ms`` allows Hevo's clock to run behind ours; jobs seen before the POST are excluded by id,
    so a generous skew cannot adopt an older job that was already listed.
    """

    attempts: int = 10
    interval_s: float = 3.0
    skew_ms: int = 60_000
    page_size: int = 20
    max_pages: int = 5
    max_posts: int = 2

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.max_posts < 1 or self.max_pages < 1:
            raise ValueError("DiscoveryPolicy attempts, max_posts and max_pages must be at least 1")
        if not 1 <= self.page_size <= ep.MAX_PAGE_SIZE:
            raise ValueError(f"DiscoveryPolicy page_size must be between 1 and {ep.MAX_PAGE_SIZE}")
        if self.interval_s < 0 or self.skew_ms < 0:
            raise ValueError("DiscoveryPolicy interval_s and skew_ms must not be negative")


DEFAULT_DISCOVERY = DiscoveryPolicy()


@dataclass(frozen=True)
class Sleep:
    seconds: float


Op = Any  # ApiCall | Sleep
Flow = Generator[Op, Any, StartedJob]


def _now_ms() -> int:
    return int(time.time() * 1000)


def _newest(jobs: Iterable[Job]) -> Job | None:
    jobs = list(jobs)
    if not jobs:
        return None
    return max(jobs, key=lambda j: (j.created_ts is not None, j.created_ts or 0))


def _running_of(jobs: Iterable[Job], types: frozenset[str] | None) -> Job | None:
    return _newest(j for j in jobs if j.outcome is JobOutcome.RUNNING and (types is None or j.type_key in types))


def _is_ambiguous(exc: HevoError) -> bool:
    """Failures after which the POST may or may not have started a job."""
    return isinstance(exc, (HevoServerError, HevoTransportError))


def _describe(types: frozenset[str]) -> str:
    return "/".join(sorted(types))


def start_job_flow(pipeline_id: Any, *, action: str = "sync_now", job_type: str | None = None,
                   resync_mode: str = "EVOLVE_AND_MERGE", if_running: str = "attach",
                   attach_only: bool = False, since_ms: int | None = None,
                   discovery: DiscoveryPolicy = DEFAULT_DISCOVERY, clock=_now_ms) -> Flow:
    """The start-job state machine; see the module docstring. Returns a :class:`StartedJob`."""
    if if_running not in IF_RUNNING:
        raise ValueError(f"if_running must be 'attach' or 'fail', got {if_running!r}")
    expected = expected_job_types(action, job_type)
    action_key = action.strip().lower().replace("-", "_")
    trigger = ep.sync_now(pipeline_id) if action_key == "sync_now" else ep.resync(pipeline_id, resync_mode)
    label = f"pipeline {pipeline_id}"

    before: JobPage = yield ep.list_jobs(pipeline_id, limit=discovery.page_size)
    known = {j.job_id for j in before.jobs}
    running = _running_of(before.jobs, expected)
    if running is not None:
        if attach_only or if_running == "attach":
            return StartedJob(running, attached=True, triggered_at_ms=clock())
        raise _in_progress(label, running, expected)
    if attach_only and since_ms is not None:
        prior = _newest(j for j in before.jobs if j.type_key in expected and j.created_ts is not None
                        and j.created_ts >= since_ms - discovery.skew_ms)
        if prior is not None and prior.outcome is JobOutcome.SUCCESS:
            return StartedJob(prior, attached=True, triggered_at_ms=clock())

    first_trigger_ms: int | None = None
    last_error: HevoError | None = None
    for _ in range(discovery.max_posts):
        trigger_ms = clock()
        if first_trigger_ms is None:
            first_trigger_ms = trigger_ms
        try:
            body = yield trigger
        except HevoJobInProgress as exc:
            mine, other = yield from _find_running(pipeline_id, expected, discovery)
            if mine is not None:
                ours = (mine.job_id not in known and mine.created_ts is not None
                        and mine.created_ts >= first_trigger_ms - discovery.skew_ms)
                if ours or attach_only or if_running == "attach":
                    return StartedJob(mine, attached=not ours, triggered_at_ms=first_trigger_ms)
                raise _in_progress(label, mine, expected) from exc
            raise HevoJobInProgress(
                f"Hevo refused to start a {_describe(expected)} job on {label} because a job is in progress"
                + (f" (job {other.job_id}, type {other.type}, status {other.status})" if other else "")
                + f": {exc.body or exc.message}. Wait for that job or cancel it in the Hevo UI, then retry.",
                job=other, status=exc.status, body=exc.body, method=exc.method, url=exc.url) from exc
        except HevoError as exc:
            if not _is_ambiguous(exc):
                raise
            last_error = exc
            found = yield from _discover(pipeline_id, expected, known, first_trigger_ms, discovery)
            if found is not None:
                return StartedJob(found, attached=False, triggered_at_ms=first_trigger_ms)
            continue
        job_id = _job_id_in(body)
        if job_id:
            if isinstance(body, dict) and body.get("status"):
                try:
                    return StartedJob(Job.from_api(body), attached=False, triggered_at_ms=trigger_ms)
                except ValueError:
                    pass
            job = yield from _fetch(pipeline_id, job_id, expected, trigger_ms, discovery)
            return StartedJob(job, attached=False, triggered_at_ms=trigger_ms)
        found = yield from _discover(pipeline_id, expected, known, first_trigger_ms, discovery)
        if found is not None:
            return StartedJob(found, attached=False, triggered_at_ms=first_trigger_ms)
        waited = discovery.attempts * discovery.interval_s
        raise HevoJobNotFound(
            f"Hevo accepted the {trigger.path.rsplit('/', 1)[-1]} request for {label}, but no "
            f"{_describe(expected)} job created after it appeared in the jobs list within ~{waited:g} s. "
            "Look at the pipeline's Jobs tab in the Hevo UI; if the job type is spelled differently there, "
            "set job_type; if jobs appear slowly, raise the discovery attempts.")
    assert last_error is not None
    final = copy.copy(last_error)  # same type and fields (e.g. a transport error's kind), clearer message
    final.message = (f"{last_error.message} No job appeared in {label}'s jobs list after {discovery.max_posts} "
                     "attempt(s) to start it, so as far as Hevo shows, no sync is running.")
    final.args = (final.message,)
    raise final from last_error


def _in_progress(label: str, job: Job, expected: frozenset[str]) -> HevoJobInProgress:
    return HevoJobInProgress(
        f"A {job.type or _describe(expected)} job ({job.job_id}, status {job.status}) is already running on {label}, "
        "and if_running is 'fail', so no new sync was started. Wait for it or cancel it in the Hevo UI, "
        "or set if_running: attach to wait for the running job instead.", job=job)


def _job_id_in(body: Any) -> str | None:
    """The job id if the trigger's answer carries one (top level, under ``data`` or under ``job``)."""
    if not isinstance(body, dict):
        return None
    holders = [body] + [body[k] for k in ("data", "job") if isinstance(body.get(k), dict)]
    for holder in holders:
        value = holder.get("job_id")
        if value not in (None, ""):
            return str(value)
    return None


def _discover(pipeline_id: Any, expected: frozenset[str], known: set[str], trigger_ms: int,
              discovery: DiscoveryPolicy) -> Generator[Op, Any, Job | None]:
    """Newest job of an expected type created since the trigger (any status), or None after the attempts."""
    threshold = trigger_ms - discovery.skew_ms
    for attempt in range(discovery.attempts):
        if attempt:
            yield Sleep(discovery.interval_s)
        cursor: str | None = None
        candidates: list[Job] = []
        try:
            for _ in range(discovery.max_pages):
                page: JobPage = yield ep.list_jobs(pipeline_id, limit=discovery.page_size, cursor=cursor)
                candidates += [j for j in page.jobs if j.type_key in expected and j.job_id not in known
                               and (j.created_ts is None or j.created_ts >= threshold)]
                old_seen = any(j.created_ts is not None and j.created_ts < threshold for j in page.jobs)
                if old_seen or not page.has_more or not page.next_cursor:
                    break
                cursor = page.next_cursor
        except HevoError as exc:
            if not _is_ambiguous(exc):
                raise
            continue  # the list call already retried; try again at the next attempt
        found = _newest(candidates)
        if found is not None:
            return found
    return None


def _find_running(pipeline_id: Any, expected: frozenset[str],
                  discovery: DiscoveryPolicy) -> Generator[Op, Any, tuple[Job | None, Job | None]]:
    """After "a job is in progress": the running job of the expected type, else the running job of another type.

    Polls because the refusing job may not be listed yet (jobs appear with a delay). Hevo has just told
    us a job runs, so this looks twice as long as plain discovery before giving up.
    """
    other: Job | None = None
    for attempt in range(2 * discovery.attempts):
        if attempt:
            yield Sleep(discovery.interval_s)
        try:
            page: JobPage = yield ep.list_jobs(pipeline_id, limit=discovery.page_size)
        except HevoError as exc:
            if not _is_ambiguous(exc):
                raise
            continue
        mine = _running_of(page.jobs, expected)
        if mine is not None:
            return mine, None
        other = _running_of(page.jobs, None)
        if other is not None:
            return None, other
    return None, other


def _fetch(pipeline_id: Any, job_id: str, expected: frozenset[str], trigger_ms: int,
           discovery: DiscoveryPolicy) -> Generator[Op, Any, Job]:
    """Read the job named in the sync-now answer; it may take a moment to become readable."""
    for attempt in range(discovery.attempts):
        if attempt:
            yield Sleep(discovery.interval_s)
        try:
            return (yield ep.get_job(pipeline_id, job_id))
        except HevoNotFound:
            continue
    # Hevo named the job, so it exists; let the waiter poll it (a lasting 404 will fail it there).
    return Job(job_id=job_id, status="IN_PROGRESS", type=sorted(expected)[0], created_ts=trigger_ms,
               raw={"job_id": job_id, "note": "named by the sync-now answer, not yet readable"})
