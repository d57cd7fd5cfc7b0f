"""Hevo's rate limit as the simulator enforces it: per **user**, shared by every API key of that user.

Hevo documents 100 requests per minute per user (any 60 s window), raisable by Support, and the text
"Request rate limit exceeded"; it documents neither the status nor a ``Retry-After`` header. So the
answer is configurable: the status (429 unless told otherwise) and whether ``Retry-After`` is sent.
"""

from __future__ import annotations

import collections
import math

DEFAULT_USER = "default"
RATE_LIMIT_MESSAGE = "Request rate limit exceeded"


class RateWindow:
    """At most ``limit`` accepted requests per rolling ``window_s`` per user; per-user limits may differ."""

    def __init__(self, limit: int, window_s: float, *, status: int = 429, retry_after: bool = True) -> None:
        if int(limit) < 1 or float(window_s) <= 0:
            raise ValueError(f"the rate limit needs limit >= 1 and window > 0, got {limit} per {window_s} s")
        if not 400 <= int(status) <= 599:
            raise ValueError(f"the rate-limit status must be an HTTP error status (400-599), got {status}")
        self.limit = int(limit)
        self.window_s = float(window_s)
        self.status = int(status)
        self.retry_after = bool(retry_after)
        self.limits: dict[str, int] = {}  # a user whose limit Support raised (or lowered)
        self._hits: dict[str, collections.deque[float]] = {}
        self.max_by_user: dict[str, int] = {}
        self.accepted: collections.Counter[str] = collections.Counter()
        self.refused: collections.Counter[str] = collections.Counter()

    def fresh(self) -> RateWindow:
        """The same rules with nothing counted yet (the simulator's reset)."""
        window = RateWindow(self.limit, self.window_s, status=self.status, retry_after=self.retry_after)
        window.limits = dict(self.limits)
        return window

    def limit_of(self, user: str) -> int:
        return self.limits.get(user, self.limit)

    @property
    def max_in_window(self) -> int:
        """The most requests any one user had accepted in a rolling window so far."""
        return max(self.max_by_user.values(), default=0)

    def admit(self, user: str, now: float) -> float | None:
        """None if admitted (and counted), else the seconds until a slot of the user's window frees up."""
        hits = self._hits.setdefault(user, collections.deque())
        while hits and hits[0] <= now - self.window_s:
            hits.popleft()
        if len(hits) >= self.limit_of(user):
            self.refused[user] += 1
            return max(0.0, hits[0] + self.window_s - now)
        hits.append(now)
        self.accepted[user] += 1
        self.max_by_user[user] = max(self.max_by_user.get(user, 0), len(hits))
        return None

    def answer(self, wait: float | None) -> tuple[int, dict[str, str]]:
        """Status and headers of a refusal: ``Retry-After`` (whole seconds) only when configured and known."""
        headers = {"Retry-After": str(max(1, math.ceil(wait)))} if self.retry_after and wait is not None else {}
        return self.status, headers

    def users(self) -> dict[str, dict[str, int]]:
        names = set(self.accepted) | set(self.refused) | set(self.limits)
        return {
            user: {
                "limit": self.limit_of(user),
                "accepted": self.accepted[user],
                "rate_limited": self.refused[user],
                "max_in_window": self.max_by_user.get(user, 0),
            }
            for user in sorted(names)
        }
