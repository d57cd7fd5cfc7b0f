"""The budget of one process: a sliding-window log of its requests and the first-come-first-served line.

Hevo allows 100 requests per rolling minute per **user** (:mod:`.registry` decides which clients share a
budget). Without a shared store this is the whole budget; with one (:mod:`.shared`) it is the process's
line in front of the store and its fallback share when the store is gone.

How it counts. A request holds one of ``limit`` tokens from the moment it really leaves (the waiter
woke and was admitted) until one window after its answer came back (or it failed). A request is
admitted only while fewer than ``limit`` requests are in flight or answered within the last window.
Counting from the answer, not from when the slot was booked or the request left, is what makes the
limit hold at Hevo whatever the delays on our side: every request Hevo counted in a window ending at
our send was either still in flight or answered inside that window, so it is in our count. A busy
event loop that wakes waiters late can therefore not bunch requests into one of Hevo's windows. A
small safety margin on the window covers clock-rate differences and a request we gave up on (timeout)
that still reaches Hevo later.

How it queues. :meth:`reserve` never blocks: it books the next estimated free slot (first come, first
served, after every earlier booking) under a ``threading.Lock`` held for microseconds and returns a
:class:`Slot` whose ``wait`` the caller sleeps (``time.sleep`` in the sync client, ``asyncio.sleep``
in the async one). After the sleep :meth:`ready` checks the real state: a 429 pause that began since
the booking, or answers that came back later than estimated, give a further wait (the slot keeps its
place in the booking chain); otherwise the request is admitted and leaves. :meth:`done` returns the
token's clock when the answer is in. :meth:`acquire` / :meth:`acquire_async` do reserve + sleep +
ready; the caller calls :meth:`release` in a ``finally``. A 429 pauses the bucket for everyone
(:meth:`pause`): no request leaves during a pause, including ones booked before it.

Gated (a shared store decides). With ``gated`` set, the first waiter whose local token is free is not
admitted but told :data:`ASK`: it keeps its place at the head of the line while it asks the store, then
:meth:`grant` admits it or :meth:`deny` books it again for when the store says; the waiters behind it
wait for that time. :meth:`hold_until` keeps everyone back like a pause (the shared budget's quiet
period after losing its store) but can be lifted again (:meth:`clear_hold`).
"""

from __future__ import annotations

import asyncio
import collections
import math
import threading
import time
from collections.abc import Callable

DEFAULT_RATE_PER_MINUTE = 100
DEFAULT_WINDOW_S = 60.0
#: Added to the window: 2 % of it, but at least MIN_MARGIN_S (clock-rate differences between us and
#: Hevo, and a timed-out request that still reaches Hevo after we counted it as answered).
SAFETY_MARGIN = 0.02
MIN_MARGIN_S = 0.25
#: Weight of a new sample in the moving average of request latency (used only for estimates).
_LATENCY_WEIGHT = 0.2

_BOOKED, _ASKING, _SENT, _DONE = "booked", "asking", "sent", "done"

#: What :meth:`RateBudget.ready` returns to the head of a gated line: ask the shared store now.
ASK = -1.0


#: When tokens are free but an earlier booking has not gone yet, look again in this long (at least;
#: the wait grows with how late that earlier waiter is)...
_YIELD_S = 0.001
#: ...and a first-in-line waiter this late (a descheduled thread, a stalled loop) loses its turn, so
#: the others do not wait on it; when it comes back it is first again.
_LATE_S = 0.1
#: Waits of consecutive bookings differ by at least this much, so timers fire in booking order.
_STAGGER_S = 1e-6
#: While the head of a gated line asks the store, the waiter n places behind it looks again after n times
#: this, or a tenth of how long the head has been asking if more (a slow store), at most _ASK_POLL_MAX_S: the
#: next one asks as soon as the head is through, the rest do not crowd, and a stalled store is not polled
#: every millisecond.
_ASK_POLL_S = 0.001
_ASK_POLL_MAX_S = 0.05


class Slot:
    """One booked request. ``wait``: seconds to sleep before asking :meth:`RateBudget.ready`."""

    __slots__ = ("sent_at", "seq", "state", "t", "token", "wait")

    def __init__(self, seq: int, t: float, wait: float) -> None:
        self.seq = seq
        self.t = t  # booked: estimated send time; sent: send time; done: answer time
        self.state = _BOOKED
        self.sent_at = 0.0
        self.wait = wait
        self.token: str | None = None  # the shared store's name for this request, when the store admitted it

    def __repr__(self) -> str:
        return f"Slot({self.state}, t={self.t:.3f})"


