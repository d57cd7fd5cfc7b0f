"""Retries of both clients against scripted faults: 5xx bursts, dropped connections, timeouts,
malformed JSON, 429 with Retry-After (seconds and HTTP date), and the bucket pause a 429 causes."""

from __future__ import annotations

import asyncio
import time

import pytest

from hevo_dagfactory.hevo import (
    AsyncEdgeClient,
    EdgeClient,
    HevoRateLimited,
    HevoServerError,
    HevoTransportError,
    RetryPolicy,
)
from hevo_dagfactory.simulator import PipelineScript, http_date

FAST_RETRY = RetryPolicy(max_attempts=4, initial_delay=0.01, max_delay=0.05, jitter=0.5, max_retry_after=5)


def _statuses(sim, method="GET"):
    return [e["status"] for e in sim.request_log if e["method"] == method]


def test_get_retried_through_a_5xx_burst(hevo_sim, make_client):
    hevo_sim.sim.add_pipeline(1, PipelineScript(fail_next=2))
    assert make_client().get_pipeline(1)["id"] == 1
    assert _statuses(hevo_sim.sim) == [503, 503, 200]


def test_get_gives_up_after_max_attempts_with_hevos_message(hevo_sim, make_client):
    hevo_sim.sim.add_pipeline(1, PipelineScript(fail_next=10, fail_status=502))
    with pytest.raises(HevoServerError) as info:
        make_client().get_pipeline(1)
    assert info.value.status == 502 and "try again later" in str(info.value)
    assert len(_statuses(hevo_sim.sim)) == FAST_RETRY.max_attempts


def test_get_retried_after_dropped_connection(hevo_sim, make_client):
    hevo_sim.sim.add_pipeline(1, PipelineScript(drop_next=2))
    assert make_client().get_pipeline(1)["id"] == 1
    assert _statuses(hevo_sim.sim) == ["dropped", "dropped", 200]


def test_get_retried_after_malformed_json(hevo_sim, make_client):
    hevo_sim.sim.add_pipeline(1, PipelineScript(malformed_next=1))
    assert make_client().list_jobs(1).jobs == []
    assert _statuses(hevo_sim.sim) == [200, 200]


def test_malformed_json_that_persists_is_a_transport_error(hevo_sim, make_client):
    hevo_sim.sim.add_pipeline(1, PipelineScript(malformed_next=10))
    with pytest.raises(HevoTransportError) as info:
        make_client().get_pipeline(1)
    assert info.value.kind == "malformed" and "not JSON" in str(info.value)


def test_get_retried_after_timeout(hevo_sim, make_client):
    hevo_sim.sim.add_pipeline(1, PipelineScript(slow_next=1, delay_s=1.0))
    started = time.monotonic()
    assert make_client(timeout=0.3).get_pipeline(1)["id"] == 1
    assert time.monotonic() - started < 1.0  # did not wait for the slow answer
    assert len(_statuses(hevo_sim.sim)) == 2


def test_connection_refused_is_transport_error_after_retries():
    client = EdgeClient("http://127.0.0.1:9", "k", "secret-value", retry=FAST_RETRY, timeout=1)
    with pytest.raises(HevoTransportError) as info:
        client.get_pipeline(1)
    assert info.value.kind == "connection" and "127.0.0.1:9" in str(info.value)
    assert "secret-value" not in str(info.value)


@pytest.mark.parametrize("retry_after", ["1", "http-date"])
def test_429_waits_for_retry_after(hevo_sim, make_client, retry_after):
    value = http_date(2) if retry_after == "http-date" else retry_after
    hevo_sim.sim.add_pipeline(1, PipelineScript(rate_limit_next=1, retry_after=value))
    started = time.monotonic()
    assert make_client().get_pipeline(1)["id"] == 1
    waited = time.monotonic() - started
    # backoff alone would be <= 0.05 s; Retry-After "1" means >= 1 s, an HTTP date 2 s ahead means 1-2 s
    assert waited >= 0.9, waited
    log = list(hevo_sim.sim.request_log)
    assert [e["status"] for e in log] == [429, 200]
    assert log[1]["time"] - log[0]["time"] >= 0.9


