"""Parameter parsing shared by the operator and the sensor: durations and choices, with clear errors.

Why here: the factory passes timedeltas, the seed guide ints; both must mean the same, and every
wrong value must say what is allowed. Also the one way durations are written in messages.
"""

from __future__ import annotations

from datetime import timedelta

#: The overall bound of a wait when the user sets none (the dbt Cloud provider's default too): a job
#: stuck in an unknown or never-ending status must not hold a task (or a trigger) forever.
DEFAULT_TIMEOUT_S = 7 * 24 * 3600.0


def to_seconds(value: int | float | timedelta | None, name: str, *, allow_none: bool = True) -> float | None:
    """Accept seconds or a timedelta (the factory passes timedeltas, the seed guide ints)."""
    if value is None:
        if allow_none:
            return None
        raise ValueError(f"{name} is required")
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    else:
        raise ValueError(f"{name} must be a number of seconds or a timedelta; got {value!r}")
    if seconds <= 0:
        raise ValueError(f"{name} must be positive; got {value!r}")
    return seconds


def choice(value: str, allowed: tuple[str, ...], name: str, *, upper: bool) -> str:
    """Normalise a choice (any case, ``-`` or ``_``) or say which values are allowed."""
    text = str(value).strip().replace("-", "_")
    text = text.upper() if upper else text.lower()
    if text not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)} (any case); got {value!r}")
    return text


def human(seconds: float) -> str:
    """``45 s``, ``90 min``, ``6 h``, ``7 days``: how long a limit was, for messages."""
    if seconds < 120:
        return f"{seconds:g} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.3g} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.3g} h"
    return f"{seconds / 86400:.3g} days"
