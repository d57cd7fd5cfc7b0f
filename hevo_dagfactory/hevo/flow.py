"""What a flow is: Hevo logic written once as a generator that both clients drive.

A flow yields what it needs done, an :class:`~.endpoints.ApiCall` to send or a :class:`Sleep`, and
receives the parsed answer, or has the raised :class:`~.errors.HevoError` thrown back in. The sync
client drives it with ``time.sleep``, the async one with ``asyncio.sleep`` (``run_flow`` on each
client), so a rule such as "never POST twice" exists once. Sub-steps are flows too, joined with
``yield from``.
"""

from __future__ import annotations

import time
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Sleep:
    """Yielded by a flow: wait this long (the client picks the kind of sleep)."""

    seconds: float


Op = Any  # ApiCall | Sleep
Flow = Generator[Op, Any, Any]


def now_ms() -> int:
    """Our wall clock in epoch milliseconds (Hevo's timestamps are epoch milliseconds too)."""
    return int(time.time() * 1000)
