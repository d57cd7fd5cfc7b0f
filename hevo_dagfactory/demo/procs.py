"""Child processes that can never outlive the harness that started them.

Every Airflow component and the simulator runs in its own process group, so stopping one also stops the
workers, log servers and parsing processes it forked. Output goes to a log file under the stack's home
(never to our terminal), and the last lines of that file go into any error we raise, so a failed start says
why without making the user dig.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

_PR_SET_PDEATHSIG = 1


class StackError(RuntimeError):
    """The local stack could not start or a component misbehaved; the message says what to look at."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _load_prctl() -> Callable[..., int] | None:
    """libc's prctl, resolved once in the parent: the child between fork and exec must not load libraries."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL("libc.so.6", use_errno=True).prctl  # type: ignore[no-any-return]
    except (OSError, AttributeError):
        return None


_PRCTL = _load_prctl()


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Ask Linux to SIGTERM the child if the harness dies without cleaning up (e.g. it was SIGKILLed)."""
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGTERM)


def tail(path: Path, lines: int = 30) -> str:
    """The last lines of a log file, for error messages."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])


def run_once(
    argv: Sequence[str],
    *,
    env: dict[str, str],
    cwd: Path,
    log: Path,
    timeout: float,
    what: str,
    user: str | None = None,
) -> None:
    """Run a one-shot command (``airflow db migrate``, ``initdb``) to completion, output in ``log``.

    ``user``: run it as that OS user (root only; PostgreSQL refuses to run as root). Raises ``StackError``
    naming ``what`` and the log (with its last lines) when it fails or overruns ``timeout``.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        try:
            proc = subprocess.run(
                list(argv),
                env=env,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                start_new_session=True,
                user=user,
            )
        except subprocess.TimeoutExpired as exc:
            raise StackError(f"{what} took over {timeout:.0f}s; see {log}:\n{tail(log)}") from exc
    if proc.returncode != 0:
        raise StackError(f"{what} failed (code {proc.returncode}); see {log}:\n{tail(log)}")


class ManagedProcess:
    """One long-running child in its own process group, with its output in ``log_path``."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        env: dict[str, str],
        cwd: Path,
        log_path: Path,
        redact: Sequence[str] = (),
        user: str | None = None,
    ):
        self.name = name
        self.user = user  # run as this OS user (root only), e.g. PostgreSQL's "postgres"
        self.argv = list(argv)
        self.redact = [r for r in redact if r]
        self.env = env
        self.cwd = cwd
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> ManagedProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            shown = " ".join(self.argv)
            for secret in self.redact:  # a secret passed on the command line never reaches the log
                shown = shown.replace(secret, "***")
            log.write(f"\n==> starting {self.name}: {shown}\n".encode())
            log.flush()
            self.proc = subprocess.Popen(
                self.argv,
                env=self.env,
                cwd=self.cwd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own process group: killpg reaches every descendant
                preexec_fn=_die_with_parent if _PRCTL is not None else None,
                user=self.user,
            )
        return self

    @property
    def pid(self) -> int:
        if self.proc is None:
            raise StackError(f"{self.name} was never started")
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def signal_group(self, sig: int) -> None:
        """Send ``sig`` to the whole process group (ignored when the group is already gone)."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def kill(self) -> None:
        """SIGKILL the group at once: the crash a fault test needs (no clean shutdown, no heartbeat update)."""
        self.signal_group(signal.SIGKILL)
        if self.proc is not None:
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL cannot be ignored
                pass

    def stop(self, grace_s: float = 15.0) -> None:
        """SIGTERM the group, give it ``grace_s`` to exit cleanly, then SIGKILL whatever is left."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.signal_group(signal.SIGTERM)
            try:
                self.proc.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                pass
        # The leader may be gone while forked helpers (log servers, task runners) still live: kill the group.
        self.signal_group(signal.SIGKILL)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:  # pragma: no cover
            pass

    def log_tail(self, lines: int = 30) -> str:
        return tail(self.log_path, lines)

    def describe_failure(self, what: str) -> str:
        code = self.proc.poll() if self.proc else None
        status = f"exited with code {code}" if code is not None else "is still running"
        return f"{what}: {self.name} {status}. Its log is {self.log_path}; last lines:\n{self.log_tail()}"


def stop_all(procs: Sequence[ManagedProcess], grace_s: float = 10.0) -> None:
    """SIGTERM every group at once, wait up to ``grace_s`` in total, then SIGKILL what is left."""
    for proc in procs:
        if proc.alive():
            proc.signal_group(signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    for proc in procs:
        if proc.proc is not None:
            try:
                proc.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
    for proc in procs:
        proc.stop(grace_s=0.1)  # SIGKILLs the leftovers of each group (forked helpers included)


def wait_until(
    predicate: Callable[[], bool],
    *,
    timeout: float,
    what: str,
    interval: float = 0.5,
    watch: Sequence[ManagedProcess] = (),
) -> None:
    """Poll ``predicate`` until true; fail fast if a watched process dies, fail clearly at ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if predicate():
                return
        except Exception:  # noqa: BLE001 - a not-yet-ready server may answer anything
            pass
        for proc in watch:
            if not proc.alive():
                raise StackError(proc.describe_failure(f"while waiting for {what}"))
        if time.monotonic() >= deadline:
            logs = "\n\n".join(p.describe_failure("still not ready") for p in watch)
            raise StackError(f"timed out after {timeout:.0f}s waiting for {what}.\n{logs}")
        time.sleep(interval)
