"""HevoPipelineOperator: start (or attach to) a Hevo Edge sync and wait for it.

A superset of the seed provider's documented parameters, so the seed guide's DAG runs with
only its import line changed. Three ways to wait:

- ``deferrable=True`` (default): defer to ``HevoJobTrigger``, which polls asynchronously
  with an absolute deadline; no worker slot is held while the sync runs.
- ``deferrable=False``: poll from the worker with the sync client: the same wait flow
  (hevo/wait.py), deadline and verdict (operators/waiting.py, operators/blocking.py).
- ``wait_for_completion=False``: return the job id as soon as the job exists; follow with
  ``HevoJobSensor``.

Every wait is bounded: ``timeout`` (default 7 days) and ``execution_timeout``, the smaller wins.
At the bound, or when a user kills the task, the job is cancelled only if this task instance
owns it (it started it, or a later try adopted it; provider/tries.py); a job it merely attached
to through ``if_running="attach"`` is left running, and the log says so. Any try after the first
attaches to the job already running instead of starting a second sync (``EdgeClient.start_job``
owns the never-POST-twice rule and job discovery).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from hevo_dagfactory.hevo import HevoError, HevoJobInProgress
from hevo_dagfactory.hevo.wait import MAX_POLL_INTERVAL_S
from hevo_dagfactory.provider.compat import BaseOperator, Context
from hevo_dagfactory.provider.deadlines import DEFER_BACKSTOP_S
from hevo_dagfactory.provider.failed_objects import reader as objects_reader
from hevo_dagfactory.provider.hooks.hevo import DEFAULT_CONN_ID, HevoHook, job_url
from hevo_dagfactory.provider.lineage.hooks import HevoLineage
from hevo_dagfactory.provider.links.job import (
    XCOM_JOB_ID,
    XCOM_JOB_URL,
    XCOM_PIPELINE_ID,
    XCOM_RESULT,
    HevoJobLink,
)
from hevo_dagfactory.provider.operators.blocking import Running
from hevo_dagfactory.provider.operators.waitonly import WAIT, WaitOnly
from hevo_dagfactory.provider.params import DEFAULT_TIMEOUT_S, choice, to_seconds
from hevo_dagfactory.provider.results import HevoJobFailed, conclude, job_result, resolve_policy
from hevo_dagfactory.provider.tries import owns_job, which_try

if TYPE_CHECKING:  # the client (requests) is built by the hook at execute time, never at parse time
    from hevo_dagfactory.hevo import DiscoveryPolicy, EdgeClient, StartedJob

ACTIONS = ("SYNC_NOW", "RESYNC", WAIT)
RESYNC_MODES = ("EVOLVE_AND_MERGE", "DROP_AND_LOAD")
IF_RUNNING = ("attach", "fail")

__all__ = ["DEFAULT_TIMEOUT_S", "DEFER_BACKSTOP_S", "MAX_POLL_INTERVAL_S", "HevoPipelineOperator", "to_seconds"]


class HevoPipelineOperator(HevoLineage, WaitOnly, BaseOperator):
    """Trigger a Hevo Edge pipeline sync (or resync) and wait for its job, or wait for Hevo's own run.

    :param pipeline_id: Hevo Edge pipeline id (templated).
    :param action: ``SYNC_NOW``, ``RESYNC`` or ``WAIT`` (any case). ``WAIT`` starts nothing and waits for a
        job Hevo runs on its own schedule to complete after ``completed_after`` (operators/waitonly.py).
    :param job_type: job type to attach to/discover (default: INCREMENTAL for SYNC_NOW, the resync types for RESYNC).
    :param connection_id: Airflow connection (``hevo`` or the seed's HTTP type).
    :param region: Hevo region, used when the connection has neither host nor region.
    :param poll_interval: first wait between status checks (seconds or timedelta); grows x1.5 up to 5 minutes.
    :param deferrable: wait in the triggerer (True) or by polling from the worker (False).
    :param wait_for_completion: False returns the job id as soon as the job exists (the structured
        result goes to the XCom key ``hevo_result``); use ``HevoJobSensor`` to wait.
    :param accept_completed_with_failures: seed flag; True means COMPLETED_WITH_FAILURES succeeds.
    :param resync_mode: ``EVOLVE_AND_MERGE`` or ``DROP_AND_LOAD`` (RESYNC only).
    :param ensure_new_job: seed flag; True refuses to attach to a job already running (like ``if_running="fail"``).
    :param on_completed_with_failures: ``fail`` | ``warn`` | ``succeed``; None derives it from the seed flag.
    :param if_running: ``attach`` waits for a job already running; ``fail`` fails the task instead.
    :param retry_limit: seed parameter: how many times to look for the new job in the jobs list after
        starting it (default 10, 3 s apart).
    :param timeout: limit for the whole wait (seconds or timedelta); None means the default of 7 days.
        ``execution_timeout`` also counts, the smaller wins. On expiry the task fails and the Hevo job
        is cancelled if this task owns it (see the module docstring).
    :param completed_after: ``WAIT`` only (templated): the job must complete at or after this time (a
        datetime, an ISO 8601 string or epoch seconds); None means the run's data interval end.
    """

    template_fields = ("pipeline_id", "job_type", "connection_id", "region", "completed_after")
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
        completed_after: str | datetime | float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if pipeline_id is None or str(pipeline_id).strip() == "":
            raise ValueError(f"{self.task_id}: pipeline_id is required (the number in the pipeline's Hevo URL)")
        self.pipeline_id = pipeline_id
        self.action = choice(action, ACTIONS, "action", upper=True)
        self.job_type = job_type
        self.connection_id = connection_id
        self.region = region
        self.poll_interval = to_seconds(poll_interval, "poll_interval", allow_none=False)
        self.deferrable = bool(deferrable)
        self.wait_for_completion = bool(wait_for_completion)
        self.accept_completed_with_failures = bool(accept_completed_with_failures)
        self.resync_mode = choice(resync_mode, RESYNC_MODES, "resync_mode", upper=True)
        self.ensure_new_job = bool(ensure_new_job)
        self.on_completed_with_failures = resolve_policy(on_completed_with_failures, accept_completed_with_failures)
        self.if_running = choice(if_running, IF_RUNNING, "if_running", upper=False)
        self.timeout = to_seconds(timeout, "timeout") or DEFAULT_TIMEOUT_S
        if retry_limit is not None and (not isinstance(retry_limit, int) or retry_limit < 1):
            raise ValueError(f"retry_limit must be a positive number of job-discovery attempts; got {retry_limit!r}")
        self.retry_limit = retry_limit
        self.completed_after = completed_after
        if self.action == WAIT and not self.wait_for_completion:
            raise ValueError(
                f"{self.task_id}: action WAIT starts nothing, so wait_for_completion=False would do nothing"
            )
        if self.action != WAIT and completed_after is not None:
            raise ValueError(f"{self.task_id}: completed_after applies to action WAIT only (action is {self.action})")
        self._running: Running | None = None
        self._ended: str | None = None

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

    @staticmethod
    def _run_started_ms(context: Context) -> int | None:
        """When the DAG run started: jobs created before it were never started by this task instance."""
        dag_run = context.get("dag_run")
        start = getattr(dag_run, "start_date", None) or getattr(dag_run, "run_after", None)
        return int(start.timestamp() * 1000) if start else None

    # --- start ----------------------------------------------------------------------------
    def _discovery(self) -> DiscoveryPolicy:
        from hevo_dagfactory.hevo import DiscoveryPolicy  # start-job flow: needed only when executing

        return DiscoveryPolicy(attempts=self.retry_limit) if self.retry_limit else DiscoveryPolicy()

    def _start(self, client: EdgeClient, context: Context, discovery: DiscoveryPolicy) -> tuple[StartedJob, bool]:
        """Start (or attach to) the job, never a second sync: (what start_job found, whether the task owns it).

        Any try after the first may find its own earlier job: attach, never start a second sync. Only a
        retry after a failed try (or a restart within the try) adopts a COMPLETED one; a user's clear
        asks for a new sync (provider/tries.py). The pre-flight check and job discovery happen inside
        ``start_job``; a paused pipeline fails here with what to do, before any POST.
        """
        kind = which_try(context["ti"], self.retries)
        if_running = self._effective_if_running(kind.resumed)
        run_started_ms = self._run_started_ms(context)
        try:
            started = client.start_job(
                self.pipeline_id,
                action=self.action.lower(),
                job_type=self.job_type,
                resync_mode=self.resync_mode,
                if_running=if_running,
                attach_only=kind.resumed,
                since_ms=run_started_ms if kind.adopts_completed else None,
            )
        except HevoJobInProgress as exc:
            raise HevoJobFailed(
                f"Pipeline {self.pipeline_id} already has a job running, so no {self.action} was started "
                f"(if_running={if_running}, ensure_new_job={self.ensure_new_job}): {exc}"
            ) from None
        except HevoError as exc:
            raise HevoJobFailed(f"Could not start {self.action} of Hevo pipeline {self.pipeline_id}: {exc}") from None
        owned, why = owns_job(
            attached=started.attached,
            kind=kind,
            created_ms=started.job.created_ts,
            run_started_ms=run_started_ms,
            skew_ms=discovery.skew_ms,
        )
        self.log.info(
            "%s Hevo job %s (%s) of pipeline %s (%s try; job %s)",
            "Attached to" if started.attached else "Started",
            started.job.job_id,
            started.job.status,
            self.pipeline_id,
            kind.name,
            why,
        )
        return started, owned

    def _publish_ids(self, ti: Any, ui_base: str, job_id: str) -> None:
        """Ids first, so the extra link works while the task is deferred."""
        url = job_url(ui_base, self.pipeline_id, job_id)
        ti.xcom_push(key=XCOM_PIPELINE_ID, value=self.pipeline_id)
        ti.xcom_push(key=XCOM_JOB_ID, value=job_id)
        ti.xcom_push(key=XCOM_JOB_URL, value=url)
        self.log.info("Hevo job %s: %s", job_id, url)

    def _conclude(self, result: dict[str, Any], client: EdgeClient, ti: Any) -> dict[str, Any]:
        """The end of every wait mode on the worker: failing tables named, lineage, ``hevo_result`` pushed, verdict."""
        objects = objects_reader(client, self.pipeline_id, result.get("job_id"))
        lineage = self._lineage_gatherer(client, ti, result)
        return conclude(result, self.on_completed_with_failures, self.log, objects=objects, ti=ti, lineage=lineage)

    # --- execute --------------------------------------------------------------------------
    def execute(self, context: Context) -> Any:
        if self.action == WAIT:
            return self._execute_wait_only(context)
        ti = context["ti"]
        hook = self._hook()
        settings = hook.settings()
        discovery = self._discovery()
        client = hook.client_for(settings, discovery=discovery)
        started, owned = self._start(client, context, discovery)
        self._remember_ends(ti, started.pipeline)
        job = started.job
        self._publish_ids(ti, settings.ui_base, job.job_id)
        result = job_result(
            self.pipeline_id, job.to_dict(), attached=started.attached, owned=owned, ui_base=settings.ui_base
        )
        if not self.wait_for_completion:
            ti.xcom_push(key=XCOM_RESULT, value=result)
            self._hevo_result = result  # lineage: the job, not yet its tables (HevoJobSensor reports them)
            return job.job_id  # the seed's contract: the job id, for HevoJobSensor(job_id=...)
        if job.outcome.terminal:
            return self._conclude(result, client, ti)
        return self._wait_for_job(context, client, settings, job, attached=started.attached, owned=owned)
