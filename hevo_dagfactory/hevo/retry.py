"""The one retry policy of both Hevo clients (built on tenacity, so sync and async share every rule).

What is retried, and why:
- GETs (and other idempotent calls) on connection errors, timeouts, malformed answers, 429 and 5xx:
  repeating a read is harmless.
- POSTs only on 429 (Hevo refused the request before acting on it). A POST that failed with a 5xx, a
  timeout or a dropped connection may have started a sync, so it is never repeated here; ``start_job``
  looks at the jobs list first (see :mod:`hevo_dagfactory.hevo.start`).
Waits grow exponentially and are jittered (by default each wait is scaled by a random factor in
[0.5, 1], "equal jitter"; ``jitter=1.0`` gives full jitter), and never undercut a ``Retry-After``
Hevo sent (capped at ``max_retry_after``).
"""

from __future__ import annotations

import email.utils
import random
import time
from dataclasses import dataclass
from typing import Any

import tenacity

from .errors import HevoRateLimited, is_transient


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date. None if absent or unreadable."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long a single call is retried.

    ``max_attempts`` counts the first try. Backoff is ``min(max_delay, initial_delay * multiplier**n)``
    scaled by a random factor in ``[1 - jitter, 1]`` (jitter 1.0 = "full jitter"), and at least the
    server's ``Retry-After`` (capped at ``max_retry_after``). Tests pass tiny delays to stay fast.
    """

    max_attempts: int = 6
    initial_delay: float = 1.0
    max_delay: float = 30.0
    multiplier: float = 2.0
    jitter: float = 0.5
    max_retry_after: float = 300.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("RetryPolicy.max_attempts must be at least 1")
        if not 0.0 <= self.jitter <= 1.0:
            raise ValueError("RetryPolicy.jitter must be between 0 and 1")

    # -- the pieces tenacity uses ------------------------------------------------------------------
    def backoff(self, attempt: int) -> float:
        """Delay after failed attempt number ``attempt`` (1-based), before Retry-After is considered."""
        base = min(self.max_delay, self.initial_delay * (self.multiplier ** max(0, attempt - 1)))
        return base * (1.0 - self.jitter * random.random())

    def _wait(self, state: tenacity.RetryCallState) -> float:
        delay = self.backoff(state.attempt_number)
        exc = state.outcome.exception() if state.outcome else None
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            delay = max(delay, min(float(retry_after), self.max_retry_after))
        elif isinstance(exc, HevoRateLimited):
            # 429 without Retry-After: Hevo's window is a minute; do not hammer it.
            delay = max(delay, min(self.max_delay, 5.0))
        return delay

    @staticmethod
    def should_retry(exc: BaseException, idempotent: bool) -> bool:
        """Retry transient faults of idempotent calls; for POSTs only a 429."""
        if isinstance(exc, HevoRateLimited):
            return True
        return idempotent and is_transient(exc)

    def _kwargs(self, idempotent: bool) -> dict[str, Any]:
        return {
            "stop": tenacity.stop_after_attempt(self.max_attempts),
            "wait": self._wait,
            "retry": tenacity.retry_if_exception(lambda e: self.should_retry(e, idempotent)),
            "reraise": True,
        }

    def retrying(self, *, idempotent: bool = True) -> tenacity.Retrying:
        """A tenacity controller for the blocking client (sleeps with ``time.sleep``)."""
        return tenacity.Retrying(**self._kwargs(idempotent))

    def async_retrying(self, *, idempotent: bool = True) -> tenacity.AsyncRetrying:
        """A tenacity controller for the asyncio client (sleeps with ``asyncio.sleep``, never blocking the loop)."""
        return tenacity.AsyncRetrying(**self._kwargs(idempotent))


DEFAULT_RETRY = RetryPolicy()
