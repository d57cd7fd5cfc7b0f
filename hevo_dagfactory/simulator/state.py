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

from .ratelimit import DEFAULT_USER, RateWindow
from .script import RESYNC_TYPES, PipelineScript

CANCEL_DELAY_S = 0.1  # CANCELLING -> CANCELLED
REQUEST_LOG_MAX = 100_000


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
        ingested = int(self.script.events_ingested * progress)
        failed = self.script.failed_events() if done and status != "CANCELLED" else 0
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
            "objects_success": self.script.objects_success if done else 0,
            "objects_queued": 0 if done else self.script.objects_success,
            "objects_skipped": 0,
            "objects_failed": self.script.failed_objects() if done and status != "CANCELLED" else 0,
            "billable_events": ingested,
            "non_billable_events": 0,
            "duration": int((min(now, end) - self.created) * 1000),
            "min_latency": 100,
            "max_latency": 5000,
            "mean_latency": 1500,
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
            "source": {"name": f"source of {self.pipeline_id}", "source_type": "POSTGRES"},
            "destination": {"id": 1, "name": "warehouse", "destination_type": "SNOWFLAKE", "status": "ACTIVE"},
            "schedule": {"sync_type": "ON_DEMAND"},
            "load_mode": "MERGE",
            "created_ts": int(self.created * 1000),
            "updated_ts": int(self.created * 1000),
        }


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
                job = state.new_job("INCREMENTAL", now, duration_s=30.0, created=now - 60.0 * n - 30.0)
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
            self.pipelines[pid] = state
            return state

    def reset(self) -> None:
        with self.lock:
            self.pipelines.clear()
            self.request_log.clear()
            self.requests_seen = 0
            self.rate_limited_count = 0
            self.rate = self.rate.fresh()
