"""The simulator's in-memory world: pipelines, their jobs (whose status follows the clock), counters.

Kept apart from the HTTP layer so the rules of a simulated pipeline read in one place. All mutation
happens under one lock because tests inspect the state from their own thread while the server runs
in another.
"""

from __future__ import annotations

import collections
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from . import connectors
from .ratelimit import DEFAULT_USER, RateWindow
from .script import RESYNC_TYPES, SYNC_NOW_TYPE, PipelineScript

CANCEL_DELAY_S = 0.1  # CANCELLING -> CANCELLED
REQUEST_LOG_MAX = 100_000
#: At most this many scheduled runs are caught up at once (a tiny period left alone for hours).
MAX_SCHEDULED_CATCH_UP = 1_000


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class SimJob:
    job_id: str
    type: str
    created: float  # wall clock (s)
    duration_s: float
    final_status: str
    appear_at: float
    script: PipelineScript
    cancel_at: float | None = None

    def status(self, now: float) -> str:
        if self.cancel_at is not None:
            return "CANCELLING" if now < self.cancel_at + CANCEL_DELAY_S else "CANCELLED"
        return "IN_PROGRESS" if now < self.created + self.duration_s else self.final_status

    def visible(self, now: float) -> bool:
        return now >= self.appear_at

    def running(self, now: float) -> bool:
        return self.status(now) in ("IN_PROGRESS", "CANCELLING")

    def to_api(self, now: float) -> dict[str, Any]:
        status = self.status(now)
        end = self.created + self.duration_s
        if self.cancel_at is not None:
            end = min(end, self.cancel_at + CANCEL_DELAY_S)
        done = now >= end
        progress = (
            1.0 if done else max(0.0, min(1.0, (now - self.created) / self.duration_s if self.duration_s else 1.0))
        )
        ran = self.final_status != "SKIPPED"  # a skipped run is only a record: it moved no data
        ingested = int(self.script.events_ingested * progress) if ran else 0
        counted = done and status != "CANCELLED"
        failed = self.script.failed_events(self.final_status) if counted else 0
        objects = self.script.succeeded_objects(self.final_status) if ran else 0
        offset = self.script.clock_offset_s  # Hevo's clock minus ours
        return {
            "job_id": self.job_id,
            "type": self.type,
            "status": status,
            "created_ts": int((self.created + offset) * 1000),
            "updated_ts": int((min(now, end) + offset) * 1000),
            "events_ingested": ingested,
            "events_loaded": max(0, ingested - failed),
            "events_failed": failed,
            "objects_success": objects if done else 0,
            "objects_queued": 0 if done else objects,
            "objects_skipped": 0,
            "objects_failed": self.script.failed_objects(self.final_status) if counted else 0,
            "billable_events": ingested,
            "non_billable_events": 0,
            "duration": int((min(now, end) - self.created) * 1000),
            "min_latency": 100,
            "max_latency": 5000,
            "mean_latency": 1500,
        }

    def objects_to_api(self, now: float) -> list[dict[str, Any]]:
        """The objects this job processed, each with its status (and error) in the job."""
        if self.final_status == "SKIPPED":
            return []
        status = self.status(now)
        errors = self.script.errors_by_table(self.final_status) if status == self.final_status else {}
        tables = self.script.job_tables(self.final_status)
        failed_events = self.script.failed_events(self.final_status) if errors else 0
        ingested = int(self.to_api(now)["events_ingested"])
        out = []
        for table in tables:
            item = object_to_api(self.script, table)
            for pipeline_only in ("field_count", "replication_status"):  # a job object has its own status
                item.pop(pipeline_only)
            error = errors.get(table)
            if status in ("IN_PROGRESS", "CANCELLING"):
                item["status"] = "IN_PROGRESS"
            elif status == "CANCELLED":
                item["status"] = "CANCELLED"
            elif error is not None:
                item["status"] = "FAILED" if self.final_status == "FAILED" else "COMPLETED_WITH_FAILURES"
                item["error_message"] = error
            else:
                item["status"] = "COMPLETED"
            item["events_failed"] = failed_events // len(errors) if error is not None else 0
            # the job's events shared out over its objects (a cancelled or running job's counts are partial)
            item["events_ingested"] = ingested // len(tables)
            item["events_loaded"] = max(0, item["events_ingested"] - item["events_failed"])
            out.append(item)
        return out


def object_to_api(script: PipelineScript, table: str) -> dict[str, Any]:
    """One object as the pipeline-objects list shows it: namespaces as ``{k0 table, k1 schema, k2 database}``,
    filled the way the script's source and destination types name a table (simulator/connectors.py)."""
    return {
        "object_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"hevo-sim:{script.name}:{table}")),
        "source_namespace": connectors.source_namespace(script.source_type, script.source_config, table),
        "destination_namespace": connectors.destination_namespace(
            script.destination_type, script.destination_config, script.destination_schema, table
        ),
        "field_count": 5,
        "status": "ACTIVE",
        "replication_status": "REPLICATED",
    }


