"""HevoJobTrigger: waits for one Hevo job in the triggerer, without blocking its event loop.

It follows a known job (``job_id``), or, for a wait-only sync (``completed_after_ms``), waits for a
job of the type that completes after that time, started by nobody here (hevo/completion.py). Either
way it drives the one wait flow (hevo/wait.py) with the async client.

Why it looks like this (see docs/provider.md and the anchors reference):
- It only reads. The operator POSTs the sync; a trigger can run twice (HA, restarts), so it
  must have no side effect except the user-requested cancel in ``on_kill``.
- The deadline is an absolute wall-clock epoch (monotonic clocks do not survive
  serialization) and is checked BEFORE the status on every loop, so an overrun always ends
  in a ``timeout`` event the operator can act on (cancel + clear failure). Every await
  (connection lookup, each poll with the client's own retries, Retry-After and rate-budget
  waits, every sleep) is bounded by the time left, so the event comes on time: a late one
  would run into the framework's defer backstop, which fails the task without a cancel.
- Transient errors (connection drops, 429, 5xx, a failing connection lookup) are retried
  here with backoff instead of becoming failed tasks while the job keeps running; anything
  unexpected becomes an ``error`` event, on which the operator re-checks the job.
- The poll interval grows x``poll_backoff`` per poll up to ``max_poll_interval``, so a
  long sync costs few of the 100 requests/minute the API key allows.
- ``asyncio.CancelledError`` (triggerer restart, redistribution) cancels nothing on Airflow
  >= 3.3: only ``on_kill`` (user marked the task) cancels the job, and only when the
  operator owns it (``cancel_on_kill``); the whole cancel, lookup included, is bounded below
  the framework's ``on_kill`` timeout. Airflow 2.x has no trigger
  ``on_kill``, so there a CancelledError cancels the job only when the task instance is no
  longer DEFERRED (``compat.task_left_deferred``), and is always re-raised.

The classpath ``hevo_dagfactory.provider.triggers.job.HevoJobTrigger`` is public API: tasks
deferred during an upgrade are re-created from it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from hevo_dagfactory.hevo.completion import CompletionWatch
from hevo_dagfactory.hevo.wait import (
    DEFAULT_POLL_INTERVAL_S,
    MAX_POLL_INTERVAL_S,
    MAX_TRANSIENT_ERRORS,
    POLL_BACKOFF,
    TIMEOUT,
    JobWatch,
    WaitPolicy,
    WaitResult,
)
from hevo_dagfactory.provider.compat import TRIGGER_ON_KILL_TIMEOUT_S, BaseTrigger, TriggerEvent, task_left_deferred
from hevo_dagfactory.provider.hooks.hevo import DEFAULT_CONN_ID, HevoConnectionError, HevoHook
from hevo_dagfactory.provider.triggers.events import event_payload, wait_event

CLASSPATH = "hevo_dagfactory.provider.triggers.job.HevoJobTrigger"
#: Our own bound of a cancel on kill (lookup included): under the framework's, so we log the outcome.
ON_KILL_TIMEOUT_S = max(TRIGGER_ON_KILL_TIMEOUT_S - 2.0, 1.0)
#: Connection lookups tried before the trigger gives up with an ``error`` event.
LOOKUP_ATTEMPTS = 6


class HevoJobTrigger(BaseTrigger):
    """Poll one Hevo job until it ends, the deadline passes, or a non-transient error occurs.

    Yields exactly one event and returns. Payload keys: ``status`` (``terminal`` | ``timeout``
    | ``error``), ``pipeline_id``, ``job_id``, ``job`` (the last job dict seen, or ``None``),
    ``message``, ``owned`` (= ``cancel_on_kill``: may the task cancel the job); plus ``outcome``
    for ``terminal`` and ``error_status`` (Hevo's HTTP status) for ``error``.

    :param pipeline_id: Hevo Edge pipeline id.
    :param job_id: the job to follow (``None`` for a wait-only sync).
    :param connection_id: Airflow connection id.
    :param region: region used when the connection has neither host nor region.
    :param deadline: absolute epoch seconds after which a ``timeout`` event is sent; ``None`` = no limit.
    :param poll_interval: first wait between polls, seconds.
    :param max_poll_interval: cap of the growing poll interval, seconds.
    :param poll_backoff: growth factor per poll.
    :param max_transient_errors: consecutive transient errors tolerated before an ``error`` event.
    :param cancel_on_kill: cancel the job when a user kills the deferred task: True only when the
        operator owns the job (provider/tries.py); sensors only watch, so they pass ``False``.
    :param completed_after_ms: wait-only: wait for a job that completes at or after this epoch time
        (ms) instead of following ``job_id``; ``None`` (default) follows ``job_id``.
    :param job_type: wait-only: the job type to wait for (default ``INCREMENTAL``).
    :param accept_completed_with_failures: wait-only: a job COMPLETED_WITH_FAILURES counts as the
        completion (the task's policy is ``warn`` or ``succeed``).

    Tasks deferred by an earlier version are re-created from their serialized kwargs, which lack
    the wait-only ones; their defaults mean "follow ``job_id``", as before.
    """

    def __init__(
        self,
        pipeline_id: int | str,
        job_id: str | None,
        connection_id: str = DEFAULT_CONN_ID,
        region: str | None = None,
        deadline: float | None = None,
        poll_interval: float = DEFAULT_POLL_INTERVAL_S,
        max_poll_interval: float = MAX_POLL_INTERVAL_S,
        poll_backoff: float = POLL_BACKOFF,
        max_transient_errors: int = MAX_TRANSIENT_ERRORS,
        cancel_on_kill: bool = True,
        completed_after_ms: int | None = None,
        job_type: str | None = None,
        accept_completed_with_failures: bool = False,
    ) -> None:
        super().__init__()
        self.pipeline_id = pipeline_id
        self.job_id = job_id
        self.connection_id = connection_id
        self.region = region
        self.deadline = float(deadline) if deadline is not None else None
        self.poll_interval = float(poll_interval)
        self.max_poll_interval = max(float(max_poll_interval), self.poll_interval)
        self.poll_backoff = float(poll_backoff)
        self.max_transient_errors = int(max_transient_errors)
        self.cancel_on_kill = bool(cancel_on_kill)
        self.completed_after_ms = int(completed_after_ms) if completed_after_ms is not None else None
        self.job_type = job_type
        self.accept_completed_with_failures = bool(accept_completed_with_failures)
        if self.completed_after_ms is None and not job_id:
            raise ValueError("HevoJobTrigger needs a job_id to follow, or completed_after_ms for a wait-only sync")

    @classmethod
    def with_policy(cls, policy: WaitPolicy, **kwargs: Any) -> HevoJobTrigger:
        """A trigger whose wait follows ``policy`` (the operator and the sensor build theirs this way)."""
        return cls(
            poll_interval=policy.poll_interval,
            max_poll_interval=policy.max_poll_interval,
            poll_backoff=policy.backoff,
            max_transient_errors=policy.max_transient_errors,
            **kwargs,
        )

    def serialize(self) -> tuple[str, dict[str, Any]]:
        """Every ``__init__`` argument, so a triggerer restart re-creates the same trigger."""
        return (
            CLASSPATH,
            {
                "pipeline_id": self.pipeline_id,
                "job_id": self.job_id,
                "connection_id": self.connection_id,
                "region": self.region,
                "deadline": self.deadline,
                "poll_interval": self.poll_interval,
                "max_poll_interval": self.max_poll_interval,
                "poll_backoff": self.poll_backoff,
                "max_transient_errors": self.max_transient_errors,
                "cancel_on_kill": self.cancel_on_kill,
                "completed_after_ms": self.completed_after_ms,
                "job_type": self.job_type,
                "accept_completed_with_failures": self.accept_completed_with_failures,
            },
        )

    def _hook(self) -> HevoHook:
        return HevoHook(self.connection_id, region=self.region)

    def _event(self, status: str, message: str, job: dict[str, Any] | None = None, **more: Any) -> TriggerEvent:
        return TriggerEvent(
            event_payload(
                status,
                pipeline_id=self.pipeline_id,
                job_id=self.job_id,
                job=job,
                message=message,
                owned=self.cancel_on_kill,
                **more,
            )
        )

    def _remaining(self) -> float | None:
        return None if self.deadline is None else self.deadline - time.time()

    def _past_deadline(self) -> bool:
        left = self._remaining()
        return left is not None and left <= 0

    async def _within(self, awaitable: Any) -> Any:
        """Await, but not past the deadline (``asyncio.TimeoutError`` then): retries and waits included."""
        left = self._remaining()
        if left is None:
            return await awaitable
        return await asyncio.wait_for(awaitable, max(left, 0.0))

    async def _sleep(self, seconds: float) -> None:
        """Sleep, but never past the deadline (so the timeout is reported on time)."""
        remaining = self._remaining()
        if remaining is not None:
            seconds = min(seconds, max(remaining, 0.0))
        await asyncio.sleep(max(seconds, 0.0))

    def _watch(self) -> JobWatch | CompletionWatch:
        """What one look is: read the job, or (wait-only) scan the jobs list for a completion."""
        if self.completed_after_ms is None:
            return JobWatch(self.pipeline_id, str(self.job_id))
        return CompletionWatch(
            self.pipeline_id,
            self.completed_after_ms,
            job_type=self.job_type,
            accept_completed_with_failures=self.accept_completed_with_failures,
        )

    def policy(self) -> WaitPolicy:
        """The wait flow's policy (interval, growth, cap, transient-error budget) from the serialized kwargs."""
        return WaitPolicy(self.poll_interval, self.max_poll_interval, self.poll_backoff, self.max_transient_errors)

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Poll (see :meth:`_poll`); on Airflow 2.x a cancel of a killed task also cancels the job.

        The cancel happens only before the event fired: after it, the task resumes and owns the
        job's outcome, so a late cancellation of this generator must not touch the job.
        """
        fired = False
        try:
            async for event in self._guarded():
                fired = True
                yield event
        except asyncio.CancelledError:
            if not fired and self.cancel_on_kill and await task_left_deferred(self):
                await self._cancel_job("the deferred task was marked or cleared by a user")
            raise

    async def _guarded(self) -> AsyncIterator[TriggerEvent]:
        """:meth:`_poll`, with anything unexpected turned into an ``error`` event (the operator re-checks)."""
        fired = False
        try:
            async for event in self._poll():  # exhausted, so the client session closes right after the event
                fired = True
                yield event
        except Exception as exc:
            self.log.exception("Unexpected error while waiting for %s", self._watch().subject)
            if fired:  # exactly one event per run: the task already has its answer
                return
            yield self._event(
                "error",
                f"The trigger waiting for {self._watch().subject} hit an unexpected "
                f"{type(exc).__name__}: {str(exc)[:300]} (details in the triggerer's log)",
                None,
                error_status=None,
            )

    async def _client(self) -> Any:
        """The async client, looking the connection up with retries; None when the deadline passed.

        A missing or incomplete connection (``HevoConnectionError``) is a user's fix, not a blip:
        raised at once. Anything else (secrets backend or API server briefly unreachable) is
        retried with backoff, then reported with what to do.
        """
        for attempt in range(1, LOOKUP_ATTEMPTS + 1):
            try:
                return await self._within(self._hook().aget_conn())
            except HevoConnectionError:
                raise
            except asyncio.TimeoutError:
                return None
            except Exception as exc:  # noqa: BLE001 - a lookup failure of any kind is retried, then reported
                if attempt == LOOKUP_ATTEMPTS:
                    raise _LookupFailed(
                        f"Could not read Airflow connection '{self.connection_id}' in the triggerer after "
                        f"{LOOKUP_ATTEMPTS} attempts ({type(exc).__name__}: {str(exc)[:200]}). Check that the "
                        "triggerer can reach the connection's secrets backend or the Airflow API server"
                    ) from None
                wait = self.policy().error_wait(attempt)
                self.log.warning(
                    "Looking up connection '%s' failed (attempt %d of %d), retrying in %.1fs: %s: %s",
                    self.connection_id,
                    attempt,
                    LOOKUP_ATTEMPTS,
                    wait,
                    type(exc).__name__,
                    exc,
                )
                await self._sleep(wait)
                if self._past_deadline():
                    return None
        return None  # pragma: no cover - the loop returns or raises

    async def _poll(self) -> AsyncIterator[TriggerEvent]:
        """Drive the one wait flow (hevo/wait.py) with the async client; every await is cut at the deadline."""
        try:
            client = await self._client()
        except (HevoConnectionError, _LookupFailed) as exc:
            yield self._event("error", str(exc))
            return
        watch = self._watch()
        if client is None:  # the lookup ran into the deadline
            result = WaitResult(TIMEOUT, None, watch.timed_out())
        else:
            async with client:
                result = await client.wait(watch, deadline=self.deadline, policy=self.policy(), logger=self.log)
        yield TriggerEvent(
            wait_event(result, pipeline_id=self.pipeline_id, job_id=self.job_id, owned=self.cancel_on_kill)
        )

    async def on_kill(self) -> None:
        """User marked the deferred task failed/success or cleared it (Airflow >= 3.3): cancel an owned job.

        Best effort and bounded (lookup included); errors are logged, never raised. Not called
        on triggerer restarts, so those leave the job running, as they should.
        """
        if self.job_id is None:
            self.log.info("Task killed; nothing to cancel: this wait-only task started no Hevo job.")
            return
        if not self.cancel_on_kill:
            self.log.info(
                "Task killed; Hevo job %s of pipeline %s is left running: this task only watched or attached to it "
                "and did not start it.",
                self.job_id,
                self.pipeline_id,
            )
            return
        await self._cancel_job("task killed by a user")

    async def _cancel_job(self, reason: str) -> None:
        """Cancel the Hevo job within ON_KILL_TIMEOUT_S in all; log, never raise (best effort by contract)."""

        async def cancel() -> None:
            client = await self._hook().aget_conn()
            async with client:
                await client.cancel_job(self.pipeline_id, self.job_id)

        try:
            await asyncio.wait_for(cancel(), ON_KILL_TIMEOUT_S)
            self.log.info("Cancelled Hevo job %s of pipeline %s (%s).", self.job_id, self.pipeline_id, reason)
        except asyncio.TimeoutError:
            self.log.warning(
                "Could not cancel Hevo job %s of pipeline %s within %.0f s (%s); cancel it in the Hevo UI.",
                self.job_id,
                self.pipeline_id,
                ON_KILL_TIMEOUT_S,
                reason,
            )
        except Exception as exc:  # noqa: BLE001 - best effort by contract
            self.log.warning("Could not cancel Hevo job %s of pipeline %s: %s", self.job_id, self.pipeline_id, exc)


class _LookupFailed(Exception):
    """The connection lookup kept failing for a reason other than a missing or incomplete connection."""
