"""``hevo-dagfactory demo`` as a user runs it (``make demo``), in a child process with its own stack.

Proves: the project's example workflows all succeed against the simulator, the result table shows Hevo job ids,
``--keep`` leaves a UI the printed login opens, and Ctrl-C (SIGINT) or SIGTERM — also in the middle of start-up —
leaves no process behind.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]


def processes_of(home: Path) -> list[int]:
    """Pids whose environment names ``home`` as AIRFLOW_HOME or whose working directory is ``home``."""
    needle = f"AIRFLOW_HOME={home}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0") or os.readlink(entry / "cwd") == str(home):
                found.append(int(entry.name))
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return found


class DemoProcess:
    """The demo command in a child process; its output collected line by line."""

    def __init__(self, home: Path, *extra: str):
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW__")}
        env["COLUMNS"] = "200"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "hevo_dagfactory", "demo", "--home", str(home), "--job-seconds", "1", *extra],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for(self, text: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output:
            if self.proc.poll() is not None:
                self._reader.join(5)
                if text in self.output:
                    return
                raise AssertionError(f"demo exited ({self.proc.returncode}) before {text!r}:\n{self.output[-5000:]}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no {text!r} within {timeout:.0f}s:\n{self.output[-5000:]}")
            time.sleep(0.5)

    def kill_if_running(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def _wait_gone(home: Path, timeout: float = 20) -> list[int]:
    deadline = time.monotonic() + timeout
    left = processes_of(home)
    while left and time.monotonic() < deadline:
        time.sleep(0.5)
        left = processes_of(home)
    return left


def test_demo_succeeds_keeps_the_ui_and_ctrl_c_stops_everything(tmp_path):
    home = tmp_path / "demo-home"
    demo = DemoProcess(home, "--keep")
    try:
        demo.wait_for("Airflow is still running", timeout=420)
        out = demo.output
        assert re.search(r"All \d+ tasks of \d+ run\(s\) succeeded", out), out[-5000:]
        for dag_id in ("crm_accounts_daily", "crm_scoring_on_sync", "finance_close_nightly"):
            assert dag_id in out
        assert "Asset event from upstream" in out, "the Asset-scheduled workflow should start from the asset event"
        assert re.search(r"salesforce\s+│\s+success\s+│\s+[0-9a-f-]{8,}", out), out[-5000:]

        match = re.search(r"open (http://127\.0\.0\.1:\d+) and log in as (\S+) / (\S+)", out)
        assert match, out[-2000:]
        url, user, password = match.groups()
        token = requests.post(f"{url}/auth/token", json={"username": user, "password": password}, timeout=10)
        assert token.status_code == 201, token.text
        assert requests.get(url, timeout=10).status_code == 200
        assert len(processes_of(home)) >= 5, "the check must see the running stack before it can see it gone"

        demo.proc.send_signal(signal.SIGINT)  # what Ctrl-C sends
        assert demo.proc.wait(90) == 130
        assert _wait_gone(home) == [], f"processes left behind: {processes_of(home)}"
        with pytest.raises(requests.ConnectionError):
            requests.get(url, timeout=5)
    finally:
        demo.kill_if_running()


def test_sigterm_during_start_up_leaves_no_process(tmp_path):
    home = tmp_path / "demo-home"
    demo = DemoProcess(home)
    try:
        deadline = time.monotonic() + 240
        while not (home / "logs" / "scheduler.log").exists():
            assert demo.proc.poll() is None, demo.output[-3000:]
            assert time.monotonic() < deadline, demo.output[-3000:]
            time.sleep(0.2)
        assert processes_of(home), "the stack should be starting"
        demo.proc.send_signal(signal.SIGTERM)
        assert demo.proc.wait(90) == 130
        assert _wait_gone(home) == [], f"processes left behind: {processes_of(home)}"
    finally:
        demo.kill_if_running()