@dataclass
class PipelineState:
    pipeline_id: str
    script: PipelineScript
    status: str
    jobs: list[SimJob] = field(default_factory=list)
    sync_now_posts: int = 0
    resync_posts: int = 0
    cancel_posts: int = 0
    run_now_posts: int = 0
    created: float = field(default_factory=time.time)
    next_scheduled_run: float | None = None  # wall clock (s) of Hevo's scheduler's next run
    resync_bodies: list[Any] = field(default_factory=list)

    def advance(self, now: float) -> None:
        """Bring the pipeline up to ``now`` (called before every look or change): a settling status
        turns INITIALIZED at its time, and Hevo's scheduler's runs are created."""
        ready = self.script.ready_after_s
        if ready is not None and now >= self.created + float(ready):
            self.status = "INITIALIZED"
            self.script.ready_after_s = None
        self.run_scheduler(now)

    def run_scheduler(self, now: float) -> None:
        """Create the jobs Hevo's own scheduler started up to ``now`` (called before every look or change).

        Runs are materialised lazily, in time order, each judged at its own time: a run that meets
        a running job is recorded as a SKIPPED job (Hevo's "Sync Frequency" page), any other starts an
        INCREMENTAL job. A pipeline that is not INITIALIZED (disabled, paused...) runs nothing.
        """
        script = self.script
        if not script.scheduled:
            self.next_scheduled_run = None
            return
        period = script.schedule_period_s
        if self.next_scheduled_run is None:
            first = script.schedule_first_s
            self.next_scheduled_run = now + (period if first is None else float(first))
        behind = int((now - self.next_scheduled_run) // period) + 1
        if behind > MAX_SCHEDULED_CATCH_UP:  # keep only the latest runs of a long unobserved stretch
            self.next_scheduled_run += (behind - MAX_SCHEDULED_CATCH_UP) * period
        while self.next_scheduled_run <= now:
            at = self.next_scheduled_run
            self.next_scheduled_run = at + period
            if self.status != "INITIALIZED":
                continue
            delay = (
                script.job_appear_delay_s
                if script.scheduled_appear_delay_s is None
                else script.scheduled_appear_delay_s
            )
            if self.running_job(at) is not None:
                job = self.new_job(SYNC_NOW_TYPE, at, duration_s=0.0, created=at)
                job.final_status = "SKIPPED"
            else:
                job = self.new_job(SYNC_NOW_TYPE, at, created=at)
            job.appear_at = at + float(delay)

    def running_job(self, now: float) -> SimJob | None:
        for job in reversed(self.jobs):
            if job.running(now):
                return job
        return None

    def new_job(
        self, job_type: str, now: float, *, duration_s: float | None = None, created: float | None = None
    ) -> SimJob:
        script = self.script
        job = SimJob(
            job_id=str(uuid.uuid4()),
            type=job_type,
            created=now if created is None else created,
            duration_s=script.job_duration_s if duration_s is None else duration_s,
            final_status=script.final_status,
            appear_at=now + script.job_appear_delay_s,
            script=script,
        )
        self.jobs.append(job)
        return job

    def listed_jobs(self, now: float) -> list[SimJob]:
        """The visible jobs in the order GET .../jobs lists them (the script's ``jobs_order``)."""
        visible = [j for j in self.jobs if j.visible(now)]
        return visible if self.script.jobs_order == "oldest_first" else visible[::-1]

    def resync_type(self, mode: str) -> str:
        return self.script.job_type or RESYNC_TYPES.get(mode, "RESYNC")

    def to_api(self) -> dict[str, Any]:
        return {
            "id": int(self.pipeline_id) if self.pipeline_id.isdigit() else self.pipeline_id,
            "name": self.script.name,
            "status": self.status,
            "source": connectors.source_to_api(self.pipeline_id, self.script.source_type, self.script.source_config),
            "destination": connectors.destination_to_api(
                self.script.destination_id, self.script.destination_type, self.script.destination_config
            ),
            "schedule": self.schedule_to_api(),
            "load_mode": "MERGE",
            "created_ts": int(self.created * 1000),
            "updated_ts": int(self.created * 1000),
        }

    def schedule_to_api(self) -> dict[str, Any]:
        if self.script.scheduled:
            return {"sync_type": "SCHEDULED", "frequency_minutes": int(self.script.frequency_minutes)}
        return {"sync_type": "ON_DEMAND"}


class SimState:
    """Everything the simulator knows, guarded by one lock."""

    def __init__(self, api_key: str, api_secret: str, rate: RateWindow) -> None:
        self.lock = threading.RLock()
        self.credentials = {api_key: api_secret}
        self.users = {api_key: DEFAULT_USER}  # API key -> the Hevo user it belongs to (the rate limit's unit)
        self.rate = rate
        self.pipelines: dict[str, PipelineState] = {}
        # bounded so a long demo cannot grow without limit; ``requests_seen`` counts them all
        self.request_log: collections.deque[dict[str, Any]] = collections.deque(maxlen=REQUEST_LOG_MAX)
        self.requests_seen = 0
        self.rate_limited_count = 0

    def add_pipeline(self, pipeline_id: Any, script: PipelineScript | None = None) -> PipelineState:
        script = script or PipelineScript()
        pid = str(pipeline_id)
        now = time.time()
        with self.lock:
            state = PipelineState(pid, script, script.status)
            for n in range(int(script.past_jobs), 0, -1):  # the oldest first, the newest a minute ago
                job = state.new_job(SYNC_NOW_TYPE, now, duration_s=30.0, created=now - 60.0 * n - 30.0)
                job.appear_at = job.created
                job.final_status = "COMPLETED"
            if script.running_job_type:
                duration = (
                    script.running_job_duration_s
                    if script.running_job_duration_s is not None
                    else script.job_duration_s
                )
                job = state.new_job(script.running_job_type, now, duration_s=duration + 1.0, created=now - 1.0)
                job.appear_at = now - 1.0
                job.final_status = "COMPLETED"
            state.advance(now)
            self.pipelines[pid] = state
            return state

    def reset(self) -> None:
        with self.lock:
            self.pipelines.clear()
            self.request_log.clear()
            self.requests_seen = 0
            self.rate_limited_count = 0
            self.rate = self.rate.fresh()
