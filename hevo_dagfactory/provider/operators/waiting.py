"""How HevoPipelineOperator waits for its job, and how the wait's end becomes the task's outcome.

Both wait modes run the one wait flow (hevo/wait.py): deferred, in ``HevoJobTrigger``; or in the
worker (operators/blocking.py), each read abandoned at the deadline. Both end in the same event payload
(``triggers.events.wait_event``), and :meth:`JobWaiting._conclude_event` turns it into the result or a
clear failure, so the two modes agree on every verdict and make the same requests:

- ``terminal``: the job's result, concluded by the operator's ``_conclude`` (failing tables named,
  ``hevo_result`` pushed, ``on_completed_with_failures`` applied);
- ``timeout``: cancel the job if this task owns it (else leave it running, and say so), then fail with
  the last status and what to do;
- ``error``: read the job once more (it may have finished meanwhile), else fail without cancelling;
  clearing the task attaches to the job that is still running.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hevo_dagfactory.hevo import HevoError
from hevo_dagfactory.hevo.wait import TERMINAL, TIMEOUT, WaitPolicy
from hevo_dagfactory.provider.deadlines import deadline_from_start, defer_timeout, limit_s
from hevo_dagfactory.provider.links.job import XCOM_JOB_ID
from hevo_dagfactory.provider.operators.blocking import BlockingPoll, Running
from hevo_dagfactory.provider.params import human
from hevo_dagfactory.provider.results import HevoJobFailed, job_result
from hevo_dagfactory.provider.triggers.job import HevoJobTrigger

if TYPE_CHECKING:
    from hevo_dagfactory.hevo import EdgeClient, Job
    from hevo_dagfactory.provider.compat import Context
    from hevo_dagfactory.provider.hooks.hevo import HevoConnSettings


class JobWaiting(BlockingPoll):
    """Mixin for HevoPipelineOperator: defer or poll, resume, conclude (uses its parameters, hook and log).

    The operator's ``_conclude(result, client, ti)`` ends every wait that found a finished job.
    """

    _conclude: Any

    # --- limits -------------------------------------------------------------------------------
    def _limit(self) -> float:
        """The overall bound in seconds: min(timeout, execution_timeout); timeout defaults to 7 days."""
        return limit_s(self.timeout, self.execution_timeout)

    def _deadline(self, context: Context) -> float:
        """Absolute epoch seconds: task start + :meth:`_limit`."""
        return deadline_from_start(context["ti"], self._limit())

    def _wait_policy(self) -> WaitPolicy:
        """The wait flow's policy: the operator's first interval, the flow's growth, cap and error budget."""
        return WaitPolicy(poll_interval=self.poll_interval)

    def _timeout_message(self, job_id: str, last_status: str | None, outcome: str, within: str | None = None) -> str:
        within = within or human(self._limit())
        return (
            f"Hevo job {job_id} of pipeline {self.pipeline_id} did not finish within {within} "
            f"(last Hevo status {last_status}). {outcome} Raise the task's timeout if syncs of this "
            "pipeline legitimately take longer, or check the job in the Hevo UI."
        )

    # --- wait ---------------------------------------------------------------------------------
    def _wait_for_job(
        self, context: Context, client: EdgeClient, settings: HevoConnSettings, job: Job, *, attached: bool, owned: bool
    ) -> dict[str, Any]:
        """Defer to the trigger (``deferrable=True``) or poll from the worker; same deadline and flow."""
        deadline = self._deadline(context)
        if self.deferrable:
            self.defer(
                trigger=self._job_trigger(job.job_id, deadline, owned),
                method_name="execute_complete",
                kwargs={"attached": attached, "owned": owned},
                timeout=defer_timeout(deadline),
            )
        running = Running(self.pipeline_id, job.job_id, settings, owned, context["ti"])
        return self._poll(client, running, attached, deadline, settings.ui_base)

    def _trigger(self, deadline: float, **kwargs: Any) -> HevoJobTrigger:
        """The trigger for this task's wait: its pipeline, connection, deadline and wait policy, plus ``kwargs``."""
        return HevoJobTrigger.with_policy(
            self._wait_policy(),
            pipeline_id=self.pipeline_id,
            connection_id=self.connection_id,
            region=self.region,
            deadline=deadline,
            **kwargs,
        )

    def _job_trigger(self, job_id: str, deadline: float, owned: bool) -> HevoJobTrigger:
        return self._trigger(deadline, job_id=job_id, cancel_on_kill=owned)

    # --- resume and conclude --------------------------------------------------------------------
    def execute_complete(
        self,
        context: Context,
        event: dict[str, Any] | None = None,
        attached: bool | None = None,
        owned: bool | None = None,
    ) -> dict[str, Any]:
        """Turn the trigger's event into a result or a clear failure (fails closed on anything unknown).

        ``attached``/``owned`` come from the deferral's kwargs; ``owned`` also travels in the event,
        which is what a resume without those kwargs has (``dag.test()``). A task deferred before
        ownership existed has neither: then a job is ours when the task started it.
        """
        event = event or {}
        if owned is None:
            owned = event.get("owned") if isinstance(event.get("owned"), bool) else not attached
        owned = bool(owned)
        attached = (not owned) if attached is None else bool(attached)
        job_id = event.get("job_id") or context["ti"].xcom_pull(task_ids=self.task_id, key=XCOM_JOB_ID)
        hook = self._hook()
        settings = hook.settings()
        client = hook.client_for(settings)
        return self._conclude_event(
            event,
            job_id,
            attached=attached,
            owned=owned,
            ui_base=settings.ui_base,
            client=client,
            ti=context["ti"],
            cancel=lambda reason: self._cancel_or_leave(client, job_id, owned, reason),
        )

    def _conclude_event(
        self,
        event: dict[str, Any],
        job_id: str,
        *,
        attached: bool,
        owned: bool,
        ui_base: str,
        client: EdgeClient,
        ti: Any,
        cancel: Callable[[str], str],
    ) -> dict[str, Any]:
        """The verdict on a wait's end (module docstring); ``cancel(reason)`` cancels or leaves the job."""
        kind = event.get("status")
        last = event.get("job") or {}
        if kind == TERMINAL and last:
            result = job_result(self.pipeline_id, last, attached=attached, owned=owned, ui_base=ui_base)
            return self._conclude(result, client, ti)
        if kind == TIMEOUT:
            raise HevoJobFailed(self._timeout_message(job_id, last.get("status"), cancel("the deadline passed")))
        # An error event (or anything unknown): look once more, the job may have finished meanwhile.
        try:
            job = self._read_job(client, job_id)
        except (HevoError, TimeoutError) as exc:
            job, recheck = None, f" Re-checking also failed: {exc}"
        else:
            recheck = f" Hevo now reports status {job.status}."
        if job is not None and job.outcome.terminal:
            result = job_result(self.pipeline_id, job.to_dict(), attached=attached, owned=owned, ui_base=ui_base)
            return self._conclude(result, client, ti)
        message = event.get("message") or f"unexpected event {event!r}"
        raise HevoJobFailed(
            f"Lost track of Hevo job {job_id} of pipeline {self.pipeline_id}: {message}.{recheck} The job was "
            "left running; fix the cause (connection, permissions, network) and clear this task: the new try "
            "attaches to the running job instead of starting another sync."
        )

    def _read_job(self, client: EdgeClient, job_id: str) -> Any:
        """One bounded read (the re-check after an error event)."""
        from hevo_dagfactory.provider.bounded import CallTimedOut, call_within

        try:
            return call_within(
                lambda: client.get_job(self.pipeline_id, job_id), self.CANCEL_TIMEOUT_S, f"reading Hevo job {job_id}"
            )
        except CallTimedOut as exc:
            raise TimeoutError(str(exc)) from None
