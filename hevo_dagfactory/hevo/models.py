"""Hevo job model and status classes.

Hevo's job JSON is only known from its docs and its provider's tests, and field sets drifted between
versions, so parsing is tolerant: unknown fields are kept in ``raw``, missing ones become ``None``,
numbers given as strings are accepted, and ``type`` stays a free string (resync spellings drifted).
"""

from __future__ import annotations

import enum
import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

log = logging.getLogger(__name__)


class JobOutcome(str, enum.Enum):
    """What a job status means to a waiting task."""

    SUCCESS = "success"
    COMPLETED_WITH_FAILURES = "completed_with_failures"
    FAILED = "failed"
    RUNNING = "running"

    @property
    def terminal(self) -> bool:
        return self is not JobOutcome.RUNNING


SUCCESS_STATUSES = frozenset({"COMPLETED"})
COMPLETED_WITH_FAILURES_STATUSES = frozenset({"COMPLETED_WITH_FAILURES"})
FAILED_STATUSES = frozenset(
    {"FAILED", "CANCELLED", "SKIPPED", "DEFERRED", "DEFERRED_WITH_FAILURES", "DEFERRED_WITH_FAILURE"}
)
#: Running statuses we know. QUEUED and PENDING come from Hevo's provider docs only. "UNKNOWN" is not
#: here: it is what a job without a status gets, and like any other unknown status it is warned about.
RUNNING_STATUSES = frozenset({"IN_PROGRESS", "CANCELLING", "QUEUED", "PENDING"})
MISSING_STATUS = "UNKNOWN"

_warned: set[str] = set()


def is_known_status(status: str | None) -> bool:
    """True for a job status we know the meaning of (unknown ones count as running, with a warning)."""
    key = (status or "").strip().upper()
    return (
        key in SUCCESS_STATUSES
        or key in COMPLETED_WITH_FAILURES_STATUSES
        or key in FAILED_STATUSES
        or key.startswith("DEFERRED")
        or key in RUNNING_STATUSES
    )


def classify(status: str | None) -> JobOutcome:
    """Map a Hevo job status to a :class:`JobOutcome`.

    Anything unknown (a missing status included) counts as RUNNING with a warning, logged once per
    spelling: failing on a new status would be brittle, and the caller's deadline bounds the wait.
    """
    key = (status or "").strip().upper()
    if key in SUCCESS_STATUSES:
        return JobOutcome.SUCCESS
    if key in COMPLETED_WITH_FAILURES_STATUSES:
        return JobOutcome.COMPLETED_WITH_FAILURES
    if key in FAILED_STATUSES or key.startswith("DEFERRED"):
        return JobOutcome.FAILED
    if key not in RUNNING_STATUSES and key not in _warned:
        _warned.add(key)
        if key in ("", MISSING_STATUS):
            log.warning(
                "A Hevo job came without a status (%r): treated as still running until the task's timeout.", status
            )
        else:
            log.warning("Unknown Hevo job status %r: treated as still running until the task's timeout.", status)
    return JobOutcome.RUNNING


#: Job types a resync may be reported as (the spelling drifted between Hevo versions).
RESYNC_JOB_TYPES = ("RESYNC", "RESYNC_WITH_EVOLVE", "RESYNC_WITH_DROP_AND_LOAD", "TRUNCATE_AND_LOAD")
SYNC_NOW_JOB_TYPE = "INCREMENTAL"


def expected_job_types(action: str, job_type: str | None = None) -> frozenset[str]:
    """Job types that a trigger of ``action`` produces; an explicit ``job_type`` overrides the default."""
    if job_type:
        return frozenset({job_type.strip().upper()})
    action_key = action.strip().lower().replace("-", "_")
    if action_key == "sync_now":
        return frozenset({SYNC_NOW_JOB_TYPE})
    if action_key == "resync":
        return frozenset(RESYNC_JOB_TYPES)
    raise ValueError(f"unknown Hevo action {action!r}; use 'sync_now' or 'resync'.")


