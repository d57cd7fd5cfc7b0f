"""HevoJobSensor: wait for a Hevo job that another task started (Airbyte's ``asynchronous=True`` split).

Pattern: ``HevoPipelineOperator(wait_for_completion=False)`` returns the job id at once (its
``return_value``, also under the XCom key ``hevo_job_id``); this sensor waits for it in ``poke``
or ``reschedule`` mode, or deferred through the same ``HevoJobTrigger``. The sensor only
watches: it never cancels the job (the trigger is created with ``cancel_on_kill=False``),
because it does not own it.

Bounds: the sensor's ``timeout`` (Airflow's ``[sensors] default_timeout``, 7 days, unless set)
and ``execution_timeout``. Deferred, they become the trigger's absolute deadline, counted from
the task's start. Poking, each Hevo read is bounded too (the time left in poke mode, and at most
``max(poke_interval, 60 s)``), so a slow or rate-limited answer cannot hold a poke, and a worker
slot, far past the sensor's timeout; a read that runs out of time counts as "not yet".
"""

from __future__ import annotations

import time
from typing import Any

from hevo_dagfactory.hevo import HevoError, is_transient
from hevo_dagfactory.hevo.drive import drive
from hevo_dagfactory.hevo.wait import JobWatch, WaitPolicy
from hevo_dagfactory.provider.bounded import send_within
from hevo_dagfactory.provider.compat import BaseSensorOperator, Context, PokeReturnValue, conf
from hevo_dagfactory.provider.deadlines import deadline_from_start, defer_timeout, limit_s
from hevo_dagfactory.provider.failed_objects import reader as objects_reader
from hevo_dagfactory.provider.hooks.hevo import DEFAULT_CONN_ID, HevoHook, job_url
from hevo_dagfactory.provider.lineage.hooks import HevoLineage
from hevo_dagfactory.provider.links.job import XCOM_JOB_URL, HevoJobLink
from hevo_dagfactory.provider.params import human
from hevo_dagfactory.provider.results import HevoJobFailed, conclude, job_result, resolve_policy
from hevo_dagfactory.provider.triggers.job import HevoJobTrigger

#: A single poke's Hevo read gets at most max(poke_interval, this) seconds.
POKE_READ_CAP_S = 60.0


