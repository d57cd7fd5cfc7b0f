"""Running a flow: the one loop that turns a generator of API calls and sleeps into requests.

The rules that matter (never POST twice, how to wait for a job) are written once, as generators that
yield an :class:`~.endpoints.ApiCall` or a :class:`~.flow.Sleep` and receive the parsed answer, or get
the :class:`~.errors.HevoError` thrown in. Only the transport differs between who runs them: the sync
client, the async client, the trigger (each call cut at its deadline with ``asyncio.wait_for``) and the
worker-side poll (each call abandoned in a thread at its deadline, provider/bounded.py). So the loop is
written once here, for a blocking and an awaitable ``send``; ``send`` decides how a call is bounded.

A driver that stops waiting for an answer throws :class:`NoAnswer` into the flow: the request may
still reach Hevo, so it is a transport fault of kind ``timeout`` (transient, and ambiguous for a POST).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Generator
from typing import Any, TypeVar, cast

from .endpoints import ApiCall
from .errors import HevoError, HevoTransportError
from .flow import Sleep

R = TypeVar("R")
Flow = Generator[Any, Any, R]


class NoAnswer(HevoTransportError):
    """The driver gave up waiting for an answer (its bound ran out); the request may still complete."""

    def __init__(self, message: str) -> None:
        super().__init__(message, kind="timeout")


def _step(flow: Flow[R], value: Any, error: HevoError | None) -> tuple[bool, Any]:
    """Advance the flow once: ``(True, result)`` when it returned, else ``(False, next op)``."""
    try:
        return False, (flow.throw(error) if error is not None else flow.send(value))
    except StopIteration as stop:
        return True, stop.value


def drive(flow: Flow[R], send: Callable[[ApiCall], Any], sleep: Callable[[float], Any] = time.sleep) -> R:
    """Run ``flow`` to its result with a blocking ``send``; a ``HevoError`` it raises is thrown back in."""
    value: Any = None
    error: HevoError | None = None
    while True:
        done, op = _step(flow, value, error)
        if done:
            return cast(R, op)
        value, error = None, None
        if isinstance(op, Sleep):
            sleep(op.seconds)
            continue
        try:
            value = send(op)
        except HevoError as exc:
            error = exc


async def adrive(
    flow: Flow[R],
    send: Callable[[ApiCall], Awaitable[Any]],
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
) -> R:
    """:func:`drive` for an awaitable ``send`` (the async client, the trigger): never blocks the loop."""
    value: Any = None
    error: HevoError | None = None
    while True:
        done, op = _step(flow, value, error)
        if done:
            return cast(R, op)
        value, error = None, None
        if isinstance(op, Sleep):
            await sleep(op.seconds)
            continue
        try:
            value = await send(op)
        except HevoError as exc:
            error = exc
