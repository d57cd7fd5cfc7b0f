"""``HevoPipelineOperator(action="WAIT")``: start nothing; wait for a job Hevo runs on its own schedule.

For pipelines Hevo schedules itself (Hevo's Airflow guide, "Pipelines with fixed schedules"), the task
succeeds once a job of the type (INCREMENTAL unless ``job_type``) **completes at or after** the
reference time: ``completed_after`` (templated), by default the run's data interval end. The rules of
what counts (SKIPPED records never do; a job that failed after the reference ends the wait at once)
are in hevo/completion.py; the waiting itself is the one wait flow (hevo/wait.py), as for a sync:

- ``deferrable=True``: one look from the worker (a run that starts late finds its job at once, with no
  deferral), then ``HevoJobTrigger`` with ``completed_after_ms``;
- ``deferrable=False``: the wait flow from the worker, each look abandoned at the deadline.

Same limit (``timeout``, ``execution_timeout``), ``on_completed_with_failures`` policy and rate budget
as a sync. The task owns no job, so nothing is ever cancelled (a kill or a timeout leaves Hevo alone).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from hevo_dagfactory.hevo import HevoError, is_transient
from hevo_dagfactory.hevo.completion import CompletionWatch, iso
from hevo_dagfactory.hevo.drive import drive
from hevo_dagfactory.hevo.wait import TERMINAL, TIMEOUT, WaitResult, wait_flow
from hevo_dagfactory.provider.bounded import remaining, send_within
from hevo_dagfactory.provider.compat import AirflowTaskTimeout
from hevo_dagfactory.provider.deadlines import defer_timeout
from hevo_dagfactory.provider.hooks.hevo import job_url
from hevo_dagfactory.provider.links.job import XCOM_JOB_ID, XCOM_JOB_URL, XCOM_PIPELINE_ID
from hevo_dagfactory.provider.operators.waiting import JobWaiting
from hevo_dagfactory.provider.params import human
from hevo_dagfactory.provider.results import HevoJobFailed, job_result
from hevo_dagfactory.provider.triggers.events import wait_event

if TYPE_CHECKING:
    from hevo_dagfactory.hevo import EdgeClient
    from hevo_dagfactory.provider.compat import Context

WAIT = "WAIT"
#: Bound of the worker's single look before deferring (and of the re-check after an error event).
LOOK_TIMEOUT_S = 30.0


def reference_ms(value: Any, context: Context) -> int:
    """The reference time in epoch ms: ``completed_after`` as rendered, or the run's data interval end.

    Accepts a datetime, an ISO 8601 string (what a template renders to; naive means UTC) or epoch
    seconds. Without a value: the data interval end, else (manual and asset-triggered runs on Airflow 3
    have none) when the run was created (``run_after``), else its logical date or start.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        moment = _run_reference(context)
    elif isinstance(value, datetime):
        moment = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value * 1000)
    else:
        moment = _parse(str(value))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp() * 1000)


def _run_reference(context: Context) -> datetime:
    if context.get("data_interval_end"):
        return context["data_interval_end"]
    dag_run = context.get("dag_run")
    for attr in ("data_interval_end", "run_after", "logical_date", "start_date"):
        if getattr(dag_run, attr, None):
            return getattr(dag_run, attr)
    return datetime.now(timezone.utc)


