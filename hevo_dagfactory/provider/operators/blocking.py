"""The worker side of HevoPipelineOperator: blocking poll, cancel-or-leave, and ``on_kill``.

Why a module of its own: these paths run in the worker and must stay bounded although the sync
client can block for minutes (retries, Retry-After, the rate budget):

- the wait is the trigger's wait flow (hevo/wait.py), driven with the sync client; every read
  runs under the time left to the deadline (provider/bounded.py), so the deadline is met even
  while Hevo answers slowly or with 429s; the end is concluded like a trigger event
  (operators/waiting.py);
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

from typing import TYPE_CHECKING, Any, NamedTuple

from hevo_dagfactory.hevo import HevoError
from hevo_dagfactory.hevo.drive import drive
from hevo_dagfactory.hevo.wait import JobWatch, wait_flow
from hevo_dagfactory.provider.bounded import CallTimedOut, call_within, remaining, send_within
from hevo_dagfactory.provider.compat import WORKER_KILL_GRACE_S, AirflowTaskTimeout
from hevo_dagfactory.provider.results import HevoJobFailed
from hevo_dagfactory.provider.triggers.events import wait_event

if TYPE_CHECKING:
    from hevo_dagfactory.hevo import EdgeClient
    from hevo_dagfactory.provider.hooks.hevo import HevoConnSettings


class Running(NamedTuple):
    """The job a blocking poll is waiting for, with what a kill needs to cancel it."""

    pipeline_id: Any
    job_id: str
    settings: HevoConnSettings
    owned: bool
    ti: Any = None  # where the final result is published (XCom ``hevo_result``)


class BlockingPoll:
    """Mixin for HevoPipelineOperator (uses its ``pipeline_id``, policy, hook, log and the wait's conclusion)."""

    #: Bound of one cancel (or re-check) on the timeout path, where no framework grace applies.
    CANCEL_TIMEOUT_S = 30.0
    _running: Running | None
    _ended: str | None

    def _poll(
        self, client: EdgeClient, running: Running, attached: bool, deadline: float, ui_base: str
    ) -> dict[str, Any]:
        """Blocking wait on the worker: the trigger's wait flow (hevo/wait.py), each read cut at the deadline."""
        self._running = running
        self._ended = None
        watch = JobWatch(self.pipeline_id, running.job_id)
        flow = wait_flow(watch, deadline=deadline, policy=self._wait_policy(), logger=self.log)
        try:
            result = drive(flow, send_within(client, lambda: remaining(deadline)))
            event = wait_event(result, pipeline_id=self.pipeline_id, job_id=running.job_id, owned=running.owned)
            return self._conclude_event(
                event,
                running.job_id,
                attached=attached,
                owned=running.owned,
                ui_base=ui_base,
                client=client,
                ti=running.ti,
                cancel=self._end_job,
            )
        except AirflowTaskTimeout:
            # execution_timeout's alarm: Airflow's on_kill would come after this frame is gone.
            outcome = self._end_job("execution_timeout was reached")
            status = watch.last.status if watch.last else "unknown"
            within = "the task's execution_timeout"
            raise HevoJobFailed(self._timeout_message(running.job_id, status, outcome, within)) from None
        finally:
            self._running = None

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
