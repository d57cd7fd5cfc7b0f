"""A task's wait limit, its absolute deadline and the framework backstop behind it, computed once.

Why one module: the operator (every wait mode) and the sensor must mean the same by "the task's
timeout". The limit is ``min(timeout, execution_timeout)``, ``timeout`` defaulting to 7 days so that
nothing waits forever (unknown Hevo statuses count as running). The deadline is an absolute wall-clock
epoch counted from the task's start, because monotonic clocks do not survive a trigger's
serialization. ``defer(timeout=...)`` gets the time left plus :data:`DEFER_BACKSTOP_S`: only a backstop,
since a framework deferral timeout fails the task without ``execute_complete``, i.e. without our cancel.
"""

from __future__ import annotations

import math
import time
from datetime import timedelta
from typing import Any

from hevo_dagfactory.provider.compat import timezone
from hevo_dagfactory.provider.params import DEFAULT_TIMEOUT_S

#: The framework's defer timeout trails our own deadline by this much (seconds).
DEFER_BACKSTOP_S = 120.0


def limit_s(timeout: float | timedelta | None, execution_timeout: timedelta | None) -> float:
    """``min(timeout, execution_timeout)`` in seconds; a missing, negative or infinite ``timeout`` means 7 days."""
    if isinstance(timeout, timedelta):
        timeout = timeout.total_seconds()
    seconds = float(timeout) if timeout is not None else math.nan
    limits = [seconds if math.isfinite(seconds) and seconds >= 0 else DEFAULT_TIMEOUT_S]
    if execution_timeout:
        limits.append(execution_timeout.total_seconds())
    return min(limits)


def deadline_from_start(ti: Any, limit: float) -> float:
    """Absolute epoch seconds: the task instance's start (now, if it has none) + ``limit``."""
    start = getattr(ti, "start_date", None) or timezone.utcnow()
    return start.timestamp() + limit


def defer_timeout(deadline: float) -> timedelta:
    """The ``timeout`` to pass to ``defer()``: the time left until ``deadline`` plus the backstop."""
    return timedelta(seconds=max(deadline - time.time(), 0.0) + DEFER_BACKSTOP_S)
