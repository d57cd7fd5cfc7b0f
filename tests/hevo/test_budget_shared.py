"""One rate budget for every process of a Hevo user, through a real redis-server: real processes
(tests/hevo/budget_worker.py) against the simulator, which counts what reached it per user.

Time is scaled: a user may make 10 requests per 1 s window (Hevo: 100 per 60 s). Every test asserts on
the simulator's counts: no request refused (the simulator refuses whatever goes over the limit, so a
refusal is an overrun), every request answered, and — where the budget had to hold requests back —
that the requests really were spread over the windows the limit needs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from hevo_dagfactory.simulator import Simulator

WORKER = Path(__file__).with_name("budget_worker.py")
LIMIT, WINDOW = 10, 1.0


@pytest.fixture
def sim():
    """A simulator whose user ``default`` (keys test-key and key-2) may make 10 requests per 1 s window."""
    simulator = Simulator(rate_per_minute=LIMIT, rate_window_s=WINDOW)
    simulator.add_key("key-2", "secret-2")
    simulator.add_pipeline(1)
    simulator.add_pipeline(2)
    with simulator.serve_in_thread() as url:
        simulator.test_url = url
        yield simulator


class Processes:
    """Worker processes, released together once all are ready; ``results()`` waits for their JSON lines.

    Process ``i`` reads pipeline ``i + 1``, so the simulator's log tells the processes apart.
    """

    def __init__(self, sim, specs: list[dict], store: str | None) -> None:
        env = {k: v for k, v in os.environ.items() if k != "HEVO_DAGFACTORY_RATE_STORE"}
        if store:
            env["HEVO_DAGFACTORY_RATE_STORE"] = store
        self.sim = sim
        self.procs = []
        for i, spec in enumerate(specs):
            full = {
                "url": sim.test_url,
                "key": "test-key",
                "secret": "test-secret",
                "limit": LIMIT,
                "window": WINDOW,
                "pipeline": i + 1,
                "mode": "async",
                "concurrency": 5,
                **spec,
            }
            self.procs.append(
                subprocess.Popen(
                    [sys.executable, str(WORKER), json.dumps(full)],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                    env=env,
                )
            )
        for proc in self.procs:
            line = proc.stdout.readline().strip()
            assert line == "ready", (line, proc.stderr.read() if proc.poll() is not None else "")
        for proc in self.procs:
            proc.stdin.write("go\n")
            proc.stdin.flush()

    def wait_until_all_sent(self, timeout: float = 30.0) -> None:
        """Until every process has had a request through (so each has reached the store and holds a share)."""
        deadline = time.monotonic() + timeout
        wanted = {str(i + 1) for i in range(len(self.procs))}
        while {e["pipeline_id"] for e in self.sim.request_log} < wanted:
            assert time.monotonic() < deadline, "not every process got a request through"
            time.sleep(0.05)

    def results(self, timeout: float = 120.0) -> list[dict]:
        out = []
        for proc in self.procs:
            stdout, stderr = proc.communicate(timeout=timeout)
            assert proc.returncode == 0, stderr[-3000:]
            out.append(json.loads(stdout.strip().splitlines()[-1]))
        return out

    def kill(self) -> None:
        for proc in self.procs:
            proc.kill()


def arrivals(sim) -> list[float]:
    return sorted(e["time"] for e in sim.request_log)


def assert_within_limit(sim, results, expected_each):
    """Every request answered, none refused: the simulator would have refused any request over the limit."""
    assert [r["errors"] for r in results] == [[] for _ in results]
    assert [r["ok"] for r in results] == expected_each
    assert sim.rate_limited_count == 0, sim.user_stats()
    assert sim.max_requests_in_window <= LIMIT


@pytest.mark.parametrize("mode", ["async", "sync"])
def test_two_processes_share_the_users_budget_through_redis(sim, redis_server, mode):
    """2 processes x 30 requests on a user allowed 10 per window: together they keep to 10 per window."""
    results = Processes(sim, [{"mode": mode, "requests": 30}] * 2, redis_server.url).results()
    assert_within_limit(sim, results, [30, 30])
    times = arrivals(sim)
    assert len(times) == 60 and times[-1] - times[0] >= 5 * WINDOW  # 60 requests at 10 per window
    # the store admitted (nearly) every request: a call slowed past its bound by this machine's load may
    # have sent a few on the process's share
    assert all(r["shared"] for r in results) and sum(r["store_admitted"] for r in results) >= 54, results


def test_without_the_store_two_processes_overrun_the_user_limit(sim):
    """The control: each process alone believes it owns the whole limit."""
    results = Processes(sim, [{"requests": 30}] * 2, None).results()
    assert not any(r["shared"] for r in results)
    assert sim.rate_limited_count > 0


@pytest.mark.parametrize(
    ("scopes", "shared"),
    [(("host", "host"), True), (("user:ops", "user:ops"), True), (("key", "key"), False)],
    ids=["host-default", "named-user", "per-key"],
)
def test_keys_of_one_user_share_it_unless_the_scope_splits_them(sim, redis_server, scopes, shared):
    """Two processes with the two keys of one user: the host (default) and a user label share its budget;
    scope ``key`` splits it, which a user with two keys pays for in refusals."""
    specs = [
        {"key": "test-key", "secret": "test-secret", "scope": scopes[0], "requests": 25},
        {"key": "key-2", "secret": "secret-2", "scope": scopes[1], "requests": 25},
    ]
    results = Processes(sim, specs, redis_server.url).results()
    if shared:
        assert_within_limit(sim, results, [25, 25])
        assert {e["api_key"] for e in sim.request_log} == {"test-key", "key-2"}
    else:
        assert sim.rate_limited_count > 0


def test_a_raised_limit_is_used_by_all_processes(sim, redis_server):
    """Support raised the user to 30 per window and the connection says so: three times the default."""
    sim.set_user_limit("default", 3 * LIMIT)
    results = Processes(sim, [{"requests": 45, "limit": 3 * LIMIT}] * 2, redis_server.url).results()
    assert [r["ok"] for r in results] == [45, 45] and sim.rate_limited_count == 0
    stats = sim.user_stats()["default"]
    assert LIMIT < stats["max_in_window"] <= 3 * LIMIT  # the raised part was used, never more


def _outage_log(sim, since: float, until: float) -> list[dict]:
    return [e for e in sim.request_log if since <= e["time"] <= until]


@pytest.mark.parametrize("mode", ["async", "sync"])
def test_store_killed_mid_run_then_back_empty(sim, redis_server, mode):
    """Redis is killed (everything it counted is lost) while 2 processes are busy, stays away long enough
    for them to fall back to their shares, then comes back empty. Never over the limit, no process stuck,
    requests kept flowing during the outage."""
    procs = Processes(sim, [{"mode": mode, "requests": 45}] * 2, redis_server.url)
    procs.wait_until_all_sent()
    time.sleep(1.5)  # both ask the store a few times: their shares settle at 5 each
    redis_server.kill()
    killed = time.time()
    time.sleep(5.0)  # longer than the quiet period (one span, ~1.6 s): the processes use their shares
    redis_server.restart()
    back = time.time()
    results = procs.results()
    assert_within_limit(sim, results, [45, 45])
    assert all(r["store_errors"] > 0 for r in results)
    during = _outage_log(sim, killed + 2.5, back)
    assert len(during) >= 5, "no request went out while the store was away: degraded mode never sent"


def test_store_that_stalls_is_left_behind_and_rejoined(sim, redis_server):
    """DEBUG SLEEP blocks Redis for 2 s (longer than the 0.5 s bound on a store call): the processes stop
    waiting for it, keep within the limit, and use it again when it answers."""
    procs = Processes(sim, [{"requests": 35}] * 2, redis_server.url)
    procs.wait_until_all_sent()
    time.sleep(1.0)
    stall = threading.Thread(target=redis_server.command, args=("DEBUG", "SLEEP", "2"))
    stall.start()
    results = procs.results()
    stall.join()
    assert_within_limit(sim, results, [35, 35])
    assert all(r["store_errors"] > 0 for r in results)


def test_a_process_that_never_reached_the_store_waits_for_it(sim, redis_server):
    """No share without ever reaching the store: nothing leaves until it answers, then everything does."""
    redis_server.kill()
    procs = Processes(sim, [{"mode": "sync", "requests": 15}] * 2, redis_server.url)
    time.sleep(2.0)
    assert sim.request_log == []  # two processes with no share sent nothing
    redis_server.restart()
    results = procs.results()
    assert_within_limit(sim, results, [15, 15])
