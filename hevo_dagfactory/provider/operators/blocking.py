"""The worker side of HevoPipelineOperator: blocking poll, cancel-or-leave, and ``on_kill``.

Why a module of its own: these paths run in the worker and must stay bounded although the sync
client can block for minutes (retries, Retry-After, the rate budget):

- every read runs under the time left to the deadline (provider/bounded.py), so the deadline
  is met even while Hevo answers slowly or with 429s;
- Airflow's ``execution_timeout`` arrives as an ``AirflowTaskTimeout`` raised by a signal in the
  middle of the poll. Airflow calls ``on_kill`` only AFTER that exception has left ``execute``
  (task_runner ``_run_execute_callable`` on 3.3, ``_execute_task`` on 2.11), when this poll's
  state is gone; so the poll itself cancels the job it owns before it lets the timeout out;
- ``on_kill`` (SIGTERM: a user marked the task, or the worker stops) cancels without a
  connection lookup (the settings were resolved at start), bounded to the framework's grace
  period before SIGKILL (``compat.WORKER_KILL_GRACE_S``).

Only a job the task owns is cancelled (provider/tries.py); for any other the log says why not.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, NamedTuple

from hevo_dagfactory.hevo import HevoError, JobOutcome, classify, is_transient
from hevo_dagfactory.provider.bounded import CallTimedOut, call_within, remaining
from hevo_dagfactory.provider.compat import WORKER_KILL_GRACE_S, AirflowTaskTimeout
from hevo_dagfactory.provider.results import HevoJobFailed, job_result

if TYPE_CHECKING:
    from hevo_dagfactory.hevo import EdgeClient
    from hevo_dagfactory.provider.hooks.hevo import HevoConnSettings

#: Cap of the growing poll interval (x1.5 per poll).
MAX_POLL_INTERVAL_S = 300.0
POLL_BACKOFF = 1.5
MAX_TRANSIENT_ERRORS = 20


class Running(NamedTuple):
    """The job a blocking poll is waiting for, with what a kill needs to cancel it."""

    pipeline_id: Any
    job_id: str
    settings: HevoConnSettings
    owned: bool
    ti: Any = None  # where the final result is published (XCom ``hevo_result``)


class BlockingPoll:
    """Mixin for HevoPipelineOperator (uses its ``pipeline_id``, ``poll_interval``, policy, hook and log)."""

    _conclude: Any  # the operator's end of a wait (failing tables, hevo_result, verdict)
    #: Bound of one cancel (or re-check) on the timeout path, where no framework grace applies.
    CANCEL_TIMEOUT_S = 30.0
    _running: Running | None
    _ended: str | None

    def _poll(
        self, client: EdgeClient, running: Running, attached: bool, deadline: float, ui_base: str
    ) -> dict[str, Any]:
        """Blocking wait on the worker: same deadline, backoff and verdict as the deferred path."""
        self._running = running
        self._ended = None
        job_id = running.job_id
        interval = self.poll_interval
        errors = 0
        last_status = "unknown"
        try:
            while True:
                if time.time() >= deadline:
                    raise HevoJobFailed(
                        self._timeout_message(job_id, last_status, self._end_job("the deadline passed"))
                    )
                try:
                    job = call_within(
                        lambda: client.get_job(self.pipeline_id, job_id),
                        remaining(deadline),
                        f"reading Hevo job {job_id}",
                    )
                except CallTimedOut:
                    self.log.warning("No answer from Hevo about job %s before the deadline.", job_id)
                    continue  # the deadline has come: the check above ends the wait
                except HevoError as exc:
                    errors += 1
                    if is_transient(exc) and errors <= MAX_TRANSIENT_ERRORS:
                        self.log.warning("Transient error polling Hevo job %s, retrying: %s", job_id, exc)
                        self._sleep(min(interval * errors, MAX_POLL_INTERVAL_S), deadline)
                        continue
                    raise HevoJobFailed(
                        f"Polling Hevo job {job_id} of pipeline {self.pipeline_id} failed: {exc} The job was left "
                        "running in Hevo; fix the cause and clear this task (the new try attaches to it)."
                    ) from None
                errors = 0
                last_status = job.status
                if classify(job.status) is not JobOutcome.RUNNING:
                    result = job_result(
                        self.pipeline_id, job.to_dict(), attached=attached, owned=running.owned, ui_base=ui_base
                    )
                    return self._conclude(result, client, running.ti)
                self.log.info("Hevo job %s is %s; next poll in %.1fs", job_id, job.status, interval)
                self._sleep(interval, deadline)
                interval = min(interval * POLL_BACKOFF, max(MAX_POLL_INTERVAL_S, self.poll_interval))
        except AirflowTaskTimeout:
            # execution_timeout's alarm: Airflow's on_kill would come after this frame is gone.
            outcome = self._end_job("execution_timeout was reached")
            within = "the task's execution_timeout"
            raise HevoJobFailed(self._timeout_message(job_id, last_status, outcome, within)) from None
        finally:
            self._running = None

    @staticmethod
    def _sleep(seconds: float, deadline: float | None) -> None:
        left = remaining(deadline)
        if left is not None:
            seconds = min(seconds, max(left, 0.0))
        time.sleep(max(seconds, 0.0))

    def _end_job(self, reason: str) -> str:
        """Cancel (or leave) the polled job once; returns the sentence for the failure message."""
        running, self._running = self._running, None
        if running is not None:
            client = self._hook().client_for(running.settings)
            self._ended = self._cancel_or_leave(client, running.job_id, running.owned, reason)
        return self._ended or "The Hevo job was already being cancelled."

    def _cancel_or_leave(self, client: EdgeClient, job_id: str, owned: bool, reason: str) -> str:
        """Cancel a job this task owns (bounded); leave any other running. Never raises."""
        if not owned:
            self.log.warning(
                "Not cancelling Hevo job %s of pipeline %s although %s: this task attached to a job it did not "
                "start (if_running=attach), so the job is not its to cancel.",
                job_id,
                self.pipeline_id,
                reason,
            )
            return (
                f"The Hevo job {job_id} was left running: this task attached to it and did not start it, so it is "
                "not this task's to cancel; cancel it in the Hevo UI if it is stuck."
            )
        try:
            call_within(
                lambda: client.cancel_job(self.pipeline_id, job_id),
                self.CANCEL_TIMEOUT_S,
                f"cancelling Hevo job {job_id}",
            )
        except (HevoError, CallTimedOut) as exc:
            self.log.warning("Could not cancel Hevo job %s of pipeline %s: %s", job_id, self.pipeline_id, exc)
            return f"Cancelling Hevo job {job_id} failed ({exc}); cancel it in the Hevo UI."
        self.log.info("Cancelled Hevo job %s of pipeline %s because %s.", job_id, self.pipeline_id, reason)
        return f"The Hevo job {job_id} was cancelled."

    def on_kill(self) -> None:
        """Worker-side kill (blocking mode only; deferred tasks are handled by the trigger's on_kill).

        Runs in Airflow's SIGTERM handler: no connection lookup, and bounded to the time Airflow
        leaves before SIGKILL. Only a job this task owns is cancelled.
        """
        running, self._running = self._running, None
        if running is None:
            return
        if not running.owned:
            self.log.warning(
                "Task killed; Hevo job %s of pipeline %s is left running: this task attached to it and did not "
                "start it.",
                running.job_id,
                running.pipeline_id,
            )
            return
        bound = max(WORKER_KILL_GRACE_S - 1.0, 1.0)
        try:
            client = self._hook().client_for(running.settings)
            call_within(
                lambda: client.cancel_job(running.pipeline_id, running.job_id),
                bound,
                f"cancelling Hevo job {running.job_id}",
            )
            self._ended = f"The Hevo job {running.job_id} was cancelled."
            self.log.info("Cancelled Hevo job %s of pipeline %s.", running.job_id, running.pipeline_id)
        except Exception as exc:  # noqa: BLE001 - best effort during a kill
            self.log.warning(
                "Could not cancel Hevo job %s of pipeline %s: %s", running.job_id, running.pipeline_id, exc
            )
