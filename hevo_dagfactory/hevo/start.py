"""Starting a sync without ever starting two: the logic of ``start_job``, written once for both clients.

The flow is a generator that yields what it needs done (an :class:`~.endpoints.ApiCall` to send, or a
:class:`Sleep`) and receives the parsed answer, or the raised :class:`~.errors.HevoError` thrown back
in. The sync client drives it with ``time.sleep``, the async one with ``asyncio.sleep``; the rules
below therefore exist once.

Rules (see docs/hevo-client.md for the why):
1. Look at the jobs first. A RUNNING job of the expected type → attach (``if_running="attach"``)
   or raise :class:`HevoJobInProgress` (``"fail"``). On a task retry (``attach_only=True``) we always
   attach to it: it is most likely our earlier try's job, and a second sync must never start while one
   runs. A retry also adopts a COMPLETED job of that type created since ``since_ms`` (our earlier try
   succeeded at Hevo but the task died); a finished FAILED/CANCELLED/with-failures job does not count,
   so a retry after a failure starts a new sync.
2. POST once. A 429 is retried by the client (Hevo refused it before acting). After a 5xx, a timeout,
   a dropped connection or a malformed answer the sync may have started: list the jobs and look for
   it before any re-POST (at most ``max_posts`` POSTs in all).
3. "A job is in progress" in the body → the running job found in the list is attached to (or
   refused, per ``if_running``). It can be ours only if an earlier POST of ours may have started it
   (its answer was lost), judged by the tiers of rule 4.
4. Discovery: the job id from the response if present; else a job of the expected type, in ANY status
   (a job that finished before our first look is still found), that was not listed before our POST
   and is not older than the newest job listed then. Candidates are tiered by ``created_ts``: created
   at or after the trigger time less ``tolerance_ms`` (ordinary clock skew) → taken at once (the
   newest such); created earlier but inside ``skew_ms`` → taken only if no better candidate appears
   in the remaining attempts (it may be ours with Hevo's clock behind, or a scheduled job that started
   just before our POST and was not listed yet); older → never. Bounded attempts with short sleeps.

The order of the jobs list is not documented, so no rule relies on it: pages are followed (up to
``max_pages``) unless what was read is really newest-first by ``created_ts`` and nothing further
down could matter.
"""

from __future__ import annotations

import copy
import itertools
import time
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass
from typing import Any

from . import endpoints as ep
from .errors import HevoError, HevoJobInProgress, HevoJobNotFound, HevoNotFound, HevoServerError, HevoTransportError
from .models import Job, JobOutcome, JobPage, StartedJob, expected_job_types, is_known_status

IF_RUNNING = ("attach", "fail")


@dataclass(frozen=True)
class DiscoveryPolicy:
    """How hard ``start_job`` looks for the job a trigger created.

    Hevo's provider docs say jobs take 5-15 s to appear, hence 10 looks 3 s apart by default.
    A job created at or after our trigger time less ``tolerance_ms`` (ordinary clock skew between us
    and Hevo) is taken at once. One created earlier, but not more than ``skew_ms`` before, is taken
    only when no such job appeared by the last attempt: with Hevo's clock more than ``tolerance_ms``
    behind ours, our own job lands there, and discovery then takes up to ``attempts * interval_s``.
    Jobs listed before the POST, and jobs older than the newest of them, are never taken.
    """

    attempts: int = 10
    interval_s: float = 3.0
    skew_ms: int = 60_000
    page_size: int = 20
    max_pages: int = 5
    max_posts: int = 2
    tolerance_ms: int = 1_000

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.max_posts < 1 or self.max_pages < 1:
            raise ValueError("DiscoveryPolicy attempts, max_posts and max_pages must be at least 1")
        if not 1 <= self.page_size <= ep.MAX_PAGE_SIZE:
            raise ValueError(f"DiscoveryPolicy page_size must be between 1 and {ep.MAX_PAGE_SIZE}")
        if self.interval_s < 0 or self.skew_ms < 0 or self.tolerance_ms < 0:
            raise ValueError("DiscoveryPolicy interval_s, skew_ms and tolerance_ms must not be negative")
        if self.tolerance_ms > self.skew_ms:
            raise ValueError("DiscoveryPolicy tolerance_ms must not exceed skew_ms")


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


