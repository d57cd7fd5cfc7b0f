"""What one simulated pipeline does: a :class:`PipelineScript` per pipeline id.

Every field has a default so ``PipelineScript()`` is a healthy pipeline whose sync-now job runs 0.5 s
and COMPLETES. Fault counters (``fail_next``, ``drop_next``...) are consumed one request at a time,
in arrival order, by requests that concern this pipeline.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from .connectors import check_types

TERMINAL_STATUSES = (
    "COMPLETED",
    "COMPLETED_WITH_FAILURES",
    "FAILED",
    "CANCELLED",
    "SKIPPED",
    "DEFERRED",
    "DEFERRED_WITH_FAILURES",
)
IN_PROGRESS_MESSAGE = "A job is already in progress for this pipeline"
OLD_IN_PROGRESS_MESSAGE = "A job is in progress. To sync now you need to cancel the current job"
DEFAULT_OBJECT_ERROR = "Failed to load 10 events: column 'amount' expects NUMBER, got VARCHAR value 'n/a'"
#: Final statuses of a job in which some objects failed.
FAILING_STATUSES = ("COMPLETED_WITH_FAILURES", "FAILED")
RESYNC_TYPES = {"EVOLVE_AND_MERGE": "RESYNC_WITH_EVOLVE", "DROP_AND_LOAD": "RESYNC_WITH_DROP_AND_LOAD"}
SYNC_NOW_TYPE = "INCREMENTAL"  # the type of sync-now jobs and of the jobs Hevo's scheduler starts
FAULT_TARGETS = ("all", "get", "post", "pipeline", "objects")
RESYNC_BODIES = ("resync_mode", "drop_and_load", "either", "neither")
JOBS_ORDERS = ("newest_first", "oldest_first")
#: ``schedule.sync_type`` of an Edge pipeline: Sync On Demand, or runs by Hevo's own scheduler.
SYNC_TYPES = ("ON_DEMAND", "SCHEDULED")


@dataclass
class PipelineScript:
    """Scripted behaviour of one pipeline (all times in seconds)."""

    # the jobs a trigger creates
    job_duration_s: float = 0.5
    final_status: str = "COMPLETED"
    return_job_id: bool = False  # sync-now/resync answer carries {"job_id": ...}
    answer_status: str | None = None  # ... and this "status" too (e.g. "success": an acknowledgement)
    job_appear_delay_s: float = 0.0  # the job is invisible (list and get) for this long
    job_type: str | None = None  # type reported for resync jobs (default by resync_mode)
    status: str = "INITIALIZED"  # pipeline status; sync-now/resync need INITIALIZED
    ready_after_s: float | None = None  # the status turns INITIALIZED this long after the pipeline is added
    # the resync body this Hevo accepts: resync_mode ({"resync_mode": ...}), drop_and_load ({"drop_and_load":
    # bool}), either, or neither; any other body gets a 400 naming the body, and nothing starts
    resync_body: str = "resync_mode"
    name: str = "simulated pipeline"
    # an already running job when the pipeline is added: True = INCREMENTAL, or a type name
    running_job: bool | str | None = None
    running_job_duration_s: float | None = None  # default: job_duration_s
    # the refusal of a sync-now/resync while a job runs: Hevo documents 409 or 500 with IN_PROGRESS_MESSAGE;
    # older Hevo answered 500 with OLD_IN_PROGRESS_MESSAGE
    in_progress_status: int = 409
    in_progress_message: str = IN_PROGRESS_MESSAGE
    # the jobs list and the clock behind it
    jobs_order: str = "newest_first"  # order of GET .../jobs: newest_first or oldest_first
    past_jobs: int = 0  # finished INCREMENTAL jobs, one a minute, before the pipeline was added
    clock_offset_s: float = 0.0  # Hevo's clock minus ours in job timestamps (negative: Hevo runs behind)
    # one-shot: the next sync-now/resync first adds a finished job of the same type created this many
    # seconds before the POST (Hevo's scheduler ran one just before ours); it appears with the same delay
    scheduled_job_before_post_s: float | None = None
    # Hevo's own scheduler: a SCHEDULED pipeline gets a job every period, created by Hevo itself; a
    # scheduled run that meets a running job is recorded as a job with status SKIPPED
    sync_type: str = "ON_DEMAND"  # schedule.sync_type: ON_DEMAND (Sync On Demand) or SCHEDULED
    frequency_minutes: int = 60  # the frequency GET /pipelines/{id} reports for a SCHEDULED pipeline
    schedule_every_s: float | None = None  # the real period in the simulator (default frequency_minutes * 60)
    schedule_first_s: float | None = None  # the first scheduled run comes this long after now (default one period)
    scheduled_appear_delay_s: float | None = None  # scheduled jobs and SKIPPED records appear after this long
    # (default job_appear_delay_s); one-shot: Hevo's scheduler runs this long after the next sync-now/resync
    scheduled_run_after_post_s: float | None = None
    # faults
    sync_now_error_after_start: int = 0  # start the job, then answer error_status anyway (n times)
    error_status: int = 502
    fail_next: int = 0  # answer fail_status without acting (n requests)
    fail_status: int = 503
    drop_next: int = 0  # close the connection without an answer, without acting
    slow_next: int = 0  # act, then wait delay_s before answering
    delay_s: float = 1.0
    malformed_next: int = 0  # act, then answer 200 with a body that is not JSON
    rate_limit_next: int = 0  # answer 429 + Retry-After without acting
    retry_after: str | None = "1"  # Retry-After value for rate_limit_next ("1", or an HTTP date)
    # which requests the fault counters hit: all | get | post | pipeline (GET of the pipeline) | objects (GET of
    # job or pipeline objects)
    faults_on: str = "all"
    # counts reported on finished jobs
    events_ingested: int = 1000
    events_failed: int | None = None  # default: 10 for COMPLETED_WITH_FAILURES/FAILED, else 0
    objects_success: int = 5
    objects_failed: int | None = None
    # the pipeline's objects and what fails in a job: tables as "schema.table" (default public.table_1...,
    # as many as a failing job counts), and table -> error for the objects that fail in a job ending
    # FAILED/COMPLETED_WITH_FAILURES (default: the last objects_failed tables, with a generic error)
    tables: list[str] | None = None
    object_errors: dict[str, str] | None = None
    # the pipeline's two ends (simulator/connectors.py has the types and their default configs): an object
    # is named the way its system names a table; None = the type's default config, {} = no config at all
    source_type: str = "POSTGRES"
    source_config: dict[str, Any] | None = None
    destination_type: str = "SNOWFLAKE"
    destination_config: dict[str, Any] | None = None
    destination_id: int = 1
    destination_schema: str = "hevo_raw"  # where the destination tables are (Hevo's destination prefix)

    def __post_init__(self) -> None:
        self.final_status = str(self.final_status).upper()
        self.status = str(self.status).upper()
        self.source_type = str(self.source_type).upper()
        self.destination_type = str(self.destination_type).upper()
        check_types(self.source_type, self.destination_type)
        if self.sync_now_error_after_start is True:
            self.sync_now_error_after_start = 1
        if self.faults_on not in FAULT_TARGETS:
            raise ValueError(f"faults_on must be one of {', '.join(FAULT_TARGETS)}, got {self.faults_on!r}")
        if self.resync_body not in RESYNC_BODIES:
            raise ValueError(f"resync_body must be one of {', '.join(RESYNC_BODIES)}, got {self.resync_body!r}")
        if self.ready_after_s is not None and float(self.ready_after_s) < 0:
            raise ValueError("ready_after_s must not be negative")
        for name in ("job_duration_s", "job_appear_delay_s", "delay_s"):
            if float(getattr(self, name)) < 0:
                raise ValueError(f"{name} must not be negative")
        if self.in_progress_status not in (409, 500, 503):
            raise ValueError("in_progress_status must be 409, 500 or 503")
        if self.jobs_order not in JOBS_ORDERS:
            raise ValueError(f"jobs_order must be one of {', '.join(JOBS_ORDERS)}, got {self.jobs_order!r}")
        if int(self.past_jobs) < 0:
            raise ValueError("past_jobs must not be negative")
        if self.object_errors and set(self.object_errors) - set(self.table_names()):
            unknown = ", ".join(sorted(set(self.object_errors) - set(self.table_names())))
            raise ValueError(f"object_errors names tables that are not in tables: {unknown}")
        if self.scheduled_job_before_post_s is not None and float(self.scheduled_job_before_post_s) < 0:
            raise ValueError("scheduled_job_before_post_s must not be negative")
        self.sync_type = str(self.sync_type).upper()
        if self.sync_type not in SYNC_TYPES:
            raise ValueError(f"sync_type must be one of {', '.join(SYNC_TYPES)}, got {self.sync_type!r}")
        if int(self.frequency_minutes) < 1:
            raise ValueError("frequency_minutes must be at least 1")
        if self.schedule_every_s is not None and float(self.schedule_every_s) < 0.01:
            raise ValueError("schedule_every_s must be at least 0.01")
        if self.schedule_first_s is not None and float(self.schedule_first_s) < 0:
            raise ValueError("schedule_first_s must not be negative")

    @property
    def scheduled(self) -> bool:
        return self.sync_type == "SCHEDULED"

    @property
    def schedule_period_s(self) -> float:
        """Seconds between two runs of Hevo's scheduler in the simulator."""
        if self.schedule_every_s is not None:
            return float(self.schedule_every_s)
        return 60.0 * int(self.frequency_minutes)

    @property
    def running_job_type(self) -> str | None:
        if self.running_job in (None, False, ""):
            return None
        return SYNC_NOW_TYPE if self.running_job is True else str(self.running_job).upper()

    def failed_events(self, status: str | None = None) -> int:
        """Failed events of a finished job ending in ``status`` (default: the script's final status)."""
        if self.events_failed is not None:
            return self.events_failed
        return 10 if (status or self.final_status) in FAILING_STATUSES else 0

    def failed_objects(self, status: str | None = None) -> int:
        if self.objects_failed is not None:
            return self.objects_failed
        if (status or self.final_status) not in FAILING_STATUSES:
            return 0
        return len(self.object_errors) if self.object_errors else 1

    def table_names(self) -> list[str]:
        """The pipeline's source tables (``schema.table``)."""
        if self.tables:
            return [str(t) for t in self.tables]
        count = self.objects_success + (self.objects_failed if self.objects_failed is not None else 1)
        return [f"public.table_{n}" for n in range(1, count + 1)]

    def job_tables(self, status: str) -> list[str]:
        """The tables a job ending ``status`` processes: every table of ``tables``, else the first
        ``objects_success`` default tables plus the failing ones."""
        if self.tables:
            return self.table_names()
        succeeded = self.table_names()[: self.objects_success]
        return succeeded + [t for t in self.errors_by_table(status) if t not in succeeded]

    def succeeded_objects(self, status: str) -> int:
        if not self.tables:
            return self.objects_success
        return len(self.job_tables(status)) - len(self.errors_by_table(status))

    def errors_by_table(self, status: str) -> dict[str, str]:
        """The tables that fail in a job ending ``status``, with their error."""
        if status not in FAILING_STATUSES:
            return {}
        if self.object_errors:
            return dict(self.object_errors)
        failing = self.table_names()[-self.failed_objects(status) :] if self.failed_objects(status) else []
        return dict.fromkeys(failing, DEFAULT_OBJECT_ERROR)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> PipelineScript:
        """Build from JSON/YAML data; unknown keys are an error that lists the valid ones."""
        data = dict(data or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown PipelineScript field(s) {', '.join(unknown)}; valid: {', '.join(sorted(known))}")
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
