"""One request budget per (host, API key), shared by every sync and async client in the process.

Hevo allows 100 requests per rolling minute per API key. Tasks, triggers and sensors of one Airflow
process share a key, so the budget lives in a process-wide registry, not in a client.

The budget is a token bucket whose tokens come back exactly one window after they were spent (a
sliding-window log). A classic bucket that refills continuously at 100/min with room for a burst can
let burst + 100 requests into one rolling minute and earn 429s; this one cannot. A small safety margin
on the window absorbs network jitter between our clock and Hevo's.

``reserve()`` never blocks: it books the next free slot under a ``threading.Lock`` (held for
microseconds) and returns how long to wait, so the sync client sleeps with ``time.sleep`` and the async
client with ``asyncio.sleep`` on the same bucket. Slots are handed out in order (first come, first
served), so 500 waiters take turns fairly. A 429 pauses the bucket for everyone (:meth:`pause`).
"""

from __future__ import annotations

import asyncio
import collections
import threading
import time

DEFAULT_RATE_PER_MINUTE = 100
DEFAULT_WINDOW_S = 60.0
#: Added to the window so requests that left here 60.0 s apart do not arrive 59.9 s apart at Hevo
#: (thread scheduling and connection set-up delay some requests more than others): 2 % of the
#: window, but at least MIN_MARGIN_S.
SAFETY_MARGIN = 0.02
MIN_MARGIN_S = 0.25


class RateBudget:
    """At most ``limit`` request starts in any rolling ``window_s`` (plus the safety margin)."""

    def __init__(self, limit: int = DEFAULT_RATE_PER_MINUTE, window_s: float = DEFAULT_WINDOW_S,
                 *, margin: float = SAFETY_MARGIN, clock=time.monotonic) -> None:
        if limit < 1:
            raise ValueError(f"rate_per_minute must be at least 1, got {limit}")
        if window_s <= 0:
            raise ValueError(f"rate window must be positive, got {window_s}")
        self.limit = int(limit)
        self.window_s = float(window_s)
        self._span = self.window_s + max(self.window_s * margin, MIN_MARGIN_S if margin else 0.0)
        self._clock = clock
        self._lock = threading.Lock()
        self._starts: collections.deque[float] = collections.deque(maxlen=self.limit)
        self._paused_until = 0.0
        self.pauses = 0
        self.granted = 0

    def reserve(self) -> float:
        """Book the next free slot; return the seconds to wait before sending (0.0 = go now)."""
        with self._lock:
            now = self._clock()
            at = max(now, self._paused_until)
            if self._starts:
                at = max(at, self._starts[-1])  # keep slots in booking order (FIFO fairness)
            if len(self._starts) >= self.limit:
                at = max(at, self._starts[-self.limit] + self._span)
            self._starts.append(at)  # a deque bounded to `limit`: only the last `limit` starts matter
            self.granted += 1
            return max(0.0, at - now)

    def set_limit(self, limit: int) -> None:
        """Change the limit in place (the lowest rate asked for a key wins)."""
        with self._lock:
            self.limit = int(limit)
            self._starts = collections.deque(self._starts, maxlen=self.limit)

    def pause(self, seconds: float) -> None:
        """Stop handing out slots for ``seconds`` (after a 429); already booked later slots keep their time."""
        with self._lock:
            until = self._clock() + max(0.0, float(seconds))
            if until > self._paused_until:
                self._paused_until = until
                self.pauses += 1

    def paused_for(self) -> float:
        with self._lock:
            return max(0.0, self._paused_until - self._clock())

    def acquire(self) -> float:
        """Blocking wait for a slot (sync client). Returns the seconds waited."""
        delay = self.reserve()
        if delay > 0:
            time.sleep(delay)
        return delay

    async def acquire_async(self) -> float:
        """Non-blocking wait for a slot (async client). Returns the seconds waited."""
        delay = self.reserve()
        if delay > 0:
            await asyncio.sleep(delay)
        return delay


_registry: dict[tuple[str, str], RateBudget] = {}
_registry_lock = threading.Lock()


def budget_for(host: str, api_key: str, rate_per_minute: int = DEFAULT_RATE_PER_MINUTE,
               window_s: float = DEFAULT_WINDOW_S) -> RateBudget:
    """The process-wide budget of ``(host, api_key)``; created on first use.

    If clients of one key ask for different rates, the lowest wins (the budget is the key's, and being
    too polite is harmless while being too eager earns 429s for everyone).
    """
    key = (host.lower(), api_key)
    with _registry_lock:
        budget = _registry.get(key)
        if budget is None or budget.window_s != float(window_s):
            budget = _registry[key] = RateBudget(rate_per_minute, window_s)
        elif rate_per_minute < budget.limit:
            budget.set_limit(rate_per_minute)
        return budget


def reset_budgets() -> None:
    """Forget every budget (tests that start many simulators on fresh ports use distinct hosts anyway)."""
    with _registry_lock:
        _registry.clear()
