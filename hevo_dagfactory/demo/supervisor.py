"""Restart the Airflow components of a stack that exit, as Kubernetes or systemd does for a production Airflow.

Airflow's schedulers, triggerers and dag-processor exit when the metadata database stays unreachable past
their few retries (a PostgreSQL restart or failover); a production deployment relies on its supervisor
(a pod's ``restartPolicy: Always``, systemd's ``Restart=always``) to start them again. The fault tests
that take the database away run the stack under this supervisor for exactly that span:

    with Supervisor(stack) as supervisor:
        stack.postgres.restart(down_s=3)
        ...
    supervisor.restarts  # [("scheduler-1", 1), ...]: who exited, with which code
"""

from __future__ import annotations

import threading
import time
from types import TracebackType
from typing import Protocol

from hevo_dagfactory.demo.procs import ManagedProcess


class Restartable(Protocol):
    procs: dict[str, ManagedProcess]

    def restart(self, name: str) -> ManagedProcess: ...


class Supervisor:
    """While entered, starts again (after ``backoff_s``) every component of ``stack`` that exited."""

    def __init__(self, stack: Restartable, *, interval_s: float = 1.0, backoff_s: float = 2.0):
        self.stack = stack
        self.interval_s = interval_s
        self.backoff_s = backoff_s
        self.restarts: list[tuple[str, int | None]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="stack-supervisor", daemon=True)

    def __enter__(self) -> Supervisor:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=60)

    def _watch(self) -> None:
        dead_since: dict[str, float] = {}
        while not self._stop.wait(self.interval_s):
            for name, proc in list(self.stack.procs.items()):
                if proc.alive():
                    dead_since.pop(name, None)
                    continue
                since = dead_since.setdefault(name, time.monotonic())
                if time.monotonic() - since >= self.backoff_s:  # a crash loop backs off, as Kubernetes does
                    code = proc.proc.poll() if proc.proc is not None else None
                    self.stack.restart(name)
                    self.restarts.append((name, code))
                    dead_since.pop(name, None)