def _parse(text: str) -> datetime:
    norm = text.strip().replace(" ", "T", 1)
    if norm.endswith(("Z", "z")):
        norm = norm[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(norm)
    except ValueError:
        raise HevoJobFailed(
            f"completed_after rendered to {text!r}, which is not a date and time. Use a template that renders "
            "one, such as '{{ data_interval_start }}', or an ISO 8601 time such as 2026-01-31T06:00:00+00:00."
        ) from None


class WaitOnly(JobWaiting):
    """Mixin for HevoPipelineOperator: the ``action="WAIT"`` path (uses its parameters, hook and limits)."""

    def _completion_watch(self, after_ms: int) -> CompletionWatch:
        return CompletionWatch(
            self.pipeline_id,
            after_ms,
            job_type=self.job_type,
            accept_completed_with_failures=self.on_completed_with_failures != "fail",
        )

    def _execute_wait_only(self, context: Context) -> dict[str, Any]:
        after_ms = reference_ms(self.completed_after, context)
        hook = self._hook()
        settings = hook.settings()
        client = hook.client_for(settings)
        context["ti"].xcom_push(key=XCOM_PIPELINE_ID, value=self.pipeline_id)
        watch = self._completion_watch(after_ms)
        self.log.info("Starting nothing: waiting for %s (Hevo runs this pipeline on its own schedule).", watch.subject)
        deadline = self._deadline(context)
        if self.deferrable:
            ended = self._look_once(client, watch, deadline)
            if ended is None:
                self.defer(
                    trigger=self._trigger(
                        deadline,
                        job_id=None,
                        cancel_on_kill=False,
                        completed_after_ms=after_ms,
                        job_type=self.job_type,
                        accept_completed_with_failures=watch.accept_with_failures,
                    ),
                    method_name="execute_complete",
                    timeout=defer_timeout(deadline),
                )
            result = WaitResult(TERMINAL, ended, watch.ended(ended))
        else:
            result = self._poll_wait_only(client, watch, deadline)
        event = wait_event(result, pipeline_id=self.pipeline_id, job_id=None, owned=False)
        return self._conclude_wait_only(context, event, client, settings.ui_base, after_ms)

    def _look_once(self, client: EdgeClient, watch: CompletionWatch, deadline: float | None) -> Any:
        """One bounded look; a transient failure is "not yet" (the trigger tries again), others fail now."""

        def bound() -> float:
            left = remaining(deadline)
            return LOOK_TIMEOUT_S if left is None else min(left, LOOK_TIMEOUT_S)

        try:
            return drive(watch.look(), send_within(client, bound))
        except HevoError as exc:
            if is_transient(exc):
                self.log.warning(
                    "Could not read the jobs of pipeline %s yet (%s); the wait goes on.", self.pipeline_id, exc
                )
                return None
            raise HevoJobFailed(f"Cannot read the jobs of Hevo pipeline {self.pipeline_id}: {exc}") from None

    def _poll_wait_only(self, client: EdgeClient, watch: CompletionWatch, deadline: float) -> WaitResult:
        flow = wait_flow(watch, deadline=deadline, policy=self._wait_policy(), logger=self.log)
        try:
            return drive(flow, send_within(client, lambda: remaining(deadline)))
        except AirflowTaskTimeout:  # execution_timeout's alarm: say what was seen; there is nothing to cancel
            raise HevoJobFailed(self._nothing_came(watch.timed_out(), "the task's execution_timeout")) from None

    def execute_complete(
        self,
        context: Context,
        event: dict[str, Any] | None = None,
        attached: bool | None = None,
        owned: bool | None = None,
    ) -> dict[str, Any]:
        """Resume after the trigger; a wait-only task renders its reference again from the same run."""
        if self.action != WAIT:
            return super().execute_complete(context, event, attached, owned)
        event = event or {}
        hook = self._hook()
        settings = hook.settings()
        after_ms = reference_ms(self.completed_after, context)
        return self._conclude_wait_only(context, event, hook.client_for(settings), settings.ui_base, after_ms)

    def _conclude_wait_only(
        self, context: Context, event: dict[str, Any], client: EdgeClient, ui_base: str, after_ms: int
    ) -> dict[str, Any]:
        """terminal → the sync's verdict; timeout → what was seen and what to check; else one more look."""
        kind, job = event.get("status"), event.get("job")
        if kind == TERMINAL and job:
            return self._judge_completion(context, job, client, ui_base, after_ms)
        if kind == TIMEOUT:
            raise HevoJobFailed(self._nothing_came(event.get("message") or "", human(self._limit())))
        try:  # an error event (or anything unknown): look once more, the job may have completed meanwhile
            ended, recheck = self._look_once(client, self._completion_watch(after_ms), None), ""
        except HevoJobFailed as exc:
            ended, recheck = None, f" Re-checking also failed: {exc}"
        if ended is not None:
            return self._judge_completion(context, ended.to_dict(), client, ui_base, after_ms)
        raise HevoJobFailed(
            f"Stopped waiting for a job of Hevo pipeline {self.pipeline_id} completing after {iso(after_ms)}: "
            f"{event.get('message') or f'unexpected event {event!r}'}.{recheck} Nothing was started or cancelled; "
            "fix the cause (connection, permissions, network) and clear this task."
        )

    def _judge_completion(
        self, context: Context, job: dict[str, Any], client: EdgeClient, ui_base: str, after_ms: int
    ) -> dict[str, Any]:
        """The sync's verdict on the job that ended the wait (failing tables named, ``hevo_result`` pushed)."""
        ti = context["ti"]
        ti.xcom_push(key=XCOM_JOB_ID, value=job.get("job_id"))
        ti.xcom_push(key=XCOM_JOB_URL, value=job_url(ui_base, self.pipeline_id, job.get("job_id")))
        result = job_result(self.pipeline_id, job, attached=True, owned=False, ui_base=ui_base)
        try:
            return self._conclude(result, client, ti)
        except HevoJobFailed as exc:
            raise HevoJobFailed(
                f"{exc} This task started nothing: it is Hevo's own run after {iso(after_ms)} that failed. A retry "
                "or a clear of this task succeeds as soon as a later run of the pipeline completes."
            ) from None

    def _nothing_came(self, seen: str, within: str) -> str:
        return (
            f"{seen} Waited {within}; nothing was started or cancelled. Check in the Hevo UI that pipeline "
            f"{self.pipeline_id} is enabled and runs on a schedule (a paused pipeline, or one on Sync On Demand, "
            "never runs by itself), or raise this sync's timeout if Hevo runs it less often."
        )