def to_int(value: Any) -> int | None:
    """A number Hevo may send as int, float or numeric string; None for anything else."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(float(value))
    except (TypeError, ValueError, OverflowError):
        return None


def to_epoch_ms(value: Any) -> int | None:
    """A timestamp as epoch milliseconds: ISO 8601 text (one doc sample spells ``created_at`` so), or a
    number (below 10^11 it is taken as seconds). None for anything unreadable."""
    if isinstance(value, str) and value.strip() and not value.strip().lstrip("-").replace(".", "", 1).isdigit():
        try:
            stamp = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=timezone.utc)
        return int(stamp.timestamp() * 1000)
    number = to_int(value)
    if number is None:
        return None
    return number * 1000 if abs(number) < 10**11 else number


def to_str(value: Any) -> str | None:
    if value is None:
        return None
    return str(value)


def page_parts(data: Any, what: str, item_keys: tuple[str, ...] = ("data",)) -> tuple[list[Any], str | None, bool]:
    """(items, next_cursor, has_more) of one cursor-paged list answer (``{"data": [...], "has_more",
    "next_cursor"}``; a bare list, ``pagination.next_cursor`` and other item keys are accepted too)."""
    if isinstance(data, list):
        items, cursor, more = data, None, False
    elif isinstance(data, dict):
        items = next((data[k] for k in item_keys if k in data), [])
        cursor = data.get("next_cursor") or (data.get("pagination") or {}).get("next_cursor")
        more = bool(data.get("has_more", cursor is not None))
    else:
        raise ValueError(f"expected a {what} page, got {type(data).__name__}")
    if not isinstance(items, list):
        raise ValueError(f"{what} page 'data' is not a list")
    return items, to_str(cursor) if cursor else None, more and bool(cursor)


@dataclass(frozen=True)
class Job:
    """One Hevo Edge job. Timestamps are epoch milliseconds as Hevo sends them; ``raw`` is the full JSON."""

    job_id: str
    status: str
    type: str | None = None
    created_ts: int | None = None
    updated_ts: int | None = None
    duration_ms: int | None = None
    events_ingested: int | None = None
    events_loaded: int | None = None
    events_failed: int | None = None
    objects_success: int | None = None
    objects_failed: int | None = None
    objects_queued: int | None = None
    objects_skipped: int | None = None
    billable_events: int | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Job:
        """Parse a job object (or one wrapped in ``{"data": {...}}``); raises ``ValueError`` without a job id."""
        if not isinstance(data, dict):
            raise ValueError(f"expected a job object, got {type(data).__name__}")
        if "job_id" not in data and "id" not in data and isinstance(data.get("data"), dict):
            data = data["data"]
        job_id = data.get("job_id", data.get("id"))
        if job_id in (None, ""):
            raise ValueError(f"job object without job_id: {sorted(data)[:10]}")
        stats: dict[str, Any] = data["statistics"] if isinstance(data.get("statistics"), dict) else {}

        def count(key: str) -> int | None:
            return to_int(data[key] if key in data else stats.get(key))

        return cls(
            job_id=str(job_id),
            status=str(data.get("status") or MISSING_STATUS).strip().upper(),
            type=to_str(data.get("type", data.get("job_type"))),
            created_ts=to_int(data.get("created_ts")) or to_epoch_ms(data.get("created_at")),
            updated_ts=to_int(data.get("updated_ts")) or to_epoch_ms(data.get("updated_at")),
            duration_ms=to_int(data.get("duration", data.get("duration_ms"))),
            events_ingested=count("events_ingested"),
            events_loaded=count("events_loaded"),
            events_failed=count("events_failed"),
            objects_success=count("objects_success"),
            objects_failed=count("objects_failed"),
            objects_queued=count("objects_queued"),
            objects_skipped=count("objects_skipped"),
            billable_events=count("billable_events"),
            raw=dict(data),
        )

    @property
    def outcome(self) -> JobOutcome:
        return classify(self.status)

    @property
    def type_key(self) -> str:
        return (self.type or "").strip().upper()

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe summary (for XCom and trigger events); ``raw`` is left out to keep it small."""
        out = asdict(self)
        out.pop("raw", None)
        out["outcome"] = self.outcome.value
        return out


@dataclass(frozen=True)
class JobPage:
    """One page of ``GET /pipelines/{id}/jobs``; pass ``next_cursor`` back to read the next page."""

    jobs: list[Job]
    next_cursor: str | None = None
    has_more: bool = False

    @classmethod
    def from_api(cls, data: Any) -> JobPage:
        items, cursor, more = page_parts(data, "jobs", ("data", "jobs"))
        jobs = [
            Job.from_api(item) for item in items if isinstance(item, dict) and (item.get("job_id") or item.get("id"))
        ]
        return cls(jobs=jobs, next_cursor=cursor, has_more=more)


@dataclass(frozen=True)
class StartedJob:
    """What :meth:`start_job` found or started.

    ``attached`` is True when we did not start this job ourselves (an in-progress job, or our earlier
    try's job on a task retry). ``triggered_at_ms`` is our clock when we posted (or decided to attach).
    ``pipeline`` is the pipeline as the pre-flight read it (None when no pre-flight ran, e.g. an attach),
    so a caller that needs its source and destination does not read it again.
    """

    job: Job
    attached: bool
    triggered_at_ms: int
    pipeline: dict[str, Any] | None = field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {"job": self.job.to_dict(), "attached": self.attached, "triggered_at_ms": self.triggered_at_ms}