def _newest_first(jobs: list[Job]) -> bool:
    """True if every job has a ``created_ts`` and they never get newer down the list."""
    stamps = [j.created_ts for j in jobs]
    return None not in stamps and all(a >= b for a, b in itertools.pairwise(stamps))  # type: ignore[operator]


def _scan(
    pipeline_id: Any, discovery: DiscoveryPolicy, enough: Callable[[list[Job]], bool]
) -> Generator[Op, Any, list[Job]]:
    """Read the jobs list, following cursors up to ``max_pages`` pages.

    Hevo does not document the order, so paging stops early only when every job read so far is
    newest-first by ``created_ts`` and ``enough(jobs)`` says nothing further down (older) matters.
    """
    jobs: list[Job] = []
    cursor: str | None = None
    ordered = True
    for _ in range(discovery.max_pages):
        page: JobPage = yield ep.list_jobs(pipeline_id, limit=discovery.page_size, cursor=cursor)
        ordered = ordered and _newest_first(jobs[-1:] + page.jobs)
        jobs += page.jobs
        if not page.has_more or not page.next_cursor or (ordered and jobs and enough(jobs)):
            break
        cursor = page.next_cursor
    return jobs


def _has_type(expected: frozenset[str]) -> Callable[[list[Job]], bool]:
    """Enough for a running-job check in a newest-first list: a job of the expected type was seen.

    Hevo starts no sync while a job runs, so a job of that type older than the newest one cannot
    still be running (and the newest one is what a task retry may adopt).
    """
    return lambda jobs: any(j.type_key in expected for j in jobs)


NOT_OURS, OURS, MAYBE_OURS = 0, 1, 2


