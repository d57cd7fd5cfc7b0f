"""What a process of a shared budget does when the store is slow or gone, and how it comes back.

Degraded (a store call took longer than its bound or failed). The process keeps to its **share**,
which the store granted it while it answered (the limit split over the processes it saw lately, never
adding up to more than the limit): its local budget's limit becomes the share and it is not gated
any more. But first it sends **nothing for a quiet period** of one span (plus a probe interval and
the latency): requests the store admitted for the others just before it went away still count at
Hevo until then. A process without a share (new, or idle too long to hold one) sends nothing until
the store is back. While degraded it asks the store again at most once per probe interval, and only
when it has something to send.

Back (the store answers again). If the store kept its memory (same epoch) and nobody can have sent
outside it yet (less than the quiet period since we last reached it), the process is shared at once.
Otherwise it stays within its share for one more span while the others come back and what they sent
outside the store leaves Hevo's window. A store that lost its memory (restart, flush) is noticed by
its new epoch: the requests it forgot still count at Hevo, so the process waits one quiet period.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable

from .local import MIN_MARGIN_S, RateBudget
from .store import StoreReply, StoreUnavailable

log = logging.getLogger(__name__)

#: A participant the store has not heard from in this many spans loses its share (the store's view).
SHARE_TTL_SPANS = 2.0
#: While degraded, ask the store again at most this often (seconds; shorter for short test windows).
MAX_PROBE_INTERVAL_S = 1.0
#: The shortest sleep of a degraded waiter (see :meth:`Fallback.cap`).
PROBE_POLL_S = 0.01


class Fallback:
    """The degraded/recovering state of one shared budget; it sets the local budget's limit, gate and hold."""

    def __init__(
        self, local: RateBudget, limit: int, where: str, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.local = local
        self.limit = int(limit)
        self.where = where
        self._clock = clock
        self._lock = threading.Lock()
        self.epoch: str | None = None  # the store's memory we know
        self.belief = 0  # the share the store last granted us (what it counts for us)
        self.share = 0  # what we may use outside the store now
        self._contact = -math.inf  # last answer of the store (our clock)
        self._lost_contact = -math.inf  # the last answer before the current outage
        self.degraded = False
        self._probe_at = 0.0
        self._probing = False
        self._limited_until = 0.0
        self.participants = 0
        self.store_errors = 0
        local.gated = True

    # -- timings -------------------------------------------------------------------------------------
    def probe_interval(self) -> float:
        return max(0.05, min(MAX_PROBE_INTERVAL_S, self.local.window_s / 12.0))

    def quiet_s(self) -> float:
        """How long after losing the store a process sends nothing: what the store admitted leaves Hevo's window."""
        return self.local.span + self.probe_interval() + max(MIN_MARGIN_S, 2.0 * self.local.latency)

    def ttl_s(self) -> float:
        return SHARE_TTL_SPANS * self.local.span

    # -- called by the acquire flow ------------------------------------------------------------------
    def cap(self, wait: float) -> float:
        """Degraded, a waiter wakes for the next probe rather than sleeping through the store's return.

        Never less than PROBE_POLL_S: while another waiter's probe is under way (up to the store's
        timeout) the others must really sleep, or an asyncio waiter would spin and starve the probe.
        """
        if not self.degraded:
            return wait
        return min(wait, max(PROBE_POLL_S, self._probe_at - self._clock() + 1e-3))

    def tick(self) -> None:
        """After a rejoin the share applies for a while; then the full limit again."""
        if self._limited_until and self._clock() >= self._limited_until:
            with self._lock:
                if self._limited_until and not self.degraded:
                    self._limited_until = 0.0
                    self.local.set_limit(self.limit)

    def take_probe(self) -> bool:
        """True for the one waiter that should ask the store now whether it is back."""
        with self._lock:
            if not self.degraded or self._probing or self._clock() < self._probe_at:
                return False
            self._probing = True
            return True

    def probed(self, reply: StoreReply | StoreUnavailable) -> None:
        with self._lock:
            self._probing = False
        if isinstance(reply, StoreUnavailable):
            self.failed(reply)
        else:
            self.heard(reply)

    def set_limit(self, limit: int) -> None:
        with self._lock:
            self.limit = int(limit)
            if not self.degraded and not self._limited_until:
                self.local.set_limit(limit)

    # -- what the store's answers change -------------------------------------------------------------
    def heard(self, reply: StoreReply) -> None:
        """The store answered: note our share and its epoch; rejoin if we were degraded."""
        with self._lock:
            now = self._clock()
            self._contact = now
            self.belief = reply.share
            self.participants = reply.participants
            forgot = self.epoch is not None and reply.epoch != self.epoch
            self.epoch = reply.epoch
            if self._limited_until or self.degraded:  # recovering: the share we had, or less
                self.share = min(self.share, reply.share)
            else:
                self.share = reply.share
            if forgot:
                self._store_forgot(now)
            if self.degraded:
                self._rejoin(now, forgot)

    def failed(self, error: StoreUnavailable) -> None:
        """A store call failed or took too long: degrade (once), or stay degraded."""
        with self._lock:
            now = self._clock()
            self.store_errors += 1
            self._probe_at = now + self.probe_interval()
            no_share_until = self._probe_at + self.probe_interval()
            if self.degraded:
                if self.share < 1:  # no share: nothing goes until the store answers
                    self.local.hold_until(no_share_until)
                return
            self.degraded = True
            self.local.gated = False
            self._lost_contact = self._contact
            if now - self._contact >= 0.9 * self.ttl_s():
                self.share = 0  # the store has given our share to others by now
            self.local.hold_until(now + self.quiet_s())
            self._apply_share(no_share_until)
            self._warn_degraded(error)

    def _store_forgot(self, now: float) -> None:
        """The store lost its log: requests it had admitted still count at Hevo for one more span."""
        self.local.hold_until(now + self.quiet_s())
        log.warning(
            "The shared rate budget store %s lost its memory (restarted or flushed); requests it had counted "
            "still count at Hevo, so this process sends nothing for %.1f s.",
            self.where,
            self.quiet_s(),
        )

    def _rejoin(self, now: float, forgot: bool) -> None:
        self.degraded = False
        self.local.gated = True
        if not forgot and now < self._lost_contact + self.quiet_s():
            self.local.clear_hold()  # nobody can have sent outside the store yet
            if self._limited_until:  # still within an earlier recovery
                self._apply_share(self._limited_until)
            else:
                self.local.set_limit(self.limit)
            log.info("The shared rate budget store %s answers again; back to the shared budget.", self.where)
            return
        self._limited_until = max(self._limited_until, now + self.local.span + 2 * self.probe_interval())
        self._apply_share(self._limited_until)
        log.info(
            "The shared rate budget store %s answers again; this process keeps to its share for %.1f s while "
            "what was sent outside the store leaves Hevo's window.",
            self.where,
            self._limited_until - now,
        )

    def _apply_share(self, until: float) -> None:
        """Keep to the share (nothing at all without one) until ``until``, or for the outage."""
        if self.share >= 1:
            self.local.set_limit(self.share)
        else:
            self.local.hold_until(until)

    def _warn_degraded(self, error: StoreUnavailable) -> None:
        if self.share >= 1:
            what = (
                f"keeps to its share of {self.share} of {self.limit} requests per {self.local.window_s:g} s "
                f"({self.participants} processes used this budget lately), after sending nothing for "
                f"{self.quiet_s():.1f} s"
            )
        else:
            what = "has no share of the limit (it never reached the store, or not lately), so it waits for the store"
        log.warning(
            "The shared rate budget store %s failed (%s); this process %s. It rejoins the shared budget when "
            "the store answers again.",
            self.where,
            error,
            what,
        )