class HevoJobSensor(HevoLineage, BaseSensorOperator):
    """Succeed when a Hevo job ends well; fail (with Hevo's status and what to do) when it ends badly.

    :param pipeline_id: Hevo Edge pipeline id (templated).
    :param job_id: the job to wait for (templated), typically
        ``"{{ ti.xcom_pull(task_ids='sync', key='hevo_job_id') }}"``.
    :param connection_id: Airflow connection id.
    :param region: Hevo region, used when the connection has neither host nor region.
    :param accept_completed_with_failures: seed flag; True means COMPLETED_WITH_FAILURES succeeds.
    :param on_completed_with_failures: ``fail`` | ``warn`` | ``succeed``; None derives it from the flag.
    :param deferrable: wait in the triggerer instead of poking (default: Airflow's
        ``[operators] default_deferrable``).
    Plus every ``BaseSensorOperator`` argument (``poke_interval``, ``timeout``, ``mode``, ...).
    """

    template_fields = ("pipeline_id", "job_id", "connection_id", "region")
    operator_extra_links = (HevoJobLink(),)
    ui_color = "#d6ecff"

    def __init__(
        self,
        *,
        pipeline_id: int | str,
        job_id: str,
        connection_id: str = DEFAULT_CONN_ID,
        region: str | None = None,
        accept_completed_with_failures: bool = False,
        on_completed_with_failures: str | None = None,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.pipeline_id = pipeline_id
        self.job_id = job_id
        self.connection_id = connection_id
        self.region = region
        self.on_completed_with_failures = resolve_policy(on_completed_with_failures, accept_completed_with_failures)
        self.deferrable = bool(deferrable)
        self._poke_deadline: float | None = None

    def _limit(self) -> float:
        """min(timeout, execution_timeout) in seconds; a timeout that is not a finite number means 7 days."""
        return limit_s(self.timeout, self.execution_timeout)

    def _hook(self) -> HevoHook:
        return HevoHook(self.connection_id, region=self.region)

    def _check_job_id(self) -> str:
        job_id = str(self.job_id or "").strip()
        if not job_id or job_id == "None":
            raise HevoJobFailed(
                f"{self.task_id}: no Hevo job id to wait for (got {self.job_id!r}). Pass job_id, e.g. "
                "\"{{ ti.xcom_pull(task_ids='<sync task>', key='hevo_job_id') }}\" from a HevoPipelineOperator "
                "with wait_for_completion=False."
            )
        return job_id

    def execute(self, context: Context) -> Any:
        job_id = self._check_job_id()
        settings = self._hook().settings()
        context["ti"].xcom_push(key=XCOM_JOB_URL, value=job_url(settings.ui_base, self.pipeline_id, job_id))
        if not self.deferrable:
            if not self.reschedule:  # poke mode: the whole wait happens in this call
                self._poke_deadline = time.time() + self._limit()
            return super().execute(context)
        if self.poke(context):  # already finished: no need to defer
            return self._last_result
        deadline = deadline_from_start(context["ti"], self._limit())
        self.defer(
            trigger=HevoJobTrigger.with_policy(
                WaitPolicy(poll_interval=float(self.poke_interval)),
                pipeline_id=self.pipeline_id,
                job_id=job_id,
                connection_id=self.connection_id,
                region=self.region,
                deadline=deadline,
                cancel_on_kill=False,
            ),
            method_name="execute_complete",
            timeout=defer_timeout(deadline),
        )

    def poke(self, context: Context) -> bool | PokeReturnValue:
        """One status check; transient errors count as "not yet" so the next poke retries."""
        job_id = self._check_job_id()
        hook = self._hook()
        settings = hook.settings()
        client = hook.client_for(settings)
        watch = JobWatch(self.pipeline_id, job_id)
        try:  # one look of the wait flow (hevo/wait.py); Airflow's poke loop is the rest of it
            drive(watch.look(), send_within(client, self._read_bound))
        except HevoError as exc:
            if is_transient(exc):  # a read that ran out of time included
                self.log.warning("Transient error reading Hevo job %s, will poke again: %s", job_id, exc)
                return False
            raise HevoJobFailed(f"Cannot read Hevo job {job_id} of pipeline {self.pipeline_id}: {exc}") from None
        job = watch.last
        self.log.info("Hevo job %s of pipeline %s is %s", job_id, self.pipeline_id, job.status)
        if not job.outcome.terminal:
            return False
        result = self._conclude(
            job_result(self.pipeline_id, job.to_dict(), attached=True, ui_base=settings.ui_base), client, context
        )
        self._last_result = result
        return PokeReturnValue(is_done=True, xcom_value=result)

    def _conclude(self, result: dict[str, Any], client: Any, context: Context) -> dict[str, Any]:
        """Failing tables named (best effort), ``hevo_result`` pushed, verdict: as the operator ends a wait."""
        objects = objects_reader(client, self.pipeline_id, result.get("job_id"))
        lineage = self._lineage_gatherer(client, context["ti"], result)
        return conclude(
            result, self.on_completed_with_failures, self.log, objects=objects, ti=context["ti"], lineage=lineage
        )

    def _read_bound(self) -> float:
        """How long one poke may wait for Hevo: at most max(poke_interval, 60 s), and the time left in poke mode."""
        bound = max(float(self.poke_interval), POKE_READ_CAP_S)
        if self._poke_deadline is not None:
            bound = min(bound, max(self._poke_deadline - time.time(), 0.001))
        return bound

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> dict[str, Any]:
        """Deferred mode: judge the trigger's event (fails closed on anything but a terminal job)."""
        event = event or {}
        hook = self._hook()
        settings = hook.settings()
        if event.get("status") == "terminal" and event.get("job"):
            result = job_result(self.pipeline_id, event["job"], attached=True, ui_base=settings.ui_base)
            return self._conclude(result, hook.client_for(settings), context)
        if event.get("status") == "timeout":
            raise HevoJobFailed(
                f"Hevo job {event.get('job_id')} of pipeline {self.pipeline_id} did not finish within the sensor's "
                f"limit of {human(self._limit())} ({event.get('message')}). The job was left running (this sensor "
                "does not own it); raise the sensor's timeout or check the job in the Hevo UI."
            )
        raise HevoJobFailed(
            f"Stopped watching Hevo job {event.get('job_id')} of pipeline {self.pipeline_id}: "
            f"{event.get('message') or event!r}. Fix the cause (connection, permissions, network) and clear this task."
        )