@dataclass(frozen=True)
class _Judge:
    """Tells whether a job may be the one our POST at ``trigger_ms`` (our clock) started."""

    known: frozenset[str]  # ids listed before the POST
    floor: int | None  # created_ts (Hevo's clock) of the newest job listed before the POST
    trigger_ms: int
    discovery: DiscoveryPolicy

    def __call__(self, job: Job) -> int:
        created = job.created_ts
        if job.job_id in self.known or (created is not None and self.floor is not None and created < self.floor):
            return NOT_OURS  # it existed before we posted (by id, or by Hevo's own clock)
        if created is None:
            return MAYBE_OURS
        if created >= self.trigger_ms - self.discovery.tolerance_ms:
            return OURS
        if created >= self.trigger_ms - self.discovery.skew_ms:
            return MAYBE_OURS  # ours with Hevo's clock behind, or a scheduled job from just before our POST
        return NOT_OURS

    def older_than_any_candidate(self, jobs: list[Job]) -> bool:
        """In a newest-first list: the last job read is too old to be ours, so every later one is too."""
        oldest = jobs[-1].created_ts
        if oldest is None:
            return False
        bound = self.trigger_ms - self.discovery.skew_ms
        if self.floor is not None:
            bound = max(bound, self.floor)
        return oldest < bound


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
    clock=_now_ms,
) -> Flow:
    """The start-job state machine; see the module docstring. Returns a :class:`StartedJob`."""
    if if_running not in IF_RUNNING:
        raise ValueError(f"if_running must be 'attach' or 'fail', got {if_running!r}")
    expected = expected_job_types(action, job_type)
    action_key = action.strip().lower().replace("-", "_")
    trigger = ep.sync_now(pipeline_id) if action_key == "sync_now" else ep.resync(pipeline_id, resync_mode)
    label = f"pipeline {pipeline_id}"

    before = yield from _scan(pipeline_id, discovery, _has_type(expected))
    known = frozenset(j.job_id for j in before)
    floor = max((j.created_ts for j in before if j.created_ts is not None), default=None)
    running = _running_of(before, expected)
    if running is not None:
        if attach_only or if_running == "attach":
            return StartedJob(running, attached=True, triggered_at_ms=clock())
        raise _in_progress(label, running, expected)
    if attach_only and since_ms is not None:
        prior = _newest(
            j
            for j in before
            if j.type_key in expected and j.created_ts is not None and j.created_ts >= since_ms - discovery.skew_ms
        )
        if prior is not None and prior.outcome is JobOutcome.SUCCESS:
            return StartedJob(prior, attached=True, triggered_at_ms=clock())

    first_trigger_ms: int | None = None
    last_error: HevoError | None = None
    for _ in range(discovery.max_posts):
        trigger_ms = clock()
        if first_trigger_ms is None:
            first_trigger_ms = trigger_ms
        judge = _Judge(known, floor, first_trigger_ms, discovery)
        try:
            body = yield trigger
        except HevoJobInProgress as exc:
            # Only a job an earlier POST of ours may have started (its answer was lost) can be ours.
            mine, other, ours = yield from _find_running(
                pipeline_id, expected, discovery, judge if last_error is not None else None
            )
            if mine is not None:
                if ours or attach_only or if_running == "attach":
                    return StartedJob(mine, attached=not ours, triggered_at_ms=first_trigger_ms)
                raise _in_progress(label, mine, expected) from exc
            raise HevoJobInProgress(
                f"Hevo refused to start a {_describe(expected)} job on {label} because a job is in progress"
                + (f" (job {other.job_id}, type {other.type}, status {other.status})" if other else "")
                + f": {exc.body or exc.message}. Wait for that job or cancel it in the Hevo UI, then retry.",
                job=other,
                status=exc.status,
                body=exc.body,
                method=exc.method,
                url=exc.url,
            ) from exc
        except HevoError as exc:
            if not _is_ambiguous(exc):
                raise
            last_error = exc
            found = yield from _discover(pipeline_id, expected, judge, discovery)
            if found is not None:
                return StartedJob(found, attached=False, triggered_at_ms=first_trigger_ms)
            continue
        answered = _job_in_answer(body, expected)
        if answered is not None:
            return StartedJob(answered, attached=False, triggered_at_ms=trigger_ms)
        job_id = _job_id_in(body)
        if job_id:
            job = yield from _fetch(pipeline_id, job_id, expected, trigger_ms, discovery)
            return StartedJob(job, attached=False, triggered_at_ms=trigger_ms)
        found = yield from _discover(pipeline_id, expected, judge, discovery)
        if found is not None:
            return StartedJob(found, attached=False, triggered_at_ms=first_trigger_ms)
        waited = discovery.attempts * discovery.interval_s
        raise HevoJobNotFound(
            f"Hevo accepted the {trigger.path.rsplit('/', 1)[-1]} request for {label}, but no "
            f"{_describe(expected)} job created after it appeared in the jobs list within ~{waited:g} s. "
            "Look at the pipeline's Jobs tab in the Hevo UI; if the job type is spelled differently there, "
            "set job_type; if jobs appear slowly, raise the discovery attempts."
        )
    assert last_error is not None
    final = copy.copy(last_error)  # same type and fields (e.g. a transport error's kind), clearer message
    final.message = (
        f"{last_error.message} No job appeared in {label}'s jobs list after {discovery.max_posts} "
        "attempt(s) to start it, so as far as Hevo shows, no sync is running."
    )
    final.args = (final.message,)
    raise final from last_error


def _in_progress(label: str, job: Job, expected: frozenset[str]) -> HevoJobInProgress:
    return HevoJobInProgress(
        f"A {job.type or _describe(expected)} job ({job.job_id}, status {job.status}) is already running on {label}, "
        "and if_running is 'fail', so no new sync was started. Wait for it or cancel it in the Hevo UI, "
        "or set if_running: attach to wait for the running job instead.",
        job=job,
    )


def _holders(body: Any) -> list[dict[str, Any]]:
    if not isinstance(body, dict):
        return []
    return [body] + [body[k] for k in ("data", "job") if isinstance(body.get(k), dict)]


def _job_id_in(body: Any) -> str | None:
    """The job id if the trigger's answer carries one (top level, under ``data`` or under ``job``)."""
    for holder in _holders(body):
        value = holder.get("job_id")
        if value not in (None, ""):
            return str(value)
    return None


