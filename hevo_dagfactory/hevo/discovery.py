"""Finding the job our sync-now/resync POST started (Hevo's answer carries no job id).

Which job can be ours (docs/hevo-client.md has the why of each rule):
- the job id in the POST's answer, if there is one, read with ``get_job``;
- otherwise a job of the expected type that was not listed before our POST, is not older than the
  newest job listed then (Hevo's own clock), and is not a SKIPPED record (Hevo records a *scheduled*
  run that met a running job as SKIPPED; a POST that meets one is refused instead, so no POST ever
  produces such a record). Any other status is possible: a short sync may have ended, failed or been
  cancelled before our first look;
- tiers by ``created_ts`` against our trigger time: at or after it less ``tolerance_ms`` → taken at
  once (the newest such); earlier but inside ``skew_ms`` → taken only if nothing of the first tier
  appears in the remaining looks (ours with Hevo's clock behind, or a scheduled job from just before
  our POST); older → never.
After "a job is in progress" (:func:`find_running`) the running job of the type is ours only if an
earlier POST of ours may have started it (its answer was lost), judged by the same tiers.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

from . import endpoints as ep
from .errors import HevoError, HevoNotFound, HevoServerError, HevoTransportError
from .flow import Op, Sleep
from .joblist import has_type, newest, running_of, scan
from .models import Job, is_known_status

#: Statuses no sync-now/resync POST can have produced: a scheduled run that met a running job.
NOT_FROM_A_POST = frozenset({"SKIPPED"})


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

    def look(self, pipeline_id: Any, enough: Any) -> Generator[Op, Any, list[Job]]:
        """One read of the jobs list with this policy's page size and page bound."""
        return (yield from scan(pipeline_id, self.page_size, self.max_pages, enough))


DEFAULT_DISCOVERY = DiscoveryPolicy()

NOT_OURS, OURS, MAYBE_OURS = 0, 1, 2


def is_ambiguous(exc: HevoError) -> bool:
    """Failures after which a POST may or may not have started a job."""
    return isinstance(exc, (HevoServerError, HevoTransportError))


@dataclass(frozen=True)
class Judge:
    """Tells whether a job may be the one our POST at ``trigger_ms`` (our clock) started."""

    known: frozenset[str]  # ids listed before the POST
    floor: int | None  # created_ts (Hevo's clock) of the newest job listed before the POST
    trigger_ms: int
    discovery: DiscoveryPolicy

    def __call__(self, job: Job) -> int:
        created = job.created_ts
        if job.status in NOT_FROM_A_POST:
            return NOT_OURS  # a scheduled run's record, whenever it was created
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


def judge_for(before: list[Job], trigger_ms: int, discovery: DiscoveryPolicy) -> Judge:
    """The judge of jobs after a POST at ``trigger_ms``, given the jobs listed before it."""
    floor = max((j.created_ts for j in before if j.created_ts is not None), default=None)
    return Judge(frozenset(j.job_id for j in before), floor, trigger_ms, discovery)


def discover(
    pipeline_id: Any, expected: frozenset[str], judge: Judge, discovery: DiscoveryPolicy
) -> Generator[Op, Any, Job | None]:
    """Our job (any status): the newest one the judge calls OURS, or at the end the newest MAYBE_OURS."""
    fallback: Job | None = None
    for attempt in range(discovery.attempts):
        if attempt:
            yield Sleep(discovery.interval_s)
        try:
            jobs = yield from discovery.look(pipeline_id, judge.older_than_any_candidate)
        except HevoError as exc:
            if not is_ambiguous(exc):
                raise
            continue  # the list call already retried; try again at the next attempt
        tiers = [(judge(j), j) for j in jobs if j.type_key in expected]
        found = newest(j for tier, j in tiers if tier == OURS)
        if found is not None:
            return found
        maybe = newest([j for tier, j in tiers if tier == MAYBE_OURS] + ([fallback] if fallback else []))
        if maybe is not None:
            fallback = maybe  # taken only if nothing better turns up in the remaining attempts
    return fallback


def find_running(
    pipeline_id: Any, expected: frozenset[str], discovery: DiscoveryPolicy, judge: Judge | None
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
            jobs = yield from discovery.look(pipeline_id, has_type(expected))
        except HevoError as exc:
            if not is_ambiguous(exc):
                raise
            continue
        mine = running_of(jobs, expected)
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
        other = running_of(jobs, None)
        if other is not None:
            return None, other, False
    if maybe is not None:
        return maybe, None, True
    return None, other, False


def fetch_named(
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


def _holders(body: Any) -> list[dict[str, Any]]:
    if not isinstance(body, dict):
        return []
    return [body] + [body[k] for k in ("data", "job") if isinstance(body.get(k), dict)]


def job_id_in(body: Any) -> str | None:
    """The job id if the trigger's answer carries one (top level, under ``data`` or under ``job``)."""
    for holder in _holders(body):
        value = holder.get("job_id")
        if value not in (None, ""):
            return str(value)
    return None


def job_in_answer(body: Any, expected: frozenset[str]) -> Job | None:
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
        if job.type_key in expected and is_known_status(job.status) and job.status not in NOT_FROM_A_POST:
            return job
    return None
