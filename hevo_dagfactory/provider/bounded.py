"""Bounded waits for the blocking Hevo client: a call that cannot outlive the caller's deadline.

Why: one call of the sync client can take far longer than a task's deadline allows. The client
retries transient faults (up to 6 attempts with 30 s request timeouts), honours ``Retry-After``
(up to 300 s per 429) and waits for the shared rate budget; none of that knows the task's
deadline, and ``requests`` cannot be interrupted. So the worker-side paths (blocking poll, sensor
pokes, cancels) run each call in a daemon thread and stop WAITING for it when the bound is up.

The abandoned call finishes (or gives up) on its own in the background: it is a read or a cancel,
both harmless to complete late, and a daemon thread never keeps the task process alive. The async
client needs none of this: ``asyncio.wait_for`` cancels a coroutine, sleeps included.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from hevo_dagfactory.hevo.drive import NoAnswer

T = TypeVar("T")


class CallTimedOut(Exception):
    """The call did not return within its bound (it may still complete in the background)."""


def remaining(deadline: float | None) -> float | None:
    """Seconds left until an absolute epoch ``deadline`` (``None``: no deadline)."""
    return None if deadline is None else deadline - time.time()


def call_within(fn: Callable[[], T], seconds: float | None, what: str) -> T:
    """``fn()``, but give up waiting after ``seconds`` (``None``: wait as long as it takes).

    Raises :class:`CallTimedOut` when the bound is up; any exception of ``fn`` is re-raised here.
    Signals (Airflow's ``execution_timeout`` alarm, SIGTERM) still reach the calling thread,
    which only waits on an event.
    """
    if seconds is None:
        return fn()
    if seconds <= 0:
        raise CallTimedOut(f"no time left for {what}")
    done = threading.Event()
    box: dict[str, object] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=run, name=f"hevo: {what}", daemon=True).start()
    if not done.wait(seconds):
        raise CallTimedOut(f"{what} got no answer within {seconds:.3g} s")
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]  # type: ignore[return-value]


def send_within(client: Any, seconds_left: Callable[[], float | None]) -> Callable[[Any], Any]:
    """A ``send`` for :func:`hevo_dagfactory.hevo.drive.drive`: ``client.call`` bounded by ``seconds_left()``.

    When the bound is up the flow gets :class:`~hevo_dagfactory.hevo.drive.NoAnswer` (a transient
    timeout; at a deadline the wait flow reports the timeout instead).
    """

    def send(call: Any) -> Any:
        try:
            return call_within(lambda: client.call(call), seconds_left(), f"{call.method} {call.path}")
        except CallTimedOut as exc:
            raise NoAnswer(str(exc)) from None

    return send
