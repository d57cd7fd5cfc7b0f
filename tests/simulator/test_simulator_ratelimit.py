"""The simulator's rate limit, probed with plain requests: per Hevo user (shared by the user's keys), a
raised limit for one user, Hevo's documented text with or without Retry-After, under 429 or another
status, and the CLI flags that set all of it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
import requests

from hevo_dagfactory.simulator import PipelineScript, Simulator


def _get(url, key, secret="test-secret"):
    return requests.get(url + "/api/v1/pipelines/1", auth=(key, secret), timeout=5)


def test_keys_of_one_user_share_its_limit_and_other_users_have_their_own():
    sim = Simulator(rate_per_minute=3, rate_window_s=30.0)
    sim.add_key("key-2", "secret-2")  # the first key's user
    sim.add_key("bob-key", "bob-secret", user="bob")
    sim.add_pipeline(1)
    with sim.serve_in_thread() as url:
        codes = [_get(url, "test-key").status_code, _get(url, "key-2", "secret-2").status_code]
        codes += [_get(url, "test-key").status_code, _get(url, "key-2", "secret-2").status_code]
        assert codes == [200, 200, 200, 429]  # 3 per window for the two keys together
        assert [_get(url, "bob-key", "bob-secret").status_code for _ in range(4)] == [200, 200, 200, 429]
        assert _get(url, "bob-key", "wrong").status_code == 401
    users = sim.user_stats()
    assert users["default"] == {"limit": 3, "accepted": 3, "rate_limited": 1, "max_in_window": 3}
    assert users["bob"]["accepted"] == 3 and users["bob"]["rate_limited"] == 1
    assert sim.rate_limited_count == 2 and sim.max_requests_in_window == 3
    keys = [(e["api_key"], e["user"], e["status"]) for e in sim.request_log if "api_key" in e]
    assert ("key-2", "default", 429) in keys and ("bob-key", "bob", 200) in keys


def test_a_raised_limit_applies_to_that_user_only():
    sim = Simulator(rate_per_minute=2, rate_window_s=30.0)
    sim.add_key("big-key", "s", user="big")
    sim.set_user_limit("big", 5)
    sim.add_pipeline(1)
    with sim.serve_in_thread() as url:
        assert [_get(url, "big-key", "s").status_code for _ in range(6)] == [200] * 5 + [429]
        assert [_get(url, "test-key").status_code for _ in range(3)] == [200, 200, 429]
    assert sim.stats()["users"]["big"]["limit"] == 5


@pytest.mark.parametrize(("status", "retry_after"), [(429, True), (429, False), (503, True), (400, False)])
def test_the_refusal_is_hevos_text_with_the_configured_status_and_header(status, retry_after):
    sim = Simulator(rate_per_minute=1, rate_window_s=30.0, rate_limit_status=status, retry_after=retry_after)
    sim.add_pipeline(1)
    with sim.serve_in_thread() as url:
        assert _get(url, "test-key").status_code == 200
        refused = _get(url, "test-key")
    assert refused.status_code == status and refused.json()["message"] == "Request rate limit exceeded"
    if retry_after:
        assert 29 <= int(refused.headers["Retry-After"]) <= 30
    else:
        assert "Retry-After" not in refused.headers
    assert sim.rate_limited_count == 1


def test_a_scripted_rate_limit_without_retry_after_sends_no_header(hevo_sim):
    hevo_sim.sim.add_pipeline(1, PipelineScript(rate_limit_next=1, retry_after=None))
    refused = _get(hevo_sim.url, "test-key")
    assert refused.status_code == 429 and "Retry-After" not in refused.headers
    assert refused.json()["message"] == "Request rate limit exceeded"


def test_a_bad_rate_limit_setting_is_refused():
    with pytest.raises(ValueError, match="HTTP error status"):
        Simulator(rate_limit_status=200)
    with pytest.raises(ValueError, match="at least 1"):
        Simulator().set_user_limit("u", 0)


def _cli(*args):
    return subprocess.Popen(
        [sys.executable, "-m", "hevo_dagfactory", "simulator", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "HEVO_SIM_API_SECRET": "cli-secret"},
    )


def test_cli_flags_set_keys_users_limits_status_and_header():
    proc = _cli(
        "--api-key",
        "k1",
        "--key",
        "k2",
        "--key",
        "k3:carol",
        "--user-limit",
        "carol=2",
        "--rate-per-minute",
        "1",
        "--rate-window",
        "30",
        "--rate-limit-status",
        "503",
        "--no-retry-after",
    )
    try:
        line = proc.stdout.readline().strip()
        assert line.startswith("simulator listening on "), (line, proc.stderr.read() if proc.poll() else "")
        url = line.rsplit(" ", 1)[1]
        assert [_get(url, k, "cli-secret").status_code for k in ("k1", "k2")] == [200, 503]  # k1, k2: one user
        refused = _get(url, "k2", "cli-secret")
        assert refused.status_code == 503 and "Retry-After" not in refused.headers
        assert [_get(url, "k3", "cli-secret").status_code for _ in range(3)] == [200, 200, 503]
        users = requests.get(url + "/_sim/stats", timeout=5).json()["users"]
        assert users["carol"]["limit"] == 2 and users["default"]["rate_limited"] == 2
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=10)


@pytest.mark.parametrize(("flag", "value"), [("--user-limit", "carol"), ("--user-limit", "carol=0"), ("--key", ":u")])
def test_cli_names_a_bad_flag_and_exits_2(flag, value):
    proc = _cli(flag, value)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 2 and flag in err and "simulator listening" not in out
