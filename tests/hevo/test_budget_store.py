"""The shared budget's rules, several participants in one test process on a real redis-server: how the
store is switched on, shares that never add up to more than the limit, a rate-limit pause that reaches
every participant, a store that forgets, a forked child that is a participant of its own, and clear
errors for a wrong setting."""

from __future__ import annotations

import asyncio
import multiprocessing
import sys
import threading
import time

import pytest
import redis

from hevo_dagfactory.hevo import EdgeClient, budget_for, reset_budgets
from hevo_dagfactory.hevo.budget import STORE_ENV, RateBudget, SharedBudget
from hevo_dagfactory.hevo.budget.scope import HOST_SCOPE, store_prefix
from hevo_dagfactory.hevo.budget.store import RedisStore

WINDOW = 0.5


@pytest.fixture(autouse=True)
def _fresh_budgets():
    reset_budgets()
    yield
    reset_budgets()


def participants(url, n, limit=10, prefix="t:{p}"):
    store = RedisStore(url)
    return [SharedBudget(prefix, store, limit, WINDOW) for _ in range(n)]


def accounted(url, prefix="t:{p}") -> int:
    grants = redis.Redis.from_url(url, decode_responses=True).hgetall(f"{prefix}:grants")
    return sum(int(v) for v in grants.values())


def one_request(budget):
    budget.release(budget.acquire())


def test_the_env_variable_turns_the_store_on_and_an_empty_store_argument_off(redis_server, monkeypatch):
    monkeypatch.setenv(STORE_ENV, redis_server.url)
    shared = budget_for("h.example", "k")
    assert isinstance(shared, SharedBudget) and budget_for("h.example", "k2") is shared
    assert isinstance(budget_for("h.example", "k", store=""), RateBudget)
    monkeypatch.delenv(STORE_ENV)
    assert isinstance(budget_for("h.example", "k"), RateBudget)


def test_store_keys_hold_no_api_key():
    prefix = store_prefix("eu.hevodata.com", HOST_SCOPE.__class__("key"), "my-secret-api-key-123")
    assert "my-secret-api-key-123" not in prefix and prefix.startswith("hevo-dagfactory:budget:{")


def test_shares_settle_fair_and_never_add_up_to_more_than_the_limit(redis_server):
    budgets = participants(redis_server.url, 3)
    for _ in range(4):
        for budget in budgets:
            one_request(budget)
            assert accounted(redis_server.url) <= 10  # what any processes may use without the store
    assert [b.share for b in budgets] == [3, 3, 3] and budgets[0].participants == 3


def test_a_newcomer_gets_its_share_only_as_the_others_give_theirs_up(redis_server):
    first, second = participants(redis_server.url, 2)
    one_request(first)
    assert first.share == 10  # alone
    one_request(second)
    assert second.share == 0  # the first still holds all 10
    one_request(first)
    one_request(first)
    one_request(second)
    assert (first.share, second.share) == (5, 5)


def test_a_rate_limit_pause_reaches_every_participant(redis_server):
    a, b = participants(redis_server.url, 2, limit=100)
    slot = a.acquire()
    a.release(slot, pause_s=0.6)  # a's request was refused: nobody sends for 0.6 s
    started = time.monotonic()
    one_request(b)
    assert time.monotonic() - started >= 0.5


def test_the_store_admits_no_more_than_the_limit_per_window_across_participants(redis_server):
    budgets = participants(redis_server.url, 2, limit=4)

    async def main():
        sent = []

        async def one(budget):
            slot = await budget.acquire_async()
            sent.append(time.monotonic())
            await budget.release_async(slot)

        await asyncio.gather(*(one(budgets[i % 2]) for i in range(10)))
        return sorted(sent)

    sent = asyncio.run(main())
    assert sent[4] - sent[0] >= WINDOW and sent[8] - sent[4] >= WINDOW  # 4 per window, both together


def test_a_store_that_forgets_makes_everyone_wait_one_quiet_period(redis_server):
    (budget,) = participants(redis_server.url, 1)
    one_request(budget)
    redis.Redis.from_url(redis_server.url).flushall()  # e.g. restarted without persistence
    started = time.monotonic()
    one_request(budget)  # the store answers with a new epoch: what it forgot still counts at Hevo
    assert time.monotonic() - started >= WINDOW
    assert not budget.degraded


def _child_participant(budget, queue):
    queue.put(budget.participant)


@pytest.mark.skipif(sys.platform != "linux", reason="fork")
def test_a_forked_child_is_a_participant_of_its_own(redis_server, monkeypatch):
    monkeypatch.setenv(STORE_ENV, redis_server.url)
    budget = EdgeClient("https://h.example", "k", "s").budget
    one_request(budget)
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_child_participant, args=(budget, queue))
    child.start()
    child.join(30)
    assert child.exitcode == 0 and queue.get(timeout=5) != budget.participant


def test_a_store_url_that_is_not_redis_is_refused_clearly():
    with pytest.raises(ValueError, match=r"must be a Redis URL .*'http://127.0.0.1:1/x'"):
        budget_for("h.example", "k", store="http://user:pw@127.0.0.1:1/x")


def test_without_the_redis_package_the_message_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "redis", None)  # no real way to uninstall a package for one test
    with pytest.raises(ValueError, match=r"pip install 'hevo-dagfactory\[redis\]'") as info:
        budget_for("h.example", "k", store="redis://:hunter2@127.0.0.1:1/0")
    assert "hunter2" not in str(info.value)


def test_waiters_sleep_while_another_probes_a_stalled_store(redis_server):
    """The store stalls; one waiter's probe takes the whole 0.5 s bound each time. The other waiters must
    really sleep meanwhile, not spin on zero-second sleeps (CPU, and a frozen loop in the worst case)."""
    (budget,) = participants(redis_server.url, 1, limit=50)
    one_request(budget)  # alone: the share is the whole limit

    async def main():
        async def waiter():
            for _ in range(3):
                slot = await budget.acquire_async()
                await budget.release_async(slot)

        await asyncio.gather(*(waiter() for _ in range(5)))

    stall = threading.Thread(target=redis_server.command, args=("DEBUG", "SLEEP", "2"))
    stall.start()
    time.sleep(0.2)
    loop_cpu: list[float] = []

    def run_loop() -> None:  # the CPU of the waiters' own thread: what spinning would burn
        started = time.thread_time()
        asyncio.run(main())
        loop_cpu.append(time.thread_time() - started)

    runner = threading.Thread(target=run_loop, daemon=True)
    wall = time.monotonic()
    runner.start()
    runner.join(30)
    wall = time.monotonic() - wall
    stall.join()
    assert not runner.is_alive(), "the waiters never got through"
    assert budget.store_errors > 0 and wall > 1.0  # it did lose the store for a while
    (cpu,) = loop_cpu
    assert cpu < 0.05 * wall, (cpu, wall)  # spinning waiters burn ~10 % of a core here, sleeping ones ~1 %
