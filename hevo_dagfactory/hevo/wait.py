"""Waiting for a Hevo job: the deadline, the growing interval and the transient-error budget, written once.

Every way of waiting drives this one flow: the trigger (async, in the triggerer), the operator's
worker-side poll, the sensor (deferred; its pokes reuse the single look) and the wait-only syncs. Like
``start_job_flow`` it is a generator that yields an :class:`~.endpoints.ApiCall` or a
:class:`~.flow.Sleep` and receives the parsed answer or has the :class:`~.errors.HevoError` thrown in
(:mod:`.drive` runs it); it returns a :class:`WaitResult`. What one *look* is (read one job, or scan the
jobs list for a job that completed after a time) is a *watch* object; the loop does not care.

Rules (docs/hevo-client.md, "Waiting"):
1. The deadline is an absolute wall-clock epoch, checked **before** every look: a job that ends after
   the deadline still times out, so the caller can act on it (cancel) before any framework backstop.
   Every sleep is cut at the deadline; the driver bounds each call by the time left and throws
   :class:`~.drive.NoAnswer` in when it stops waiting (then the deadline check reports the timeout).
2. A look that finds the wait over (a terminal job) returns it; otherwise sleep ``interval``, which
   grows x``backoff`` per look up to ``max_poll_interval`` (a long sync costs few of the key's 100
   requests a minute). Unknown statuses count as running (``classify``); the deadline bounds them.
3. A transient error (connection, timeout, malformed answer, 429, 5xx; what the client's own retries
   left over) waits ``poll_interval * 2**n`` (n ≤ 6, capped at ``max_poll_interval``) and looks again;
   the ``max_transient_errors + 1``-th in a row, or any other error (401, 403, 404), ends the wait
   with an ``error`` result. A successful look resets the count.
Every call goes through the client, so the key's rate budget and the retry policy apply to each look.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any, Protocol

from . import endpoints as ep
from .drive import NoAnswer
from .errors import HevoError, is_transient
from .flow import Sleep
from .models import Job, JobOutcome

log = logging.getLogger(__name__)

#: First wait between two looks, seconds (the operator's and the seed's default).
DEFAULT_POLL_INTERVAL_S = 15.0
#: Cap of the growing interval: a job that runs for hours is looked at every 5 minutes.
MAX_POLL_INTERVAL_S = 300.0
#: Growth of the interval per look.
POLL_BACKOFF = 1.5
#: Transient errors in a row tolerated before the wait ends with an ``error`` result.
MAX_TRANSIENT_ERRORS = 20
#: The error backoff doubles per error in a row up to 2**this times the poll interval.
ERROR_BACKOFF_MAX_DOUBLINGS = 6

TERMINAL, TIMEOUT, ERROR = "terminal", "timeout", "error"


@dataclass(frozen=True)
class WaitPolicy:
    """How often to look and how many transient errors to sit out (all times in seconds)."""

    poll_interval: float = DEFAULT_POLL_INTERVAL_S
    max_poll_interval: float = MAX_POLL_INTERVAL_S
    backoff: float = POLL_BACKOFF
    max_transient_errors: int = MAX_TRANSIENT_ERRORS

    def __post_init__(self) -> None:
        if not self.poll_interval > 0:
            raise ValueError(f"poll_interval must be positive, got {self.poll_interval!r}")
        if self.backoff < 1:
            raise ValueError(f"backoff must be at least 1 (a shrinking interval is a hot loop), got {self.backoff!r}")
        if self.max_transient_errors < 0:
            raise ValueError(f"max_transient_errors must not be negative, got {self.max_transient_errors!r}")
        # a cap below the first interval would shrink it: the first interval wins
        object.__setattr__(self, "max_poll_interval", max(float(self.max_poll_interval), float(self.poll_interval)))

    def next_interval(self, interval: float) -> float:
        return min(interval * self.backoff, self.max_poll_interval)

    def error_wait(self, errors_in_a_row: int) -> float:
        """Wait after the n-th transient error in a row: ``poll_interval * 2**n``, capped."""
        doublings = min(errors_in_a_row, ERROR_BACKOFF_MAX_DOUBLINGS)
        return min(self.poll_interval * 2.0**doublings, self.max_poll_interval)


DEFAULT_WAIT = WaitPolicy()


@dataclass(frozen=True)
class WaitResult:
    """How a wait ended: ``end`` is ``terminal`` | ``timeout`` | ``error``.

    ``job`` is the job that ended the wait (``terminal``) or the last one seen (``None`` if none was);
    ``error`` the error that ended an ``error`` wait; ``message`` says what happened, for logs and events.
    """

    end: str
    job: Job | None
    message: str
    error: HevoError | None = None

    @property
    def outcome(self) -> JobOutcome | None:
        return self.job.outcome if self.end == TERMINAL and self.job is not None else None

    @property
    def error_status(self) -> int | None:
        return getattr(self.error, "status", None)


class Watch(Protocol):
    """What one look of a wait is, and how its ends are told (see :class:`JobWatch`)."""

    subject: str
    last: Job | None

    def look(self) -> Generator[Any, Any, Job | None]: ...
    def progress(self) -> str: ...
    def ended(self, job: Job) -> str: ...
    def timed_out(self) -> str: ...
    def failed(self, problem: str) -> str: ...


class JobWatch:
    """Follow one known job until it reaches a terminal status."""

    def __init__(self, pipeline_id: Any, job_id: str) -> None:
        self.pipeline_id = pipeline_id
        self.job_id = job_id
        self.subject = f"Hevo job {job_id} of pipeline {pipeline_id}"
        self.last: Job | None = None

    def look(self) -> Generator[Any, Any, Job | None]:
        """One read of the job: the job if it has ended, else ``None``."""
        job: Job = yield ep.get_job(self.pipeline_id, self.job_id)
        self.last = job
        return job if job.outcome.terminal else None

    def progress(self) -> str:
        return f"{self.subject} is {self.last.status if self.last else 'not read yet'}"

    def ended(self, job: Job) -> str:
        return f"Hevo job {self.job_id} ended with status {job.status}."

    def timed_out(self) -> str:
        status = self.last.status if self.last else "unknown"
        return f"{self.subject} was still running at the deadline (last status {status})."

    def failed(self, problem: str) -> str:
        return f"Polling {self.subject} failed: {problem}"


def wait_flow(
    watch: Watch,
    *,
    deadline: float | None = None,
    policy: WaitPolicy | None = None,
    clock: Callable[[], float] = time.time,
    logger: logging.Logger | Any = None,
) -> Generator[Any, Any, WaitResult]:
    """Look until the watch sees the end, the deadline passes or an error ends it (module docstring).

    ``policy`` defaults to :data:`DEFAULT_WAIT`; ``logger`` (progress and transient errors) to this module's.
    """
    policy = policy or DEFAULT_WAIT
    logger = logger or log

    def left() -> float | None:
        return None if deadline is None else deadline - clock()

    def nap(seconds: float) -> Sleep:
        remaining = left()
        return Sleep(max(0.0, seconds if remaining is None else min(seconds, remaining)))

    interval = policy.poll_interval
    errors = 0
    while True:
        remaining = left()
        if remaining is not None and remaining <= 0:
            return WaitResult(TIMEOUT, watch.last, watch.timed_out())
        try:
            ended = yield from watch.look()
        except HevoError as exc:
            remaining = left()
            if isinstance(exc, NoAnswer) and remaining is not None and remaining <= 0:
                continue  # the call was cut at the deadline: the check above reports it
            errors += 1
            if not is_transient(exc) or errors > policy.max_transient_errors:
                return WaitResult(ERROR, watch.last, watch.failed(str(exc)), error=exc)
            wait = policy.error_wait(errors)
            logger.warning(
                "Transient error following %s (attempt %d of %d), retrying in %.1fs: %s",
                watch.subject,
                errors,
                policy.max_transient_errors,
                wait,
                exc,
            )
            yield nap(wait)
            continue
        errors = 0
        if ended is not None:
            return WaitResult(TERMINAL, ended, watch.ended(ended))
        logger.info("%s; next poll in %.1fs", watch.progress(), interval)
        yield nap(interval)
        interval = policy.next_interval(interval)


def wait_job_flow(
    pipeline_id: Any,
    job_id: str,
    *,
    deadline: float | None = None,
    policy: WaitPolicy | None = None,
    clock: Callable[[], float] = time.time,
    logger: logging.Logger | Any = None,
) -> Generator[Any, Any, WaitResult]:
    """:func:`wait_flow` of a :class:`JobWatch`: wait for one known job."""
    watch = JobWatch(pipeline_id, job_id)
    return (yield from wait_flow(watch, deadline=deadline, policy=policy, clock=clock, logger=logger))
