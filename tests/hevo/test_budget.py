"""The shared rate budget: never more than the limit in any rolling window as Hevo sees it (even when
waiters wake late and answers come back slowly), strict FIFO, a 429 pause that holds every waiter
(also ones booked before it), one budget per host (and scope), and real socket runs with a tight limit."""

from __future__ import annotations

import asyncio
import heapq
import random
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hevo_dagfactory.hevo import AsyncEdgeClient, EdgeClient, RateBudget, RetryPolicy, budget_for, reset_budgets
from hevo_dagfactory.hevo.budget import budget_key
from hevo_dagfactory.simulator import PipelineScript, Simulator


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _max_in_window(times, window):
    times = sorted(times)
    best, j = 0, 0
    for i, t in enumerate(times):
        while times[j] <= t - window:
            j += 1
        best = max(best, i - j + 1)
    return best


def simulate(budget, clock, arrivals, *, latency=lambda i: 0.0, lag=lambda i: 0.0, pauses=()):
    """Drive the budget like many waiters would, on the fake clock (a discrete-event simulation).

    ``arrivals``: times at which waiter i asks for a slot. A waiter sleeps the wait it is given plus
    ``lag(i)`` (a busy event loop wakes it late), asks ``ready`` again, and once admitted its request
    reaches Hevo halfway through ``latency(i)`` and is answered at the end of it. ``pauses``: (time,
    seconds) of 429 pauses. Returns (send times, Hevo arrival times, admission order).
    """
    events: list = []
    order = 0

    def push(t, kind, data):
        nonlocal order
        order += 1
        heapq.heappush(events, (t, order, kind, data))

    for i, t in enumerate(arrivals):
        push(t, "arrive", i)
    for t, seconds in pauses:
        push(t, "pause", seconds)
    slots, sends, hevo, admitted = {}, {}, [], []
    steps = 0
    while events:
        steps += 1
        assert steps < 100_000, "the budget never let some waiter go"
        t, _, kind, data = heapq.heappop(events)
        clock.now = max(clock.now, t)
        if kind == "pause":
            budget.pause(data)
        elif kind == "arrive":
            slots[data] = budget.reserve()
            push(clock.now + slots[data].wait + lag(data), "wake", data)
        elif kind == "wake":
            wait = budget.ready(slots[data])
            if wait > 0:
                push(clock.now + wait + lag(data), "wake", data)
            else:
                sends[data] = clock.now
                admitted.append(data)
                hevo.append(clock.now + latency(data) / 2)
                push(clock.now + latency(data), "answer", data)
        else:
            budget.done(slots[data])
    return sends, hevo, admitted


def test_first_burst_goes_at_once_then_one_window_after_the_answers():
    clock = FakeClock()
    budget = RateBudget(5, 10.0, margin=0.0, clock=clock)
    slots = [budget.reserve() for _ in range(7)]
    assert [s.wait for s in slots[:5]] == [0.0] * 5 and slots[5].wait == pytest.approx(10.0)
    assert [budget.ready(s) for s in slots[:5]] == [0.0] * 5
    clock.now += 2.0  # the answers take 2 s
    for s in slots[:5]:
        budget.done(s)
    clock.now = 1010.0
    assert budget.ready(slots[5]) == pytest.approx(2.0)  # tokens come back one window after the ANSWER
    clock.now = 1012.0
    assert budget.ready(slots[5]) == 0.0 and budget.ready(slots[6]) == 0.0


def test_a_slot_booked_before_a_pause_waits_for_its_end():
    """A waiter already asleep on a booked slot must not send inside a 429 pause that began later."""
    clock = FakeClock()
    budget = RateBudget(2, 10.0, margin=0.0, clock=clock)
    first, second, later = budget.reserve(), budget.reserve(), budget.reserve()
    assert budget.ready(first) == 0.0 and budget.ready(second) == 0.0
    budget.done(first)
    budget.done(second)
    assert later.wait == pytest.approx(10.0)  # booked for t=1010, asleep
    clock.now = 1001.0
    budget.pause(30.0)  # a 429 at t=1001: nobody may send before t=1031
    clock.now = 1010.0  # the sleeper wakes at its booked time
    assert budget.ready(later) == pytest.approx(21.0)
    clock.now = 1031.0
    assert budget.ready(later) == 0.0


def test_a_late_waiter_is_counted_from_when_it_really_left():
    """Booked at t=0 but woken at t=4 (a busy loop): the next window is counted from t=4, not from t=0."""
    clock = FakeClock()
    budget = RateBudget(1, 10.0, margin=0.0, clock=clock)
    late, nxt = budget.reserve(), budget.reserve()
    assert late.wait == 0.0 and nxt.wait == pytest.approx(10.0)
    clock.now = 1004.0
    assert budget.ready(late) == 0.0
    budget.done(late)
    clock.now = 1010.0
    assert budget.ready(nxt) == pytest.approx(4.0)  # the booking said 1010; Hevo saw the first one at 1004


