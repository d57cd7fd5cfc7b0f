"""Fixtures for client tests: every behaviour runs once with the sync and once with the async client.

``make_client(**overrides)`` returns an object with the client's method names that returns plain
results. For the async client each call runs a real ``AsyncEdgeClient`` (aiohttp) in its own event
loop, so both transports are exercised over real sockets against the simulator.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from hevo_dagfactory.hevo import AsyncEdgeClient, DiscoveryPolicy, EdgeClient, RetryPolicy

FAST_RETRY = RetryPolicy(max_attempts=4, initial_delay=0.01, max_delay=0.05, jitter=0.5, max_retry_after=5)
FAST_DISCOVERY = DiscoveryPolicy(attempts=5, interval_s=0.05, skew_ms=5_000)


class AsyncAdapter:
    """Calls an AsyncEdgeClient method inside ``asyncio.run`` and returns its result."""

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs
        self.kind = "async"

    def __getattr__(self, name: str) -> Callable[..., Any]:
        def call(*args: Any, **kw: Any) -> Any:
            async def go() -> Any:
                async with AsyncEdgeClient(**self.kwargs) as client:
                    result = getattr(client, name)(*args, **kw)
                    if hasattr(result, "__aiter__"):
                        return [item async for item in result]
                    return await result

            return asyncio.run(go())

        return call


class SyncAdapter:
    def __init__(self, **kwargs: Any) -> None:
        self.client = EdgeClient(**kwargs)
        self.kind = "sync"

    def __getattr__(self, name: str) -> Callable[..., Any]:
        attr = getattr(self.client, name)
        if name.startswith("iter_"):  # generators become lists, as the async adapter returns them
            return lambda *a, **k: list(attr(*a, **k))
        return attr


@pytest.fixture(params=["sync", "async"])
def make_client(request, hevo_sim):
    made: list[SyncAdapter] = []

    def factory(**overrides: Any):
        kwargs = dict(
            base_url=hevo_sim.url,
            api_key="test-key",
            api_secret="test-secret",
            retry=FAST_RETRY,
            discovery=FAST_DISCOVERY,
            timeout=5.0,
            connection_id="hevo_test",
        )
        kwargs.update(overrides)
        if request.param == "sync":
            adapter = SyncAdapter(**kwargs)
            made.append(adapter)
            return adapter
        return AsyncAdapter(**kwargs)

    yield factory
    for adapter in made:
        adapter.client.close()


@pytest.fixture
def fast_retry() -> RetryPolicy:
    return FAST_RETRY


@pytest.fixture
def fast_discovery() -> DiscoveryPolicy:
    return FAST_DISCOVERY