def test_429_is_retried_even_for_post_because_hevo_did_not_act(hevo_sim, make_client):
    hevo_sim.sim.add_pipeline(1, PipelineScript(rate_limit_next=1, retry_after="0"))
    make_client().sync_now(1)
    assert _statuses(hevo_sim.sim, "POST") == [429, 200]
    assert hevo_sim.sim.sync_now_posts(1) == 1 and len(hevo_sim.sim.jobs(1)) == 1


def test_429_that_persists_raises_rate_limited(hevo_sim, make_client):
    hevo_sim.sim.add_pipeline(1, PipelineScript(rate_limit_next=10, retry_after="0"))
    with pytest.raises(HevoRateLimited) as info:
        make_client().get_pipeline(1)
    assert info.value.status == 429 and "rate limit" in str(info.value).lower()


def test_a_429_pauses_the_shared_budget_for_other_clients(hevo_sim):
    """Client A gets a 429 with Retry-After 1; client B (same key and host) must not send before it ends."""
    hevo_sim.sim.add_pipeline(1, PipelineScript(rate_limit_next=1, retry_after="1"))
    hevo_sim.sim.add_pipeline(2)
    a = EdgeClient(hevo_sim.url, "test-key", "test-secret", retry=RetryPolicy(max_attempts=1))
    b = EdgeClient(hevo_sim.url, "test-key", "test-secret", retry=FAST_RETRY)
    assert a.budget is b.budget
    with pytest.raises(HevoRateLimited):
        a.get_pipeline(1)
    assert b.get_pipeline(2)["id"] == 2
    first, second = hevo_sim.sim.request_log
    assert first["status"] == 429 and second["status"] == 200
    assert second["time"] - first["time"] >= 0.9


def test_async_client_does_not_block_the_loop_while_waiting(hevo_sim):
    hevo_sim.sim.add_pipeline(1, PipelineScript(rate_limit_next=1, retry_after="1"))

    async def main():
        ticks = 0
        stop = asyncio.Event()

        async def ticker():
            nonlocal ticks
            while not stop.is_set():
                ticks += 1
                await asyncio.sleep(0.02)

        task = asyncio.create_task(ticker())
        async with AsyncEdgeClient(hevo_sim.url, "test-key", "test-secret", retry=FAST_RETRY) as client:
            await client.get_pipeline(1)
        stop.set()
        await task
        return ticks

    assert asyncio.run(main()) >= 20  # ~1 s of waiting with the loop free to run the ticker


def test_async_client_survives_being_reused_across_event_loops(hevo_sim):
    hevo_sim.sim.add_pipeline(1)
    client = AsyncEdgeClient(hevo_sim.url, "test-key", "test-secret", retry=FAST_RETRY)
    assert asyncio.run(client.get_pipeline(1))["id"] == 1
    assert asyncio.run(client.get_pipeline(1))["id"] == 1  # a second loop: a fresh session, no "loop closed"
    asyncio.run(client.aclose())


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_huge_retry_after_pauses_the_budget_only_up_to_max_retry_after(hevo_sim, kind):
    """Retry-After: 86400 must not silence every client of the key for a day: the pause is capped
    like the retry wait (max_retry_after)."""
    hevo_sim.sim.add_pipeline(1, PipelineScript(rate_limit_next=1, retry_after="86400"))
    hevo_sim.sim.add_pipeline(2)
    policy = RetryPolicy(max_attempts=1, max_retry_after=0.5)
    if kind == "sync":
        client = EdgeClient(hevo_sim.url, "test-key", "test-secret", retry=policy)
        with pytest.raises(HevoRateLimited) as info:
            client.get_pipeline(1)
    else:
        client = AsyncEdgeClient(hevo_sim.url, "test-key", "test-secret", retry=policy)

        async def go():
            async with client:
                await client.get_pipeline(1)

        with pytest.raises(HevoRateLimited) as info:
            asyncio.run(go())
    assert info.value.retry_after == 86400
    assert 0 < client.budget.paused_for() <= 0.5
    other = EdgeClient(hevo_sim.url, "test-key", "test-secret", retry=FAST_RETRY)
    assert other.budget is client.budget and other.get_pipeline(2)["id"] == 2  # back after the capped pause