def test_strict_fifo_a_later_booking_never_overtakes():
    clock = FakeClock()
    budget = RateBudget(10, 10.0, clock=clock)
    a, b = budget.reserve(), budget.reserve()
    wait = budget.ready(b)  # b's waiter runs first, a's is a moment late
    assert 0 < wait <= 0.01
    assert budget.ready(a) == 0.0 and budget.ready(b) == 0.0


def test_a_given_up_booking_frees_its_place_in_the_line():
    clock = FakeClock()
    budget = RateBudget(1, 10.0, clock=clock)
    first = budget.acquire()
    cancelled, waiting = budget.reserve(), budget.reserve()
    budget.done(first)
    budget.done(cancelled)  # e.g. its task was cancelled while asleep
    clock.now += 20.0
    assert budget.ready(waiting) == 0.0


def test_cancelling_an_async_wait_gives_its_booking_up():
    """A trigger's deadline (wait_for) may cancel a request while it waits for the budget."""
    clock = FakeClock()
    budget = RateBudget(1, 10.0, margin=0.0, clock=clock)
    first = budget.acquire()

    async def cancelled_wait():
        task = asyncio.create_task(budget.acquire_async())
        await asyncio.sleep(0)  # it booked the slot after `first` and sleeps on it
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(cancelled_wait())
    nxt = budget.reserve()
    budget.done(first)
    clock.now = 1010.0  # first's token is back; the cancelled booking (due now too) must not hold the line
    assert budget.ready(nxt) == 0.0 and budget.in_flight == 1


def test_a_late_or_vanished_waiter_does_not_hold_the_line():
    clock = FakeClock()
    budget = RateBudget(5, 10.0, margin=0.0, clock=clock)
    late = budget.reserve()  # its waiter is descheduled (or a caller booked and never came back)
    waiting = budget.reserve()
    assert 0 < budget.ready(waiting) <= 0.01  # it is due: give it a moment
    clock.now += 0.2
    assert budget.ready(waiting) == 0.0  # it is too late: the next one goes
    assert budget.ready(late) == 0.0  # and when it comes back it goes at once (tokens permitting)


def test_late_waiters_and_slow_answers_never_overfill_a_window():
    """The load that earned 429s before: waiters woken up to 2 s late, answers taking up to 1.5 s."""
    clock = FakeClock()
    budget = RateBudget(100, 3.0, clock=clock)
    rng = random.Random(3)
    arrivals = [1000.0 + rng.uniform(0, 30) for _ in range(1500)]
    lags = [rng.choice([0.0, 0.0, 0.3, 2.0]) for _ in arrivals]
    latencies = [rng.uniform(0.001, 1.5) for _ in arrivals]
    sends, hevo, _admitted = simulate(budget, clock, arrivals, latency=latencies.__getitem__, lag=lags.__getitem__)
    assert len(sends) == 1500 and _max_in_window(hevo, 3.0) <= 100


def test_reserve_is_thread_safe():
    budget = RateBudget(10_000, 60.0)

    def worker():
        for _ in range(100):
            budget.done(budget.acquire())

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert budget.granted == 800 and budget.in_flight == 0


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("eu.hevodata.com", "eu.hevodata.com:443"),
        ("EU.hevodata.com", "https://eu.hevodata.com/"),
        ("http://127.0.0.1:8080", "127.0.0.1:8080"),
        ("http://h.example", "h.example:80"),
    ],
)
def test_budget_key_fills_in_default_ports(a, b):
    assert budget_key(a) == budget_key(b)


def test_registry_keeps_one_budget_per_host_for_every_key_by_default():
    """Hevo counts per user and we cannot tell which keys belong to one: every key on a host shares."""
    a = budget_for("h.example", "key-a")
    assert budget_for("H.example:443", "key-a") is a
    assert budget_for("h.example", "key-b") is a
    assert budget_for("h.example:8443", "key-a") is not a
    lowest = budget_for("h.example", "key-a", rate_per_minute=20)
    assert lowest is a and a.limit == 20
    longer = budget_for("h.example", "key-a", rate_per_minute=100, window_s=120.0)
    assert longer is a and a.limit == 20 and a.window_s == 120.0  # lowest limit, longest window: both honoured
    assert budget_for("h.example", "key-a", window_s=3.0) is a and a.window_s == 120.0


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
            except BaseException as exc:  # noqa: BLE001 - collected for the assertion
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
        client = EdgeClient(
            url,
            "test-key",
            "test-secret",
            rate_per_minute=1000,
            rate_window_s=0.5,
            retry=RetryPolicy(max_attempts=6, initial_delay=0.05, max_delay=0.2),
        )
        for _ in range(12):
            client.get_pipeline(1)
        assert sim.rate_limited_count > 0


