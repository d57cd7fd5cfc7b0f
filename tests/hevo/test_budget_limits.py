"""What Hevo's rate limit means for one process's budget, over real sockets against the simulator with
both clients: the budget belongs to the user (every key on a host shares it by default), a raised
limit is used, and a refusal is recognised by Hevo's text under any status, with or without
Retry-After, pausing the budget for every client."""

from __future__ import annotations

import asyncio
import time

import pytest

from hevo_dagfactory.hevo import AsyncEdgeClient, EdgeClient, HevoRateLimited, RetryPolicy
from hevo_dagfactory.hevo.errors import error_for_response
from hevo_dagfactory.simulator import PipelineScript, Simulator

NO_RETRY = RetryPolicy(max_attempts=1)


def _kw(url, key="test-key", secret="test-secret", **over):
    return {"base_url": url, "api_key": key, "api_secret": secret, **over}


def test_keys_of_one_user_share_the_host_budget_in_a_process():
    """Two keys of one user, 6 requests each, the user allowed 6 per 0.5 s: no refusal at all."""
    sim = Simulator(rate_per_minute=6, rate_window_s=0.5)
    sim.add_key("key-2", "secret-2")
    sim.add_pipeline(1)
    with sim.serve_in_thread() as url:
        a = EdgeClient(**_kw(url, rate_per_minute=6, rate_window_s=0.5, retry=NO_RETRY))
        b = EdgeClient(**_kw(url, "key-2", "secret-2", rate_per_minute=6, rate_window_s=0.5, retry=NO_RETRY))
        assert a.budget is b.budget
        for _ in range(6):
            a.get_pipeline(1)
            b.get_pipeline(1)
    assert sim.rate_limited_count == 0 and sim.max_requests_in_window <= 6
    assert sim.user_stats()["default"]["accepted"] == 12


def test_per_key_scope_lets_two_keys_of_one_user_overrun_it():
    """The control: scope 'key' is for keys of different users; on one user's keys it earns refusals."""
    sim = Simulator(rate_per_minute=6, rate_window_s=5.0)
    sim.add_key("key-2", "secret-2")
    sim.add_pipeline(1)
    with sim.serve_in_thread() as url:
        kw = dict(rate_per_minute=6, rate_window_s=5.0, retry=NO_RETRY, rate_scope="key")
        a, b = EdgeClient(**_kw(url, **kw)), EdgeClient(**_kw(url, "key-2", "secret-2", **kw))
        assert a.budget is not b.budget
        for _ in range(6):
            a.get_pipeline(1)
        with pytest.raises(HevoRateLimited):
            b.get_pipeline(1)


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_raised_limit_is_used(kind):
    """Support raised the user to 20 per 5 s: 20 requests go at once, no refusal (the default 6 would wait)."""
    sim = Simulator(rate_per_minute=6, rate_window_s=5.0)
    sim.set_user_limit("default", 20)
    sim.add_pipeline(1)
    with sim.serve_in_thread() as url:
        kw = _kw(url, rate_per_minute=20, rate_window_s=5.0, retry=NO_RETRY)
        started = time.monotonic()
        if kind == "sync":
            client = EdgeClient(**kw)
            for _ in range(20):
                client.get_pipeline(1)
        else:

            async def main():
                async with AsyncEdgeClient(**kw) as client:
                    await asyncio.gather(*(client.get_pipeline(1) for _ in range(20)))

            asyncio.run(main())
        assert time.monotonic() - started < 4.0  # one window would have been 5 s
    assert sim.user_stats()["default"] == {"limit": 20, "accepted": 20, "rate_limited": 0, "max_in_window": 20}


@pytest.mark.parametrize("status", [400, 403, 500, 503])
def test_hevos_text_under_another_status_is_a_rate_limit(status):
    err = error_for_response(
        status, '{"message": "Request RATE LIMIT exceeded"}', method="GET", url="https://h/x", where="w"
    )
    assert isinstance(err, HevoRateLimited) and err.status == status
    assert "per minute" in str(err) or "rate_limit_per_minute" in str(err)
    other = error_for_response(status, '{"message": "no"}', method="GET", url="https://h/x", where="w")
    assert not isinstance(other, HevoRateLimited)


def test_the_job_in_progress_refusal_stays_what_it_is():
    err = error_for_response(
        409,
        "A job is in progress. To sync now you need to cancel the current job",
        method="POST",
        url="https://h/x",
        where="w",
    )
    assert not isinstance(err, HevoRateLimited)


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize("status", [429, 503])
def test_a_refusal_without_retry_after_pauses_every_client_a_twelfth_of_the_window(kind, status):
    """Hevo may send no Retry-After, and perhaps not 429: the budget still pauses (window / 12 = 0.5 s
    here) for every client, and the request is retried after it."""
    sim = Simulator(rate_limit_status=status, retry_after=False)
    sim.add_pipeline(1, PipelineScript(rate_limit_next=1, retry_after=None))
    sim.add_pipeline(2)
    retry = RetryPolicy(max_attempts=3, initial_delay=0.01, max_delay=0.02)
    with sim.serve_in_thread() as url:
        kw = _kw(url, rate_window_s=6.0, retry=retry)
        if kind == "sync":
            EdgeClient(**kw).get_pipeline(1)
        else:

            async def main():
                async with AsyncEdgeClient(**kw) as client:
                    await client.get_pipeline(1)

            asyncio.run(main())
        other = EdgeClient(**kw)
        other.get_pipeline(2)
    refused, retried, second = sim.request_log
    assert (refused["status"], retried["status"], second["status"]) == (status, 200, 200)
    assert retried["time"] - refused["time"] >= 0.45  # the pause, not the 10 ms backoff
    assert other.budget.pauses == 1
