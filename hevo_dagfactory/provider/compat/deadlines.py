"""Deadline Alerts: Airflow 3.3 has them, Airflow 2.11 does not.

A workflow's ``deadline:`` becomes the DAG's ``deadline=DeadlineAlert(...)`` on 3.3 (read in
``airflow/sdk/definitions/deadline.py`` and ``airflow/serialization/definitions/dag.py``):

- ``after: 2h`` is ``DeadlineReference.DAGRUN_QUEUED_AT`` + 2 h;
- ``by: "07:00"`` is :class:`WallClockDeadline`, a custom reference: the first 07:00 in the deadline's
  time zone at or after the run's ``run_after`` (the moment it became due), interval 0. The scheduler
  evaluates it when it creates the run, so it must find the class: custom references are registered
  through an Airflow plugin's ``deadline_references`` (ours: ``hevo_dagfactory.provider.plugin``,
  installed with the package as an ``airflow.plugins`` entry point);
- the callback is an ``AsyncCallback`` of ``hevo_dagfactory.provider.notify.deadline.deadline_missed``:
  when the scheduler sees the deadline pass before the run ended, the triggerer runs it (the
  recommended place; it gets a small context: the run and the deadline) and it sends the messages.

On Airflow 2.11 there is no such feature. Its ``sla`` measures each task from the end of the schedule
interval, only for scheduled runs, and was removed in 3.0; mapping ``by``/``after`` onto it would alert
at other times than the file says. So :func:`deadline_alert` raises :class:`DeadlineUnsupported`, and
the factory shows the workflow as a placeholder that says so (docs/compatibility.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

try:  # Airflow 3.x
    from airflow.sdk import AsyncCallback, DeadlineAlert, DeadlineReference
    from airflow.sdk.definitions.deadline import REFERENCE_TYPE_FIELD, BaseDeadlineReference
except ImportError:  # pragma: no cover - Airflow 2.x
    AsyncCallback = DeadlineAlert = DeadlineReference = BaseDeadlineReference = None  # type: ignore[assignment,misc]
    REFERENCE_TYPE_FIELD = "reference_type"

DEADLINE_ALERTS: bool = DeadlineAlert is not None
#: the coroutine the triggerer runs when a deadline passed (provider/notify/deadline.py)
CALLBACK_PATH = "hevo_dagfactory.provider.notify.deadline.deadline_missed"


class DeadlineUnsupported(Exception):
    """This Airflow line has no Deadline Alerts."""


def next_wall_clock(after: datetime, by: str, timezone: str) -> datetime:
    """The first ``by`` (``"HH:MM"``) in ``timezone`` at or after ``after`` (tz-aware), in UTC.

    A day whose ``by`` does not exist (a daylight-saving gap) uses the wall time zoneinfo gives,
    an hour later; a day where it exists twice uses the first.
    """
    tz = ZoneInfo(timezone) if timezone.upper() != "UTC" else ZoneInfo("UTC")
    hour, minute = (int(part) for part in by.split(":"))
    local = after.astimezone(tz)
    for days in range(3):
        day = local.date() + timedelta(days=days)
        candidate = datetime.combine(day, time(hour, minute), tzinfo=tz)
        if candidate >= local:
            return candidate.astimezone(ZoneInfo("UTC"))
    raise AssertionError("unreachable: a wall-clock time occurs within two days")  # pragma: no cover


if BaseDeadlineReference is not None:

    @dataclass(eq=False)  # BaseDeadlineReference compares and hashes by serialize_reference()
    class WallClockDeadline(BaseDeadlineReference):
        """The first ``by`` (``"HH:MM"``) in ``timezone`` at or after the run became due (``run_after``)."""

        by: str = "00:00"
        timezone: str = "UTC"
        required_kwargs = frozenset({"dag_id", "run_id"})

        def _evaluate_with(self, *, session: Any, dag_id: str, run_id: str, **kwargs: Any) -> datetime | None:
            from airflow.models import DagRun  # scheduler side only
            from sqlalchemy import select

            run_after = session.scalar(select(DagRun.run_after).where(DagRun.dag_id == dag_id, DagRun.run_id == run_id))
            return None if run_after is None else next_wall_clock(run_after, self.by, self.timezone)

        def serialize_reference(self) -> dict[str, Any]:
            return {REFERENCE_TYPE_FIELD: self.reference_name, "by": self.by, "timezone": self.timezone}

        @classmethod
        def deserialize_reference(cls, reference_data: dict[str, Any]) -> WallClockDeadline:
            return cls(by=reference_data["by"], timezone=reference_data["timezone"])

    REFERENCE_CLASSES: tuple[type, ...] = (WallClockDeadline,)
else:  # pragma: no cover - Airflow 2.x
    REFERENCE_CLASSES = ()


def deadline_alert(*, by: str | None, after: timedelta | None, timezone: str, kwargs: dict[str, Any]) -> Any:
    """The DAG's ``deadline`` argument; ``kwargs`` (plain JSON data) go to the callback. Raises on 2.x."""
    if not DEADLINE_ALERTS:
        raise DeadlineUnsupported("Deadline Alerts need Airflow 3.3")
    if by is not None:
        reference, interval = WallClockDeadline(by=by, timezone=timezone), timedelta(0)
    else:
        reference, interval = DeadlineReference.DAGRUN_QUEUED_AT, after
    return DeadlineAlert(reference=reference, interval=interval, callback=AsyncCallback(CALLBACK_PATH, kwargs=kwargs))
