"""The shared rate budget: never more than the limit in any rolling window, FIFO slots, 429 pause,
one budget per (host, key) across sync and async clients, and real socket runs with a tight limit."""

from __future__ import annotations

import asyncio
import threading

import pytest

from hevo_dagfactory.hevo import AsyncEdgeClient, EdgeClient, RateBudget, RetryPolicy, budget_for, reset_budgets
from hevo_dagfactory.simulator import Simulator


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _max_in_window(starts, window):
    starts = sorted(starts)
    best, j = 0, 0
    for i, s in enumerate(starts):
        while starts[j] <= s - window:
            j += 1
        best = max(best, i - j + 1)
    return best


def test_never_more_than_limit_in_any_window():
    clock = FakeClock()
    budget = RateBudget(10, 60.0, clock=clock)
    starts = []
    for step in range(100):
        clock.now += 0.7 * (step % 3)  # bursty arrivals
        starts.append(clock.now + budget.reserve())
    assert _max_in_window(starts, 60.0) <= 10
    assert starts == sorted(starts)  # first come, first served


def test_first_burst_goes_at_once_then_spaced_by_window():
    clock = FakeClock()
    budget = RateBudget(5, 10.0, margin=0.0, clock=clock)
    delays = [budget.reserve() for _ in range(7)]
    assert delays[:5] == [0.0] * 5 and delays[5] == pytest.approx(10.0) and delays[6] == pytest.approx(10.0)


def test_pause_holds_every_later_reservation():
    clock = FakeClock()
    budget = RateBudget(100, 60.0, clock=clock)
    budget.pause(5.0)
    assert budget.reserve() == pytest.approx(5.0)
    assert budget.paused_for() == pytest.approx(5.0)


def test_registry_shares_one_budget_per_host_and_key():
    a = budget_for("h.example:1", "key-a")
    assert budget_for("H.example:1", "key-a") is a
    assert budget_for("h.example:1", "key-b") is not a
    lowest = budget_for("h.example:1", "key-a", rate_per_minute=20)
    assert lowest is a and a.limit == 20


def test_reserve_is_thread_safe():
    budget = RateBudget(1000, 60.0)
    out: list[float] = []
    lock = threading.Lock()

    def worker():
        for _ in range(200):
            d = budget.reserve()
            with lock:
                out.append(d)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert budget.granted == 1600 and sum(1 for d in out if d == 0.0) >= 1000


@pytest.fixture(autouse=True)
def _fresh_budgets():
    reset_budgets()
    yield
    reset_budgets()


def test_sync_and_async_clients_share_the_budget_over_real_sockets():
    """Limit 6 per 0.5 s at the simulator; 2 threads + 1 event loop send 18 requests: no 429 at all."""
    sim = Simulator(rate_per_minute=6, rate_window_s=0.5)
    sim.add_pipeline(1)
    retry = RetryPolicy(max_attempts=1)  # any 429 would surface as an error
    with sim.serve_in_thread() as url:
        kw = dict(rate_per_minute=6, rate_window_s=0.5, retry=retry)
        errors: list[BaseException] = []

        def sync_worker():
            client = EdgeClient(url, "test-key", "test-secret", **kw)
            try:
                for _ in range(6):
                    client.get_pipeline(1)
            except BaseException as exc:  # collected for the assertion
                errors.append(exc)

        async def async_worker():
            async with AsyncEdgeClient(url, "test-key", "test-secret", **kw) as client:
                await asyncio.gather(*(client.get_pipeline(1) for _ in range(6)))

        threads = [threading.Thread(target=sync_worker) for _ in range(2)]
        for t in threads:
            t.start()
        asyncio.run(async_worker())
        for t in threads:
            t.join()
        assert not errors
        log = sim.request_log
        assert len(log) == 18 and sim.rate_limited_count == 0
        assert sim.max_requests_in_window <= 6
        span = max(e["time"] for e in log) - min(e["time"] for e in log)
        assert span >= 1.0  # 18 requests at 6 per 0.5 s need at least two more windows


def test_without_a_shared_budget_the_same_load_earns_429s():
    """Control for the test above: clients that think they may send 1000/min hit Hevo's limit."""
    sim = Simulator(rate_per_minute=6, rate_window_s=0.5)
    sim.add_pipeline(1)
    with sim.serve_in_thread() as url:
        client = EdgeClient(url, "test-key", "test-secret", rate_per_minute=1000, rate_window_s=0.5,
                            retry=RetryPolicy(max_attempts=6, initial_delay=0.05, max_delay=0.2))
        for _ in range(12):
            client.get_pipeline(1)
        assert sim.rate_limited_count > 0


from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=200, deadline=None)
@given(limit=st.integers(1, 20), window=st.floats(0.5, 60.0),
       steps=st.lists(st.tuples(st.floats(0.0, 5.0), st.booleans(), st.floats(0.0, 3.0)), min_size=1, max_size=120))
def test_property_no_window_ever_holds_more_than_the_limit(limit, window, steps):
    clock = FakeClock()
    budget = RateBudget(limit, window, clock=clock)
    starts = []
    for gap, pause, pause_s in steps:
        clock.now += gap
        if pause:
            budget.pause(pause_s)
            paused_until = clock.now + pause_s
        else:
            paused_until = None
        delay = budget.reserve()
        starts.append(clock.now + delay)
        if paused_until is not None:
            assert clock.now + delay >= paused_until - 1e-9  # a 429 pause holds new slots
    assert _max_in_window(starts, window) <= limit
    assert starts == sorted(starts)
