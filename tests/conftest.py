"""Shared fixtures for every test package. Keep it small and generic.

``hevo_sim``: a fresh local Hevo simulator per test, served over a real socket on a free 127.0.0.1
port (credentials ``test-key`` / ``test-secret``). ``hevo_sim.sim`` is the
:class:`~hevo_dagfactory.simulator.Simulator` (script pipelines, read counters), ``hevo_sim.url`` its
base URL, ``hevo_sim.host``/``hevo_sim.port`` the parts an Airflow connection needs.

``redis_server``: a throwaway redis-server on a free 127.0.0.1 port (``.url``, ``.kill()``,
``.restart()``, ``.command()``); ``make services`` installs the binary.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from hevo_dagfactory.hevo import reset_budgets
from hevo_dagfactory.simulator import Simulator


@dataclass
class HevoSim:
    sim: Simulator
    url: str
    api_key: str = "test-key"
    api_secret: str = "test-secret"

    @property
    def host(self) -> str:
        return self.url.split("://", 1)[1].split(":")[0]

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])


@pytest.fixture
def hevo_sim() -> Iterator[HevoSim]:
    # Rate budgets are per process and keyed by host:port; a port the OS hands out again must not
    # inherit an earlier test's pause or lowered limit.
    reset_budgets()
    sim = Simulator(api_key="test-key", api_secret="test-secret", rate_per_minute=100)
    with sim.serve_in_thread(port=0) as url:
        yield HevoSim(sim=sim, url=url)


@pytest.fixture
def redis_server(tmp_path):
    from hevo_dagfactory.demo.procs import StackError
    from hevo_dagfactory.demo.redisproc import RedisProcess

    try:
        server = RedisProcess(tmp_path / "redis").start()
    except StackError as exc:
        pytest.fail(f"this test needs a real Redis: {exc}")
    try:
        yield server
    finally:
        server.stop()
