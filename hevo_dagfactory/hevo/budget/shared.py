"""A rate budget shared by every process that uses one Hevo user, through a store (Redis), degrading safely.

Shared (the store answers). The process's own :class:`~.local.RateBudget` keeps the line (first come,
first served) and the first waiter asks the store, whose sliding-window log of every process's
requests admits it or says how long to wait. One ask at a time per process, so a busy process does
not hammer the store. The token is counted from the ask until one span after the answer, as locally;
the answer's release also carries a rate-limit pause to every process.

When the store is slow or gone, :mod:`.fallback` decides what the process may still send. What this
guarantees is written in docs/hevo-client.md ("Across processes").
"""

from __future__ import annotations

import asyncio
import itertools
import os
import time
import uuid
from collections.abc import Callable, Generator
from typing import Any

from .fallback import Fallback
from .local import ASK, RateBudget, Slot
from .store import RedisStore, StoreReply, StoreUnavailable

_Op = tuple[str, Any]
_Answer = StoreReply | StoreUnavailable


class SharedBudget:
    """The budget of one Hevo user (or host, or key) across processes; same interface as RateBudget."""

    def __init__(
        self,
        prefix: str,
        store: RedisStore,
        limit: int,
        window_s: float,
        *,
        lease_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.lease_s = float(lease_s)
        self._keys = store.keys(prefix)
        self._clock = clock
        self.local = RateBudget(limit, window_s, clock=clock)
        self._new_participant()

    def _new_participant(self) -> None:
        """A fresh participant: new id, no share, shared mode (also what a forked child starts from)."""
        self._pid = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        self._tokens = itertools.count(1)
        self.fallback = Fallback(self.local, self.local.limit, self.store.where, clock=self._clock)
        self.store_admitted = 0  # requests the store let go (the others went on our share)
        self.store_calls = 0

    def after_fork(self) -> None:
        """In a forked child: another participant, with an empty local budget and fresh locks."""
        self.local.after_fork()
        self._new_participant()

    # -- the RateBudget interface the clients and the registry use ------------------------------------
    @property
    def limit(self) -> int:
        return self.fallback.limit

    @property
    def window_s(self) -> float:
        return self.local.window_s

    @property
    def in_flight(self) -> int:
        return self.local.in_flight

    @property
    def granted(self) -> int:
        return self.local.granted

    @property
    def pauses(self) -> int:
        return self.local.pauses

    @property
    def degraded(self) -> bool:
        """True while the store is away and the process keeps to its share."""
        return self.fallback.degraded

    @property
    def share(self) -> int:
        """This process's share of the limit for when the store is away (0: none)."""
        return self.fallback.share

    @property
    def participants(self) -> int:
        """How many processes the store saw using this budget lately (as of its last answer)."""
        return self.fallback.participants

    @property
    def store_errors(self) -> int:
        return self.fallback.store_errors

    @property
    def participant(self) -> str:
        """This process's name in the store (process id and a random part)."""
        return self._pid

    def paused_for(self) -> float:
        return self.local.paused_for()

    def pause(self, seconds: float) -> None:
        """Pause this process now; the others learn of it with the next release (see :meth:`release`)."""
        self.local.pause(seconds)

    def set_limit(self, limit: int) -> None:
        self.fallback.set_limit(limit)

    def set_window(self, window_s: float) -> None:
        self.local.set_window(window_s)

    def _args(self, op: str, token: str = "", pause_s: float = 0.0) -> list[Any]:
        span = self.local.span
        return [
            op,
            self._pid,
            self.fallback.limit,
            int(span * 1000),
            int(self.lease_s * 1000),
            token,
            self.fallback.belief,
            int(self.fallback.ttl_s() * 1000),
            uuid.uuid4().hex,  # names the store's memory if it has none (never reused: a flush must show)
            int(max(0.0, pause_s) * 1000),
            self.fallback.epoch or "",
        ]

    # -- acquiring: one flow, driven by a blocking and by an asyncio driver ----------------------------
    def _flow(self) -> Generator[_Op, Any, Slot]:
        """Yields ("sleep", s), ("ask", token) and ("probe", ""); returns the admitted slot."""
        local, fallback = self.local, self.fallback
        slot = local.reserve()
        wait = slot.wait
        try:
            while True:
                if wait > 0:
                    yield ("sleep", fallback.cap(wait))
                fallback.tick()
                if fallback.take_probe():
                    fallback.probed((yield ("probe", "")))
                wait = local.ready(slot)
                if wait == ASK:
                    token = f"{self._pid}:{next(self._tokens)}"
                    wait = self._after_ask(slot, token, (yield ("ask", token)))
                    if slot.token is not None:
                        return slot
                    continue
                if wait <= 0:
                    return slot
        except BaseException:
            local.done(slot)
            raise

    def acquire(self) -> Slot:
        """Blocking wait until admitted (sync client); call :meth:`release` with the slot afterwards."""
        flow = self._flow()
        value: Any = None
        try:
            while True:
                kind, arg = flow.send(value)
                value = None
                if kind == "sleep":
                    time.sleep(arg)
                else:
                    value = self._call(kind, arg)
        except StopIteration as stop:
            return stop.value
        finally:
            flow.close()

    async def acquire_async(self) -> Slot:
        """Non-blocking wait until admitted (async client); cancelling it gives the booking up."""
        flow = self._flow()
        value: Any = None
        try:
            while True:
                kind, arg = flow.send(value)
                value = None
                if kind == "sleep":
                    await asyncio.sleep(arg)
                else:
                    value = await self._acall(kind, arg)
        except StopIteration as stop:
            return stop.value
        finally:
            flow.close()

    def _after_ask(self, slot: Slot, token: str, reply: _Answer) -> float:
        """Grant or deny the asking slot; returns the wait (0.0: look again at once)."""
        if isinstance(reply, StoreUnavailable):
            self.fallback.failed(reply)
            self.local.deny(slot, 0.0)
            return 0.0
        self.fallback.heard(reply)
        if reply.admitted:
            slot.token = token
            self.local.grant(slot)
            self.store_admitted += 1
            return 0.0
        self.local.deny(slot, reply.wait_s)
        return reply.wait_s

    # -- store calls (never raise: a failure is an answer the fallback understands) ------------------------
    def _call(self, op: str, token: str, pause_s: float = 0.0) -> _Answer:
        self.store_calls += 1
        try:
            return self.store.call(self._keys, self._args(op, token, pause_s))
        except StoreUnavailable as exc:
            return exc

    async def _acall(self, op: str, token: str, pause_s: float = 0.0) -> _Answer:
        self.store_calls += 1
        try:
            return await self.store.acall(self._keys, self._args(op, token, pause_s))
        except StoreUnavailable as exc:
            return exc

    # -- releasing -----------------------------------------------------------------------------------
    def release(self, slot: Slot, pause_s: float | None = None) -> None:
        """The answer is in: the token frees one span from now, for every process; a pause reaches them all."""
        if self._settle(slot, pause_s):
            self._after_release(self._call("release", slot.token or "", pause_s or 0.0))

    async def release_async(self, slot: Slot, pause_s: float | None = None) -> None:
        if self._settle(slot, pause_s):
            self._after_release(await self._acall("release", slot.token or "", pause_s or 0.0))

    def _settle(self, slot: Slot, pause_s: float | None) -> bool:
        """Local part of a release; True when the store must hear of it (a store token, or a pause to share)."""
        self.local.release(slot, pause_s)
        return (slot.token is not None or pause_s is not None) and not self.fallback.degraded

    def _after_release(self, reply: _Answer) -> None:
        # A failed release leaves the token to run out its lease in the store: too polite, never too eager.
        if isinstance(reply, StoreUnavailable):
            self.fallback.failed(reply)
