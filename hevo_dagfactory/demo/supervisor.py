"""Restart the Airflow components of a stack that exit, as Kubernetes or systemd does for a production Airflow.

Airflow's schedulers, triggerers and dag-processor exit when the metadata database stays unreachable past
their few retries (a PostgreSQL restart or failover); a production deployment relies on its supervisor
(a pod's ``restartPolicy: Always``, systemd's ``Restart=always``) to start them again. The fault tests
that take the database away let the stack's supervisor watch for exactly that span:

    with stack.supervisor.watching():
        stack.postgres.restart(down_s=3)
        ...
    stack.supervisor.restarts  # [("scheduler-1", 1), ...]: who exited, with which code

The watching thread lives as long as the stack, not as long as one ``with`` block: every child gets SIGTERM
from the kernel when the *thread* that started it ends (the parent-death signal of procs.py is per thread),
so a thread that ended after its block would take the components it restarted down with it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from hevo_dagfactory.demo.procs import ManagedProcess


class Restartable(Protocol):
    procs: dict[str, ManagedProcess]

    def restart(self, name: str) -> ManagedProcess: ...


class Supervisor:
    """While :meth:`watching`, starts again (after ``backoff_s``) every component of ``stack`` that exited."""

    def __init__(self, stack: Restartable, *, interval_s: float = 1.0, backoff_s: float = 2.0):
        self.stack = stack
        self.interval_s = interval_s
        self.backoff_s = backoff_s
        self.restarts: list[tuple[str, int | None]] = []
        self._active = threading.Event()
        self._closed = threading.Event()
        self._lock = threading.Lock()  # held while a restart is under way
        self._thread: threading.Thread | None = None

    @contextmanager
    def watching(self) -> Iterator[Supervisor]:
        """Restart what exits until the block ends (the thread itself stays, idle, until :meth:`close`)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._watch, name="stack-supervisor", daemon=True)
            self._thread.start()
        self._active.set()
        try:
            yield self
        finally:
            self._active.clear()
            with self._lock:  # a restart begun just before the block ended is finished, not cut short
                pass

    def close(self) -> None:
        """Stop watching for good (the stack is stopping); the processes this thread started get SIGTERM."""
        self._active.clear()
        self._closed.set()
        if self._thread is not None:
            self._thread.join(timeout=60)

    def _watch(self) -> None:
        dead_since: dict[str, float] = {}
        while not self._closed.wait(self.interval_s):
            if not self._active.is_set():
                dead_since.clear()
                continue
            with self._lock:
                for name, proc in list(self.stack.procs.items()):
                    if proc.alive() or not self._active.is_set():
                        dead_since.pop(name, None)
                        continue
                    since = dead_since.setdefault(name, time.monotonic())
                    if time.monotonic() - since >= self.backoff_s:  # a crash loop backs off, as Kubernetes does
                        code = proc.proc.poll() if proc.proc is not None else None
                        self.stack.restart(name)
                        self.restarts.append((name, code))
                        dead_since.pop(name, None)
