"""Waiting for a job nobody here started: a job of the type that completes after a reference time.

This is what a wait-only sync looks for, on a pipeline Hevo schedules itself (Hevo's Airflow guide,
"Pipelines with fixed schedules"): nothing is POSTed; each look of the wait flow (:mod:`.wait`) reads
the jobs list and :class:`CompletionWatch` decides. The rules (docs/hevo-client.md, "Waiting for a
completion"):

1. A job counts when it is of the expected type (INCREMENTAL unless told), is not a SKIPPED record
   (Hevo records a scheduled run that met a running job as SKIPPED: nothing ran), and ended at or after
   the reference. Its end is ``created_ts + duration_ms``, else ``updated_ts``; a job created at or after
   the reference, or one this wait saw running at a look made at or after it, ended after it too.
2. Any such job that COMPLETED (or COMPLETED_WITH_FAILURES, when the caller accepts those) ends the
   wait: the data Hevo had at the reference has landed. The newest of them is reported.
3. Otherwise, when the newest job that is running or ended after the reference has **failed** (FAILED,
   CANCELLED, DEFERRED, or with failures not accepted), the wait ends with it, so the task fails now with
   Hevo's status instead of hiding the failure until the timeout. A later run that completes makes a
   retry or a clear of the task succeed.
4. Otherwise (nothing yet, or the newest is still running) keep looking; the caller's deadline bounds it.

The list's order is not documented, so :func:`~.joblist.scan` pages until what it read is newest-first
and already holds a finished job that ended before the reference (Hevo runs one job at a time, so
everything older ended earlier).
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from datetime import datetime, timezone
from typing import Any

from .discovery import DEFAULT_DISCOVERY, DiscoveryPolicy
from .discovery import NOT_FROM_A_POST as NOT_A_RUN
from .flow import now_ms
from .joblist import newest, scan
from .models import Job, JobOutcome, expected_job_types


def ended_ms(job: Job) -> int | None:
    """When a finished job ended, on Hevo's clock (epoch ms): created + duration, else last update."""
    if job.created_ts is not None and job.duration_ms is not None:
        return job.created_ts + job.duration_ms
    return job.updated_ts


def iso(ms: int) -> str:
    """Epoch milliseconds as an ISO 8601 UTC time, for messages."""
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


class CompletionWatch:
    """One look = read the jobs list and apply the module's rules; the job that ends the wait, or ``None``."""

    def __init__(
        self,
        pipeline_id: Any,
        after_ms: int,
        *,
        job_type: str | None = None,
        accept_completed_with_failures: bool = False,
        discovery: DiscoveryPolicy = DEFAULT_DISCOVERY,
        clock: Callable[[], int] = now_ms,
    ) -> None:
        self.pipeline_id = pipeline_id
        self.after_ms = int(after_ms)
        self.types = expected_job_types("sync_now", job_type)
        self.accept_with_failures = accept_completed_with_failures
        self.discovery = discovery
        self.clock = clock
        kind = "/".join(sorted(self.types))
        self.subject = f"a {kind} job of pipeline {pipeline_id} completing after {iso(self.after_ms)}"
        self.last: Job | None = None  # the newest job that is running or ended after the reference
        self.newest_seen: Job | None = None  # the newest run of the type at all (for messages)
        self._seen_running: set[str] = set()

    # --- the rules ------------------------------------------------------------------------------
    def _ended_after(self, job: Job) -> bool:
        if job.job_id in self._seen_running or (job.created_ts is not None and job.created_ts >= self.after_ms):
            return True
        end = ended_ms(job)
        return end is not None and end >= self.after_ms

    def _completes(self, job: Job) -> bool:
        ok = job.outcome is JobOutcome.SUCCESS or (
            self.accept_with_failures and job.outcome is JobOutcome.COMPLETED_WITH_FAILURES
        )
        return ok and self._ended_after(job)

    def _older_than_reference(self, jobs: list[Job]) -> bool:
        """Enough paging (in a newest-first list): a finished run that ended before the reference was read."""
        return any(j.status not in NOT_A_RUN and j.outcome.terminal and not self._ended_after(j) for j in jobs)

    def look(self) -> Generator[Any, Any, Job | None]:
        looked_at = self.clock()
        jobs = yield from scan(
            self.pipeline_id, self.discovery.page_size, self.discovery.max_pages, self._older_than_reference
        )
        runs = [j for j in jobs if j.type_key in self.types and j.status not in NOT_A_RUN]
        self.newest_seen = newest(runs) or self.newest_seen
        if looked_at >= self.after_ms:
            self._seen_running |= {j.job_id for j in runs if j.outcome is JobOutcome.RUNNING}
        relevant = [j for j in runs if j.outcome is JobOutcome.RUNNING or self._ended_after(j)]
        self.last = newest(relevant) or self.last
        done = newest(j for j in relevant if self._completes(j))
        if done is not None:
            return done
        latest = newest(relevant)
        if latest is not None and latest.outcome.terminal:
            return latest  # a failure after the reference: the caller's verdict fails the task now
        return None

    # --- what to say ----------------------------------------------------------------------------
    def progress(self) -> str:
        if self.last is not None:
            return f"Waiting for {self.subject}; the newest is job {self.last.job_id}, {self.last.status}"
        return f"Waiting for {self.subject}; none has started since"

    def ended(self, job: Job) -> str:
        end = ended_ms(job)
        when = f" at {iso(end)}" if end is not None else ""
        return (
            f"Hevo job {job.job_id} ({job.type}) of pipeline {self.pipeline_id} ended{when} with status {job.status}."
        )

    def timed_out(self) -> str:
        if self.last is not None:
            seen = f"the newest, job {self.last.job_id}, was {self.last.status}"
        elif self.newest_seen is not None:
            created = self.newest_seen.created_ts
            since = f" created {iso(created)}" if created is not None else ""
            newest = self.newest_seen
            seen = f"no job ran after it (the newest seen: job {newest.job_id}{since}, {newest.status})"
        else:
            seen = "no job of that type was seen at all"
        kind = "/".join(sorted(self.types))
        return (
            f"No {kind} job of pipeline {self.pipeline_id} completed after {iso(self.after_ms)} "
            f"before the deadline: {seen}."
        )

    def failed(self, problem: str) -> str:
        return f"Waiting for {self.subject} failed: {problem}"
