"""HevoPipelineOperator: start (or attach to) a Hevo Edge sync and wait for it.

A superset of the seed provider's documented parameters, so the seed guide's DAG runs with
only its import line changed. Three ways to wait:

- ``deferrable=True`` (default): defer to ``HevoJobTrigger``, which polls asynchronously
  with an absolute deadline; no worker slot is held while the sync runs.
- ``deferrable=False``: poll from the worker with the sync client, same deadline and backoff.
- ``wait_for_completion=False``: return as soon as the job exists; follow with ``HevoJobSensor``.

The operator owns the job it starts: on a deadline it cancels the job and fails with a clear
message. A task retry (try_number > 1) or ``if_running="attach"`` attaches to the job
already running instead of starting a second sync (``EdgeClient.start_job`` owns the
never-POST-twice rule and job discovery).
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from hevo_dagfactory.hevo import HevoError, HevoJobInProgress, JobOutcome, classify, is_transient
from hevo_dagfactory.provider.compat import BaseOperator, Context, restarted_within_try, timezone
from hevo_dagfactory.provider.hooks.hevo import DEFAULT_CONN_ID, HevoHook, job_url
from hevo_dagfactory.provider.links.job import XCOM_JOB_ID, XCOM_JOB_URL, XCOM_PIPELINE_ID, HevoJobLink
from hevo_dagfactory.provider.results import HevoJobFailed, job_result, judge, resolve_policy
from hevo_dagfactory.provider.triggers.job import HevoJobTrigger

if TYPE_CHECKING:  # the client (requests) is built by the hook at execute time, never at parse time
    from hevo_dagfactory.hevo import EdgeClient

ACTIONS = ("SYNC_NOW", "RESYNC")
RESYNC_MODES = ("EVOLVE_AND_MERGE", "DROP_AND_LOAD")
IF_RUNNING = ("attach", "fail")
#: The framework's defer timeout is only a backstop behind our own deadline.
DEFER_BACKSTOP_S = 120.0
#: Cap of the growing poll interval (x1.5 per poll).
MAX_POLL_INTERVAL_S = 300.0
POLL_BACKOFF = 1.5
MAX_TRANSIENT_ERRORS = 20


def to_seconds(value: int | float | timedelta | None, name: str, *, allow_none: bool = True) -> float | None:
    """Accept seconds or a timedelta (the factory passes timedeltas, the seed guide ints)."""
    if value is None:
        if allow_none:
            return None
        raise ValueError(f"{name} is required")
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    else:
        raise ValueError(f"{name} must be a number of seconds or a timedelta; got {value!r}")
    if seconds <= 0:
        raise ValueError(f"{name} must be positive; got {value!r}")
    return seconds


def _choice(value: str, allowed: tuple[str, ...], name: str, *, upper: bool) -> str:
    text = str(value).strip().replace("-", "_")
    text = text.upper() if upper else text.lower()
    if text not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)} (any case); got {value!r}")
    return text


class HevoPipelineOperator(BaseOperator):
    """Trigger a Hevo Edge pipeline sync (or resync) and wait for its job.

    :param pipeline_id: Hevo Edge pipeline id (templated).
    :param action: ``SYNC_NOW`` or ``RESYNC`` (any case).
    :param job_type: job type to attach to/discover (default: INCREMENTAL for SYNC_NOW, the resync types for RESYNC).
    :param connection_id: Airflow connection (``hevo`` or the seed's HTTP type).
    :param region: Hevo region, used when the connection has neither host nor region.
    :param poll_interval: first wait between status checks (seconds or timedelta); grows x1.5 up to 5 minutes.
    :param deferrable: wait in the triggerer (True) or by polling from the worker (False).
    :param wait_for_completion: False returns as soon as the job exists (use ``HevoJobSensor`` to wait).
    :param accept_completed_with_failures: seed flag; True means COMPLETED_WITH_FAILURES succeeds.
    :param resync_mode: ``EVOLVE_AND_MERGE`` or ``DROP_AND_LOAD`` (RESYNC only).
    :param ensure_new_job: seed flag; True refuses to attach to a job already running (like ``if_running="fail"``).
    :param on_completed_with_failures: ``fail`` | ``warn`` | ``succeed``; None derives it from the seed flag.
    :param if_running: ``attach`` waits for a job already running; ``fail`` fails the task instead.
    :param retry_limit: seed parameter: how many times to look for the new job in the jobs list after
        starting it (default 10, 3 s apart).
    :param timeout: limit for the whole wait (seconds or timedelta); ``execution_timeout`` also counts, the
        smaller wins. On expiry the Hevo job is cancelled and the task fails.
    """

    template_fields = ("pipeline_id", "job_type", "connection_id", "region")
    operator_extra_links = (HevoJobLink(),)
    ui_color = "#d6ecff"

    def __init__(
        self,
        *,
        pipeline_id: int | str,
        action: str = "SYNC_NOW",
        job_type: str | None = None,
        connection_id: str = DEFAULT_CONN_ID,
        region: str | None = None,
        poll_interval: int | float | timedelta = 15,
        deferrable: bool = True,
        wait_for_completion: bool = True,
        accept_completed_with_failures: bool = False,
        resync_mode: str = "EVOLVE_AND_MERGE",
        ensure_new_job: bool = False,
        on_completed_with_failures: str | None = None,
        if_running: str = "attach",
        timeout: int | float | timedelta | None = None,
        retry_limit: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if pipeline_id is None or str(pipeline_id).strip() == "":
            raise ValueError(f"{self.task_id}: pipeline_id is required (the number in the pipeline's Hevo URL)")
        self.pipeline_id = pipeline_id
        self.action = _choice(action, ACTIONS, "action", upper=True)
        self.job_type = job_type
        self.connection_id = connection_id
        self.region = region
        self.poll_interval = to_seconds(poll_interval, "poll_interval", allow_none=False)
        self.deferrable = bool(deferrable)
        self.wait_for_completion = bool(wait_for_completion)
        self.accept_completed_with_failures = bool(accept_completed_with_failures)
        self.resync_mode = _choice(resync_mode, RESYNC_MODES, "resync_mode", upper=True)
        self.ensure_new_job = bool(ensure_new_job)
        self.on_completed_with_failures = resolve_policy(on_completed_with_failures, accept_completed_with_failures)
        self.if_running = _choice(if_running, IF_RUNNING, "if_running", upper=False)
        self.timeout = to_seconds(timeout, "timeout")
        if retry_limit is not None and (not isinstance(retry_limit, int) or retry_limit < 1):
            raise ValueError(f"retry_limit must be a positive number of job-discovery attempts; got {retry_limit!r}")
        self.retry_limit = retry_limit
        self._running: tuple[Any, str] | None = None

    # --- helpers ------------------------------------------------------------------------
    def _hook(self) -> HevoHook:
        return HevoHook(self.connection_id, region=self.region)

    def _effective_if_running(self, resumed: bool) -> str:
        """A resumed task always attaches: its earlier execution's job may still be running (never sync twice)."""
        if resumed:
            return "attach"
        if self.ensure_new_job:
            return "fail"
        return self.if_running

    def _deadline(self, context: Context) -> float | None:
        """Absolute epoch seconds: task start + min(timeout, execution_timeout)."""
        limits = [t for t in (self.timeout, self.execution_timeout.total_seconds() if self.execution_timeout else None) if t]
        if not limits:
            return None
        start = getattr(context["ti"], "start_date", None) or timezone.utcnow()
        return start.timestamp() + min(limits)

    @staticmethod
    def _run_started_ms(context: Context) -> int | None:
        """On a retry, a job of ours created since the DAG run started may already have succeeded."""
        dag_run = context.get("dag_run")
        start = getattr(dag_run, "start_date", None) or getattr(dag_run, "run_after", None)
        return int(start.timestamp() * 1000) if start else None

    def _cancel(self, client: EdgeClient, job_id: str) -> str:
        """Cancel our job; returns a sentence for the failure message (never raises)."""
        try:
            client.cancel_job(self.pipeline_id, job_id)
            return f"The Hevo job {job_id} was cancelled."
        except HevoError as exc:
            return f"Cancelling Hevo job {job_id} failed ({exc}); cancel it in the Hevo UI."

    # --- execute --------------------------------------------------------------------------
    def execute(self, context: Context) -> dict[str, Any]:
        ti = context["ti"]
        hook = self._hook()
        settings = hook.settings()
        discovery = None
        if self.retry_limit:
            from hevo_dagfactory.hevo import DiscoveryPolicy  # start-job flow: needed only when executing

            discovery = DiscoveryPolicy(attempts=self.retry_limit)
        client = hook.client_for(settings, discovery=discovery)
        try_number = int(getattr(ti, "try_number", 1) or 1)
        # A retry, or a try whose earlier start was interrupted (see compat.restarted_within_try),
        # may find its own job already started: attach to it, never start a second sync.
        resumed = try_number > 1 or restarted_within_try(ti)
        if_running = self._effective_if_running(resumed)
        try:
            started = client.start_job(
                self.pipeline_id,
                action=self.action.lower(),
                job_type=self.job_type,
                resync_mode=self.resync_mode,
                if_running=if_running,
                attach_only=resumed,
                since_ms=self._run_started_ms(context) if resumed else None,
            )
        except HevoJobInProgress as exc:
            raise HevoJobFailed(
                f"Pipeline {self.pipeline_id} already has a job running, so no {self.action} was started "
                f"(if_running={if_running}, ensure_new_job={self.ensure_new_job}): {exc}"
            ) from None
        except HevoError as exc:
            raise HevoJobFailed(f"Could not start {self.action} of Hevo pipeline {self.pipeline_id}: {exc}") from None
        job = started.job
        # Push ids first, so the extra link works while the task is deferred.
        url = job_url(settings.ui_base, self.pipeline_id, job.job_id)
        ti.xcom_push(key=XCOM_PIPELINE_ID, value=self.pipeline_id)
        ti.xcom_push(key=XCOM_JOB_ID, value=job.job_id)
        ti.xcom_push(key=XCOM_JOB_URL, value=url)
        self.log.info(
            "%s Hevo job %s (%s) of pipeline %s: %s",
            "Attached to" if started.attached else "Started", job.job_id, job.status, self.pipeline_id, url,
        )
        result = job_result(self.pipeline_id, job.to_dict(), attached=started.attached, ui_base=settings.ui_base)
        if not self.wait_for_completion:
            return result
        if job.outcome.terminal:
            return judge(result, self.on_completed_with_failures, self.log)
        deadline = self._deadline(context)
        if self.deferrable:
            self.defer(
                trigger=HevoJobTrigger(
                    pipeline_id=self.pipeline_id,
                    job_id=job.job_id,
                    connection_id=self.connection_id,
                    region=self.region,
                    deadline=deadline,
                    poll_interval=self.poll_interval,
                    max_poll_interval=max(MAX_POLL_INTERVAL_S, self.poll_interval),
                    poll_backoff=POLL_BACKOFF,
                    max_transient_errors=MAX_TRANSIENT_ERRORS,
                    cancel_on_kill=True,
                ),
                method_name="execute_complete",
                kwargs={"attached": started.attached},
                timeout=(
                    timedelta(seconds=max(deadline - time.time(), 0) + DEFER_BACKSTOP_S) if deadline else None
                ),
            )
        return self._poll(client, job.job_id, started.attached, deadline, settings.ui_base)

    def _poll(self, client: EdgeClient, job_id: str, attached: bool, deadline: float | None, ui_base: str) -> dict[str, Any]:
        """Blocking wait on the worker: same deadline, backoff and verdict as the deferred path."""
        self._running = (self.pipeline_id, job_id)
        interval = self.poll_interval
        errors = 0
        last_status = "unknown"
        try:
            while True:
                if deadline is not None and time.time() >= deadline:
                    raise HevoJobFailed(self._timeout_message(job_id, last_status, self._cancel(client, job_id)))
                try:
                    job = client.get_job(self.pipeline_id, job_id)
                except HevoError as exc:
                    errors += 1
                    if is_transient(exc) and errors <= MAX_TRANSIENT_ERRORS:
                        self.log.warning("Transient error polling Hevo job %s, retrying: %s", job_id, exc)
                        self._sleep(min(interval * errors, MAX_POLL_INTERVAL_S), deadline)
                        continue
                    raise HevoJobFailed(
                        f"Polling Hevo job {job_id} of pipeline {self.pipeline_id} failed: {exc} The job was left "
                        "running in Hevo; fix the cause and clear this task (the retry attaches to it)."
                    ) from None
                errors = 0
                last_status = job.status
                if classify(job.status) is not JobOutcome.RUNNING:
                    result = job_result(self.pipeline_id, job.to_dict(), attached=attached, ui_base=ui_base)
                    return judge(result, self.on_completed_with_failures, self.log)
                self.log.info("Hevo job %s is %s; next poll in %.1fs", job_id, job.status, interval)
                self._sleep(interval, deadline)
                interval = min(interval * POLL_BACKOFF, max(MAX_POLL_INTERVAL_S, self.poll_interval))
        finally:
            self._running = None

    @staticmethod
    def _sleep(seconds: float, deadline: float | None) -> None:
        if deadline is not None:
            seconds = min(seconds, max(deadline - time.time(), 0.0))
        time.sleep(max(seconds, 0.0))

    def _timeout_message(self, job_id: str, last_status: str | None, cancelled: str) -> str:
        limits = [t for t in (self.timeout, self.execution_timeout.total_seconds() if self.execution_timeout else None) if t]
        within = f"within {min(limits):g} s" if limits else "before its deadline"
        return (
            f"Hevo job {job_id} of pipeline {self.pipeline_id} did not finish {within} "
            f"(last Hevo status {last_status}). {cancelled} Raise the task's timeout if syncs of this "
            "pipeline legitimately take longer, or check the job in the Hevo UI."
        )

    # --- resume ---------------------------------------------------------------------------
    def execute_complete(self, context: Context, event: dict[str, Any] | None = None, attached: bool = False) -> dict[str, Any]:
        """Turn the trigger's event into a result or a clear failure (fails closed on anything unknown)."""
        event = event or {}
        kind = event.get("status")
        job_id = event.get("job_id") or context["ti"].xcom_pull(task_ids=self.task_id, key=XCOM_JOB_ID)
        hook = self._hook()
        settings = hook.settings()
        last = event.get("job") or {}
        if kind == "terminal" and last:
            result = job_result(self.pipeline_id, last, attached=attached, ui_base=settings.ui_base)
            return judge(result, self.on_completed_with_failures, self.log)
        client = hook.client_for(settings)
        if kind == "timeout":
            raise HevoJobFailed(self._timeout_message(job_id, last.get("status"), self._cancel(client, job_id)))
        # An error event: look once more before failing, the job may have finished meanwhile.
        try:
            job = client.get_job(self.pipeline_id, job_id)
        except HevoError as exc:
            job, recheck = None, f" Re-checking also failed: {exc}"
        else:
            recheck = f" Hevo now reports status {job.status}."
        if job is not None and job.outcome.terminal:
            result = job_result(self.pipeline_id, job.to_dict(), attached=attached, ui_base=settings.ui_base)
            return judge(result, self.on_completed_with_failures, self.log)
        message = event.get("message") or f"unexpected event {event!r}"
        raise HevoJobFailed(
            f"Lost track of Hevo job {job_id} of pipeline {self.pipeline_id}: {message}.{recheck} The job was left "
            "running; fix the cause (connection, permissions, network) and clear this task: the retry attaches to "
            "the running job instead of starting another sync."
        )

    def on_kill(self) -> None:
        """Worker-side kill (blocking mode only; deferred tasks are handled by the trigger's on_kill)."""
        running = self._running
        if running is None:
            return
        pipeline_id, job_id = running
        try:
            self._hook().get_conn().cancel_job(pipeline_id, job_id)
            self.log.info("Cancelled Hevo job %s of pipeline %s.", job_id, pipeline_id)
        except Exception as exc:  # noqa: BLE001 - best effort during a kill
            self.log.warning("Could not cancel Hevo job %s of pipeline %s: %s", job_id, pipeline_id, exc)