class RateBudget:
    """At most ``limit`` requests per rolling ``window_s`` (plus the safety margin), counted as they really go."""

    def __init__(
        self,
        limit: int = DEFAULT_RATE_PER_MINUTE,
        window_s: float = DEFAULT_WINDOW_S,
        *,
        margin: float = SAFETY_MARGIN,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit < 1:
            raise ValueError(f"rate_per_minute must be at least 1, got {limit}")
        if window_s <= 0:
            raise ValueError(f"rate window must be positive, got {window_s}")
        self.limit = int(limit)
        self._margin = margin
        self._set_window(float(window_s))
        self._clock = clock
        self.gated = False  # True: a shared store admits the head of the line (see the module docstring)
        self._start_empty()

    def _start_empty(self) -> None:
        self._lock = threading.Lock()
        self._bookings: collections.deque[Slot] = collections.deque(maxlen=self.limit)  # the last `limit` bookings
        self._line: collections.deque[Slot] = collections.deque()  # bookings not yet gone, in booking order
        self._seq = 0
        self._last: Slot | None = None
        self._in_flight = 0
        self._answered: collections.deque[float] = collections.deque()  # answer times within the last span
        self._latency = 0.0
        self._paused_until = 0.0
        self._held_until = 0.0
        self._blocked_until = 0.0  # the later of the two: what the hot paths read
        self.pauses = 0
        self.granted = 0  # requests admitted (that really left)

    def after_fork(self) -> None:
        """In a forked child: start empty under a fresh lock (the parent's requests are the parent's)."""
        self._start_empty()

    def _set_window(self, window_s: float) -> None:
        self.window_s = window_s
        self._span = window_s + max(window_s * self._margin, MIN_MARGIN_S if self._margin else 0.0)

    # -- booking (never blocks) ------------------------------------------------------------------
    def reserve(self) -> Slot:
        """Book the next free slot after every earlier booking; ``slot.wait`` is the estimated wait."""
        with self._lock:
            now = self._clock()
            at = max(now, self._blocked_until)
            if self._last is not None and self._last.t > now:
                at = max(at, self._last.t + _STAGGER_S)  # FIFO: never ahead of an earlier booking
            if len(self._bookings) >= self.limit:
                at = max(at, self._free_at(self._bookings[0]))  # the token `limit` bookings back
            self._seq += 1
            slot = Slot(self._seq, at, max(0.0, at - now))
            self._bookings.append(slot)
            self._line.append(slot)
            self._last = slot
            return slot

    def _free_at(self, slot: Slot) -> float:
        """When the token of ``slot`` comes back, as far as we know now (an estimate until it is done)."""
        if slot.state == _DONE:
            return slot.t + self._span
        return slot.t + self._latency + self._span

    # -- the real check after the sleep ------------------------------------------------------------
    def ready(self, slot: Slot) -> float:
        """0.0: admitted, send now (counted as in flight). Otherwise the seconds to sleep before asking again.

        Only the first booking still waiting may go (strict FIFO); a later one is told to wait until
        the token its place in the line needs comes back, so waiters wake one after another. In a
        gated budget the first one gets :data:`ASK` instead of 0.0 (it then asks the shared store).
        """
        with self._lock:
            if slot.state != _BOOKED:
                return 0.0
            now = self._clock()
            answered = self._answered
            cutoff = now - self._span
            while answered and answered[0] <= cutoff:
                answered.popleft()
            line = self._line
            # drop given-up bookings, and a first one whose waiter is late (also a bare reserve() never
            # followed up: it must not hold the line for ever)
            late = now - _LATE_S
            while line and line[0] is not slot and _gone_or_late(line[0], late):
                line.popleft()
            first = line[0] if line else None
            ahead = slot.seq - first.seq if first is not None and slot.seq > first.seq else 0
            held = self._in_flight + len(answered)
            behind = held + ahead - self.limit  # answers that must leave the window before our token is free
            need = self._blocked_until + ahead * _STAGGER_S
            if behind >= 0:
                if behind < len(answered):
                    need = max(need, answered[behind] + self._span)
                else:  # the token we need is held by a request still in flight or not sent yet
                    need = max(need, now + self._span, slot.t)
            if need <= now:
                if ahead == 0:
                    if self.gated:  # the shared store decides; this slot asks it, holding the head of the line
                        slot.state, slot.t = _ASKING, now
                        return ASK
                    if first is slot:
                        line.popleft()
                    slot.state, slot.t, slot.sent_at = _SENT, now, now
                    self._in_flight += 1
                    self.granted += 1
                    return 0.0
                # our token is free, but an earlier booking goes first: its waiter is due and about to run
                assert first is not None  # ahead > 0 counts from it
                if first.state == _ASKING:
                    need = now + min(_ASK_POLL_MAX_S, max(ahead * _ASK_POLL_S, (now - first.t) / 10))
                elif self.gated and first.t > now:  # the store told the first one to wait: so do we
                    need = first.t + ahead * _STAGGER_S
                else:
                    need = now + max(_YIELD_S, now - first.t)
            slot.t = max(slot.t, need)  # later bookings estimate from the new time
            return need - now

    def grant(self, slot: Slot) -> None:
        """The shared store admitted the slot that asked it: it leaves now (counted as in flight)."""
        with self._lock:
            if slot.state == _ASKING:
                if self._line and self._line[0] is slot:
                    self._line.popleft()
                now = self._clock()
                slot.state, slot.t, slot.sent_at = _SENT, now, now
                self._in_flight += 1
                self.granted += 1

    def deny(self, slot: Slot, wait: float) -> None:
        """The shared store said wait ``wait`` s: the slot keeps the head of the line, booked for then."""
        with self._lock:
            if slot.state == _ASKING:
                slot.state, slot.t = _BOOKED, self._clock() + max(0.0, wait)

    def done(self, slot: Slot) -> None:
        """The answer of an admitted request is in (or it failed); a never-sent booking is given up."""
        self.release(slot)

    def release(self, slot: Slot, pause_s: float | None = None) -> None:
        """:meth:`done`, and ``pause_s``: the answer was a rate-limit refusal, pause everyone that long."""
        if pause_s is not None:
            self.pause(pause_s)
        with self._lock:
            if slot.state == _SENT:
                now = self._clock()
                self._in_flight -= 1
                self._answered.append(now)
                self._latency += _LATENCY_WEIGHT * ((now - slot.sent_at) - self._latency)
                slot.state, slot.t = _DONE, now
            elif slot.state in (_BOOKED, _ASKING):
                slot.state, slot.t = _DONE, -math.inf  # frees nothing it never held

    # -- configuration and pauses ------------------------------------------------------------------
    def set_limit(self, limit: int) -> None:
        """Change the limit in place (the lowest rate asked for a key wins)."""
        with self._lock:
            self.limit = int(limit)
            self._bookings = collections.deque(self._bookings, maxlen=self.limit)

    def set_window(self, window_s: float) -> None:
        """Change the window in place (the longest window asked for a key wins)."""
        with self._lock:
            self._set_window(float(window_s))

    def pause(self, seconds: float) -> None:
        """Admit nothing for ``seconds`` (after a 429), not even requests booked earlier."""
        with self._lock:
            until = self._clock() + max(0.0, float(seconds))
            if until > self._paused_until:
                self._paused_until = until
                self._blocked_until = max(self._blocked_until, until)
                self.pauses += 1

    def paused_for(self) -> float:
        with self._lock:
            return max(0.0, self._paused_until - self._clock())

    def hold_until(self, until: float) -> None:
        """Admit nothing before ``until`` (this budget's clock); only ever extends an existing hold."""
        with self._lock:
            self._held_until = max(self._held_until, until)
            self._blocked_until = max(self._blocked_until, until)

    def clear_hold(self) -> None:
        """Lift :meth:`hold_until` (429 pauses stay)."""
        with self._lock:
            self._held_until = 0.0
            self._blocked_until = self._paused_until

    @property
    def latency(self) -> float:
        """Moving average of the time from send to answer (seconds)."""
        return self._latency

    @property
    def span(self) -> float:
        """How long an answered request keeps its token: the window plus the safety margin."""
        return self._span

    @property
    def in_flight(self) -> int:
        return self._in_flight

    # -- the clients' interface (shared with :class:`~.shared.SharedBudget`) ----------------------------
    async def release_async(self, slot: Slot, pause_s: float | None = None) -> None:
        self.release(slot, pause_s)

    def acquire(self) -> Slot:
        """Blocking wait until admitted (sync client). Call :meth:`release` with the slot when the answer is in."""
        slot = self.reserve()
        wait = slot.wait
        try:
            while True:
                if wait > 0:
                    time.sleep(wait)
                wait = self.ready(slot)
                if wait <= 0:
                    return slot
        except BaseException:
            self.done(slot)
            raise

    async def acquire_async(self) -> Slot:
        """Non-blocking wait until admitted (async client); cancelling it gives the booking up."""
        slot = self.reserve()
        wait = slot.wait
        try:
            while True:
                if wait > 0:
                    await asyncio.sleep(wait)
                wait = self.ready(slot)
                if wait <= 0:
                    return slot
        except BaseException:
            self.done(slot)
            raise


def _gone_or_late(first: Slot, late: float) -> bool:
    """A head of the line that no longer waits (sent, given up) or whose waiter is too late to keep its turn.

    One that is asking the shared store keeps its place however long the store takes (the store's own
    timeout bounds that).
    """
    if first.state == _ASKING:
        return False
    return first.state != _BOOKED or first.t < late
