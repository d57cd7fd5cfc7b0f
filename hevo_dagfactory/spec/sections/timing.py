"""When the workflow runs: ``timezone``, ``schedule``, ``start_date`` and ``end_date``.

Why together: the dates are read in the workflow's time zone (a date means midnight there), so an
unknown zone leaves them unread rather than guessed.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime, tzinfo
from typing import Any

from hevo_dagfactory.spec.model import AssetSchedule
from hevo_dagfactory.spec.schema_errors import did_you_mean
from hevo_dagfactory.spec.sections.state import BuildState
from hevo_dagfactory.spec.values import cron_problem, parse_datetime, zone

DATE_KEYS = ("start_date", "end_date")


def timing(state: BuildState) -> dict[str, Any]:
    tz_name, tz = _time_zone(state)
    return {"timezone": tz_name, "schedule": _schedule(state), **_dates(state, tz)}


def _time_zone(state: BuildState) -> tuple[str, tzinfo | None]:
    """(the zone's name, UTC spelled ``UTC``; the zone, or None if it does not exist)."""
    tz_name = "UTC" if state.top["timezone"].upper() == "UTC" else state.top["timezone"]
    return tz_name, zone_at(state, "/timezone", tz_name)


def zone_at(state: BuildState, ptr: str, tz_name: str) -> tzinfo | None:
    """The IANA zone ``tz_name`` written at ``ptr``, or None after reporting it unknown (with a did-you-mean)."""
    try:
        return zone(tz_name)
    except ValueError:
        written = state.pos.written(ptr)
        close = did_you_mean(tz_name, zoneinfo.available_timezones()) if written is None else None
        hint = close or "use an IANA name such as Europe/Berlin or UTC"
        state.error(ptr, f"unknown time zone {state.q(ptr, tz_name)}", hint, "timezone")
        return None


def _schedule(state: BuildState) -> Any:
    """A cron or preset string (cron checked), None, or an :class:`AssetSchedule`."""
    schedule: Any = state.top["schedule"]
    if isinstance(schedule, str) and not schedule.startswith("@"):
        problem = cron_problem(schedule)
        if problem:
            # croniter's complaint quotes the expression, which must not show a variable's value
            detail = f": {problem}" if state.pos.written("/schedule") is None else ""
            state.error(
                "/schedule",
                f"invalid cron expression {state.q('/schedule', schedule)}{detail}",
                "use 5 fields: minute hour day-of-month month day-of-week, e.g. '0 6 * * *'",
                "cron",
            )
    elif isinstance(schedule, dict):
        schedule = AssetSchedule(tuple(schedule["assets"]), bool(schedule.get("any", False)))
    return schedule


def _dates(state: BuildState, tz: tzinfo | None) -> dict[str, datetime | None]:
    """``start_date`` and ``end_date``, tz-aware in the workflow's zone, the end after the start."""
    top, pos = state.top, state.pos
    dates: dict[str, datetime | None] = dict.fromkeys(DATE_KEYS)
    for key in DATE_KEYS:
        if top.get(key) is not None and tz is not None:
            try:
                dates[key] = parse_datetime(str(top[key]), tz)
            except (ValueError, OverflowError) as exc:
                detail = f": {exc}" if pos.written(f"/{key}") is None else ""
                state.error(
                    f"/{key}",
                    f"{key} {state.q(f'/{key}', top[key])} is not a valid date{detail}",
                    "write an existing date such as 2026-01-31",
                    "date",
                )
    if dates["start_date"] and dates["end_date"] and dates["start_date"] >= dates["end_date"]:
        shown = {k: pos.written(f"/{k}") or top[k] for k in DATE_KEYS}
        state.error(
            "/end_date",
            f"end_date {shown['end_date']} is not after start_date {shown['start_date']}",
            "move end_date later or remove it",
            "date_range",
        )
    return dates
