"""HevoJobTrigger: waits for one Hevo job in the triggerer, without blocking its event loop.

Why it looks like this (see docs/provider.md and the anchors reference):
- It only reads. The operator POSTs the sync; a trigger can run twice (HA, restarts), so it
  must have no side effect except the user-requested cancel in ``on_kill``.
- The deadline is an absolute wall-clock epoch (monotonic clocks do not survive
  serialization) and is checked BEFORE the status on every loop, so an overrun always ends
  in a ``timeout`` event the operator can act on (cancel + clear failure).
- Transient errors (connection drops, 429, 5xx) are retried here with backoff instead of
  becoming failed tasks while the job keeps running.
- The poll interval grows x``poll_backoff`` per poll up to ``max_poll_interval``, so a
  long sync costs few of the 100 requests/minute the API key allows.
- ``asyncio.CancelledError`` (triggerer restart, redistribution) cancels nothing on Airflow
  >= 3.3: only ``on_kill`` (user marked the task) cancels the job. Airflow 2.x has no trigger
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

from hevo_dagfactory.hevo import HevoError, JobOutcome, classify, is_transient
from hevo_dagfactory.provider.compat import BaseTrigger, TriggerEvent, task_left_deferred
from hevo_dagfactory.provider.hooks.hevo import DEFAULT_CONN_ID, HevoConnectionError, HevoHook

CLASSPATH = "hevo_dagfactory.provider.triggers.job.HevoJobTrigger"
ON_KILL_TIMEOUT_S = 30.0


class HevoJobTrigger(BaseTrigger):
    """Poll one Hevo job until it ends, the deadline passes, or a non-transient error occurs.

    Yields exactly one event and returns. Payload keys: ``status`` (``terminal`` | ``timeout``
    | ``error``), ``pipeline_id``, ``job_id``, ``job`` (the last job dict seen, or ``None``),
    ``message``; plus ``outcome`` for ``terminal`` and ``error_status`` (Hevo's HTTP status)
    for ``error``.

    :param pipeline_id: Hevo Edge pipeline id.
    :param job_id: the job to follow.
    :param connection_id: Airflow connection id.
    :param region: region used when the connection has neither host nor region.
    :param deadline: absolute epoch seconds after which a ``timeout`` event is sent; ``None`` = no limit.
    :param poll_interval: first wait between polls, seconds.
    :param max_poll_interval: cap of the growing poll interval, seconds.
    :param poll_backoff: growth factor per poll.
    :param max_transient_errors: consecutive transient errors tolerated before an ``error`` event.
    :param cancel_on_kill: cancel the job when a user kills the deferred task (operators own
        their job; sensors only watch, so they pass ``False``).
    """

    def __init__(
        self,
        pipeline_id: int | str,
        job_id: str,
        connection_id: str = DEFAULT_CONN_ID,
        region: str | None = None,
        deadline: float | None = None,
        poll_interval: float = 15.0,
        max_poll_interval: float = 300.0,
        poll_backoff: float = 1.5,
        max_transient_errors: int = 20,
        cancel_on_kill: bool = True,
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
            },
        )

    def _hook(self) -> HevoHook:
        return HevoHook(self.connection_id, region=self.region)

    def _event(self, status: str, message: str, job: dict[str, Any] | None = None, **more: Any) -> TriggerEvent:
        payload = {
            "status": status,
            "pipeline_id": self.pipeline_id,
            "job_id": self.job_id,
            "job": job,
            "message": message,
        }
        payload.update(more)
        return TriggerEvent(payload)

    def _remaining(self) -> float | None:
        return None if self.deadline is None else self.deadline - time.time()

    async def _sleep(self, seconds: float) -> None:
        """Sleep, but never past the deadline (so the timeout is reported on time)."""
        remaining = self._remaining()
        if remaining is not None:
            seconds = min(seconds, max(remaining, 0.0))
        await asyncio.sleep(max(seconds, 0.0))

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Poll (see :meth:`_poll`); on Airflow 2.x a cancel of a killed task also cancels the job.

        The cancel happens only before the event fired: after it, the task resumes and owns the
        job's outcome, so a late cancellation of this generator must not touch the job.
        """
        fired = False
        try:
            async for event in self._poll():
                fired = True
                yield event
        except asyncio.CancelledError:
            if not fired and self.cancel_on_kill and await task_left_deferred(self):
                await self._cancel_job("the deferred task was marked or cleared by a user")
            raise

    async def _poll(self) -> AsyncIterator[TriggerEvent]:
        try:
            client = await self._hook().aget_conn()
        except HevoConnectionError as exc:
            yield self._event("error", str(exc))
            return
        interval = self.poll_interval
        errors = 0
        last: dict[str, Any] | None = None
        async with client:
            while True:
                remaining = self._remaining()
                if remaining is not None and remaining <= 0:
                    yield self._event(
                        "timeout",
                        f"Hevo job {self.job_id} of pipeline {self.pipeline_id} was still running at the deadline "
                        f"(last status {last.get('status') if last else 'unknown'}).",
                        last,
                    )
                    return
                try:
                    job = await client.get_job(self.pipeline_id, self.job_id)
                except HevoError as exc:
                    errors += 1
                    if is_transient(exc) and errors <= self.max_transient_errors:
                        wait = min(self.poll_interval * (2 ** min(errors, 6)), self.max_poll_interval)
                        self.log.warning(
                            "Transient error polling Hevo job %s (attempt %d of %d), retrying in %.1fs: %s",
                            self.job_id, errors, self.max_transient_errors, wait, exc,
                        )
                        await self._sleep(wait)
                        continue
                    yield self._event(
                        "error",
                        f"Polling Hevo job {self.job_id} of pipeline {self.pipeline_id} failed: {exc}",
                        last,
                        error_status=getattr(exc, "status", None),
                    )
                    return
                errors = 0
                last = job.to_dict()
                outcome = classify(job.status)
                if outcome is not JobOutcome.RUNNING:
                    yield self._event(
                        "terminal",
                        f"Hevo job {self.job_id} ended with status {job.status}.",
                        last,
                        outcome=outcome.value,
                    )
                    return
                self.log.info(
                    "Hevo job %s of pipeline %s is %s; next poll in %.1fs", self.job_id, self.pipeline_id,
                    job.status, interval,
                )
                await self._sleep(interval)
                interval = min(interval * self.poll_backoff, self.max_poll_interval)

    async def on_kill(self) -> None:
        """User marked the deferred task failed/success or cleared it (Airflow >= 3.3): cancel the job.

        Best effort and bounded; errors are logged, never raised. Not called on triggerer
        restarts, so those leave the job running, as they should.
        """
        if not self.cancel_on_kill:
            return
        await self._cancel_job("task killed by a user")

    async def _cancel_job(self, reason: str) -> None:
        """Cancel the Hevo job, bounded; log, never raise (best effort by contract)."""
        try:
            client = await self._hook().aget_conn()
            async with client:
                await asyncio.wait_for(client.cancel_job(self.pipeline_id, self.job_id), ON_KILL_TIMEOUT_S)
            self.log.info("Cancelled Hevo job %s of pipeline %s (%s).", self.job_id, self.pipeline_id, reason)
        except Exception as exc:  # noqa: BLE001 - best effort by contract
            self.log.warning("Could not cancel Hevo job %s of pipeline %s: %s", self.job_id, self.pipeline_id, exc)