def _job_in_answer(body: Any, expected: frozenset[str]) -> Job | None:
    """The job itself, if the trigger's answer really is one: a job id, an expected type and a known job status.

    ``{"job_id": ..., "status": "success"}`` is an acknowledgement, not a job; such answers are read
    with ``get_job`` instead.
    """
    for holder in _holders(body):
        if holder.get("job_id") in (None, "") or not holder.get("status"):
            continue
        try:
            job = Job.from_api(holder)
        except ValueError:
            continue
        if job.type_key in expected and is_known_status(job.status):
            return job
    return None


def _discover(
    pipeline_id: Any, expected: frozenset[str], judge: _Judge, discovery: DiscoveryPolicy
) -> Generator[Op, Any, Job | None]:
    """Our job (any status): the newest one the judge calls OURS, or at the end the newest MAYBE_OURS."""
    fallback: Job | None = None
    for attempt in range(discovery.attempts):
        if attempt:
            yield Sleep(discovery.interval_s)
        try:
            jobs = yield from _scan(pipeline_id, discovery, judge.older_than_any_candidate)
        except HevoError as exc:
            if not _is_ambiguous(exc):
                raise
            continue  # the list call already retried; try again at the next attempt
        tiers = [(judge(j), j) for j in jobs if j.type_key in expected]
        found = _newest(j for tier, j in tiers if tier == OURS)
        if found is not None:
            return found
        maybe = _newest([j for tier, j in tiers if tier == MAYBE_OURS] + ([fallback] if fallback else []))
        if maybe is not None:
            fallback = maybe  # taken only if nothing better turns up in the remaining attempts
    return fallback


def _find_running(
    pipeline_id: Any, expected: frozenset[str], discovery: DiscoveryPolicy, judge: _Judge | None
) -> Generator[Op, Any, tuple[Job | None, Job | None, bool]]:
    """After "a job is in progress": (running job of the expected type, else the running job of another
    type, and whether the first is ours). ``judge`` None: it cannot be ours.

    Polls because the refusing job may not be listed yet (jobs appear with a delay). Hevo has just told
    us a job runs, so this looks twice as long as plain discovery before giving up. A job the judge
    calls MAYBE_OURS is ours only if no better one shows up in the ``attempts`` looks that follow.
    """
    other: Job | None = None
    maybe: Job | None = None
    looks = 2 * discovery.attempts
    decide_by = looks
    for attempt in range(looks):
        if attempt >= decide_by:
            break
        if attempt:
            yield Sleep(discovery.interval_s)
        try:
            jobs = yield from _scan(pipeline_id, discovery, _has_type(expected))
        except HevoError as exc:
            if not _is_ambiguous(exc):
                raise
            continue
        mine = _running_of(jobs, expected)
        if mine is not None:
            tier = judge(mine) if judge is not None else NOT_OURS
            if tier != MAYBE_OURS:
                return mine, None, tier == OURS
            if maybe is None:
                decide_by = min(looks, attempt + discovery.attempts)
            maybe = mine
            continue
        if maybe is not None:
            continue  # it ended meanwhile; still the best candidate unless a better one appears
        other = _running_of(jobs, None)
        if other is not None:
            return None, other, False
    if maybe is not None:
        return maybe, None, True
    return None, other, False


def _fetch(
    pipeline_id: Any, job_id: str, expected: frozenset[str], trigger_ms: int, discovery: DiscoveryPolicy
) -> Generator[Op, Any, Job]:
    """Read the job named in the sync-now answer; it may take a moment to become readable."""
    for attempt in range(discovery.attempts):
        if attempt:
            yield Sleep(discovery.interval_s)
        try:
            return (yield ep.get_job(pipeline_id, job_id))
        except HevoNotFound:
            continue
    # Hevo named the job, so it exists; let the waiter poll it (a lasting 404 will fail it there).
    return Job(
        job_id=job_id,
        status="IN_PROGRESS",
        type=sorted(expected)[0],
        created_ts=trigger_ms,
        raw={"job_id": job_id, "note": "named by the sync-now answer, not yet readable"},
    )