def test_waiters_booked_before_a_429_do_not_send_inside_its_pause(hevo_sim):
    """3 per 0.5 s: X (gets a 429, Retry-After 1) and Y1, Y2 go at once; Y3, Y4 are booked ~0.75 s
    ahead, inside the pause X's 429 starts a moment later. They must wait for the pause to end."""
    hevo_sim.sim.add_pipeline(1, PipelineScript(rate_limit_next=1, retry_after="1"))
    hevo_sim.sim.add_pipeline(2)
    retry = RetryPolicy(max_attempts=3, initial_delay=0.01, max_delay=0.05, max_retry_after=5)

    async def main():
        async with AsyncEdgeClient(
            hevo_sim.url, "test-key", "test-secret", rate_per_minute=3, rate_window_s=0.5, retry=retry
        ) as client:
            await asyncio.gather(client.get_pipeline(1), *(client.get_pipeline(2) for _ in range(4)))

    asyncio.run(main())
    log = hevo_sim.sim.request_log
    t429 = next(e["time"] for e in log if e["status"] == 429)
    ys = sorted(e["time"] for e in log if e["pipeline_id"] == "2")
    assert len(ys) == 4 and all(e["status"] == 200 for e in log if e["pipeline_id"] == "2")
    assert ys[1] - ys[0] < 0.3  # Y1, Y2 left with X, before its answer
    # the pause began when the client read the 429 (after Hevo logged it) and lasts Retry-After = 1 s
    assert ys[2] >= t429 + 0.98 and ys[3] >= t429 + 0.98, (t429, ys)


@settings(max_examples=150, deadline=None)
@given(
    limit=st.integers(1, 12),
    window=st.floats(0.5, 60.0),
    waiters=st.lists(st.tuples(st.floats(0.0, 5.0), st.floats(0.0, 0.9), st.floats(0.0, 2.0)), min_size=1, max_size=80),
    pauses=st.lists(st.tuples(st.floats(0.0, 60.0), st.floats(0.0, 20.0)), max_size=3),
    lagging=st.booleans(),
)
def test_property_window_fifo_and_pauses_hold(limit, window, waiters, pauses, lagging):
    """Any arrivals, late wake-ups, slow answers and pauses: every waiter gets its turn, no window at
    Hevo holds more than the limit, none leaves inside a pause, and while no waiter is more than
    0.1 s late, requests leave in booking order."""
    clock = FakeClock()
    budget = RateBudget(limit, window, clock=clock)
    arrivals, t = [], 1000.0
    for gap, _, _ in waiters:
        t += gap
        arrivals.append(t)
    lags = [w[1] * window if lagging else 0.0 for w in waiters]  # waiters wake up to 0.9 window late
    latencies = [w[2] for w in waiters]
    pauses = [(1000.0 + at, seconds) for at, seconds in pauses]
    sends, hevo, admitted = simulate(
        budget, clock, arrivals, latency=latencies.__getitem__, lag=lags.__getitem__, pauses=pauses
    )
    assert len(sends) == len(arrivals)
    assert _max_in_window(hevo, window) <= limit
    if not any(lags):
        assert admitted == sorted(admitted)  # first come, first served
    for at, seconds in pauses:
        assert not any(at < s < at + seconds - 1e-9 for s in sends.values())


def test_scopes_split_the_host_per_key_or_per_named_user():
    per_key = budget_for("h.example", "key-a", scope="key")
    assert budget_for("h.example", "key-a", scope="key") is per_key
    assert budget_for("h.example", "key-b", scope="key") is not per_key
    assert per_key is not budget_for("h.example", "key-a")  # the host-wide budget is another one
    alice = budget_for("h.example", "key-a", scope="user:alice")
    assert budget_for("h.example", "key-b", scope="user: alice ") is alice  # keys of one user share
    assert budget_for("h.example", "key-a", scope="user:bob") is not alice
    assert budget_for("other.example", "key-a", scope="user:alice") is not alice


@pytest.mark.parametrize("bad", ["user:", "users:alice", "pipeline", "user"])
def test_an_unknown_scope_is_refused_with_the_valid_forms(bad):
    with pytest.raises(ValueError, match=r"'host' .*'key' or 'user:<name>'"):
        budget_for("h.example", "key-a", scope=bad)


def test_clients_of_one_host_share_a_budget_whatever_the_spelling():
    a = EdgeClient("https://eu.hevodata.com", "k", "secret")
    b = AsyncEdgeClient("https://EU.hevodata.com:443/", "k", "secret")
    c = EdgeClient("http://eu.hevodata.com:8080", "k", "secret")
    assert a.budget is b.budget and c.budget is not a.budget
