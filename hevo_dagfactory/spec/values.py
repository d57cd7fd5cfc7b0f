"""Parsing of the scalar value kinds the schema admits as strings: durations and dates.

Why separate: the schema already guarantees the *shape* (``90s``, ``2026-01-01``);
these helpers turn it into Python values and report what a regex cannot see (a 30th
of February). Time zones come from the stdlib ``zoneinfo``; pendulum stays out of
``spec`` so ``validate`` starts fast.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, tzinfo
from functools import lru_cache

_DURATION = re.compile(r"(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?")
#: Longest duration accepted. Why a limit: Python's timedelta ends at 999999999 days and a deadline
#: ``now + timeout`` must stay before the year 10000; no retry delay, poll interval or timeout
#: needs more than a year (``null`` means "no limit" where that makes sense).
MAX_DURATION_DAYS = 365
MAX_DURATION_SECONDS = MAX_DURATION_DAYS * 86400


def parse_duration(value: int | str) -> timedelta:
    """``90`` / ``"90"`` seconds, or ``90s``, ``5m``, ``2h``, ``1h30m``, ``1d`` → ``timedelta``.

    Raises ``ValueError`` for anything else and for more than ``MAX_DURATION_DAYS`` days.
    """
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError(f"not a duration: {value!r}")
    if isinstance(value, int):
        seconds = value
    else:
        text = value.strip()
        match = _DURATION.fullmatch(text)
        if text.isascii() and text.isdigit():
            seconds = int(text)
        elif text and match:
            d, h, m, s = (int(g) if g else 0 for g in match.groups())
            seconds = ((d * 24 + h) * 60 + m) * 60 + s
        else:
            raise ValueError(f"not a duration: {value!r}")
    if seconds < 0:
        raise ValueError("a duration cannot be negative")
    if seconds > MAX_DURATION_SECONDS:
        raise ValueError(f"longer than the {MAX_DURATION_DAYS}-day limit")
    return timedelta(seconds=seconds)


@lru_cache(maxsize=256)
def zone(name: str) -> tzinfo:
    """IANA zone by name; raises ``ValueError`` for unknown names."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if name.upper() == "UTC":
        from datetime import timezone

        return timezone.utc
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError, TypeError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def parse_datetime(text: str, tz: tzinfo) -> datetime:
    """Absolute date or date-time; naive values are read in ``tz``, offsets are kept and converted."""
    raw = text.strip()
    norm = re.sub(r"(?<=\d)[tT ](?=\d)", "T", raw, count=1)
    norm = re.sub(r"\s+(?=[zZ+-]\d*)", "", norm) if "T" in norm else norm
    if norm.endswith(("Z", "z")):
        norm = norm[:-1] + "+00:00"
    if len(norm) == 10:
        d = date.fromisoformat(norm)
        return datetime(d.year, d.month, d.day, tzinfo=tz)
    m = re.match(r"^(.*[T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)([+-])(\d{2}):?(\d{2})?$", norm)
    if m:  # normalise +0100 / +01 to +01:00 for fromisoformat on Python 3.10
        norm = f"{m.group(1)}{m.group(2)}{m.group(3)}:{m.group(4) or '00'}"
    value = datetime.fromisoformat(norm)
    if value.tzinfo is None:
        return value.replace(tzinfo=tz)
    return value.astimezone(tz)


@lru_cache(maxsize=512)
def cron_problem(expression: str) -> str | None:
    """``None`` when croniter accepts the 5-field expression, else its complaint."""
    from croniter import croniter  # lazy: only files with a cron schedule pay for it

    try:
        croniter(expression)
    except Exception as exc:  # noqa: BLE001 - croniter raises several types (CroniterBadCronError, ValueError, ...)
        return str(exc) or "invalid cron expression"
    return None
