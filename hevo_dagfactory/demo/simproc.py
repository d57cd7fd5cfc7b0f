"""The Hevo simulator as a separate process, plus a client for its admin HTTP API (``/_sim/...``).

The stack runs the simulator out of process, exactly as a user runs ``hevo-dagfactory simulator``: Airflow's
workers and triggerers reach it over real sockets, and tests script outcomes and read counters over HTTP.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import requests

from hevo_dagfactory.demo.procs import ManagedProcess, StackError, free_port, wait_until

_LISTENING = re.compile(r"simulator listening on (http://127\.0\.0\.1:\d+)")


class SimulatorAdmin:
    """Client of the simulator's unauthenticated admin endpoints (scripts, counters, jobs)."""

    def __init__(self, base_url: str, *, timeout: float = 10.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        resp = self.session.request(method, f"{self.base_url}{path}", timeout=self.timeout, **kwargs)
        if resp.status_code >= 400:
            raise StackError(f"simulator admin {method} {path} answered {resp.status_code}: {resp.text[:300]}")
        return resp.json() if resp.content else None

    def script(self, pipeline_id: int | str, **script: Any) -> Any:
        """Create or replace a pipeline's script (``job_duration_s``, ``final_status``, ...)."""
        return self._call("PUT", f"/_sim/pipelines/{pipeline_id}", json=script)

    def stats(self) -> dict[str, Any]:
        return dict(self._call("GET", "/_sim/stats"))

    def requests(self) -> list[dict[str, Any]]:
        """The simulator's log of API requests (method, path, status, time, pipeline id, agent), oldest first."""
        return list(self._call("GET", "/_sim/requests")["data"])

    def sync_now_posts(self, pipeline_id: int | str) -> int:
        return int(self.stats().get("sync_now_posts", {}).get(str(pipeline_id), 0))

    def cancel_posts(self, pipeline_id: int | str) -> int:
        return int(self.stats().get("cancel_posts", {}).get(str(pipeline_id), 0))

    def jobs(self, pipeline_id: int | str) -> list[dict[str, Any]]:
        """Every job of the pipeline as Hevo would show it now, newest first."""
        return list(self._call("GET", f"/_sim/pipelines/{pipeline_id}/jobs")["data"])


class SimulatorProcess:
    """``hevo-dagfactory simulator`` on a free 127.0.0.1 port, its output in ``<home>/logs/simulator.log``."""

    def __init__(
        self,
        home: Path,
        *,
        api_key: str,
        api_secret: str,
        env: dict[str, str],
        port: int | None = None,
        rate_per_minute: int = 1000,
        rate_window_s: float = 60.0,
        name: str = "simulator",
    ):
        self.port = port or free_port()
        self.rate_per_minute = rate_per_minute
        self.base_url = f"http://127.0.0.1:{self.port}"
        argv = [
            sys.executable,
            "-m",
            "hevo_dagfactory",
            "simulator",
            "--port",
            str(self.port),
            "--api-key",
            api_key,
            "--rate-per-minute",
            str(rate_per_minute),
            "--rate-window",
            str(rate_window_s),
        ]
        # The secret goes through the environment, so it is in neither the process list nor the log.
        env = {**env, "HEVO_SIM_API_SECRET": api_secret}
        self.proc = ManagedProcess(
            name, argv, env=env, cwd=home, log_path=home / "logs" / f"{name}.log", redact=[api_secret]
        )
        self.admin = SimulatorAdmin(self.base_url)

    def start(self, *, timeout: float = 60.0) -> SimulatorProcess:
        self.proc.start()

        def ready() -> bool:
            match = _LISTENING.search(self.proc.log_path.read_text(errors="replace"))
            return bool(match) and match.group(1) == self.base_url

        wait_until(ready, timeout=timeout, what="the Hevo simulator to listen", watch=[self.proc], interval=0.2)
        return self

    def stop(self) -> None:
        self.proc.stop(grace_s=5)
