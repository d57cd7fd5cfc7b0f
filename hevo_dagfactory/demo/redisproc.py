"""A throwaway ``redis-server`` on a free 127.0.0.1 port: the shared rate-budget store of tests, benchmarks and stacks.

Nothing is saved (``--save "" --appendonly no``): a restart is a store that lost its memory, which is
one of the faults the budget must survive. The server is the machine's Debian ``redis-server``
(``make services`` installs it); readiness is checked with a bare RESP ``PING`` so the harness needs
no Redis client library.
"""

from __future__ import annotations

import shutil
import socket
import time
from pathlib import Path

from hevo_dagfactory.demo.procs import ManagedProcess, StackError, free_port, wait_until

INSTALL_HINT = "install it with `make services` (or: sudo apt-get update && sudo apt-get install -y redis-server)"


def resp_command(port: int, *args: str, timeout: float = 5.0) -> str:
    """Send one command in RESP to 127.0.0.1:``port`` and return the first line of the answer."""
    payload = f"*{len(args)}\r\n" + "".join(f"${len(a.encode())}\r\n{a}\r\n" for a in args)
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(payload.encode())
        data = b""
        while not data.endswith(b"\r\n"):
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    return data.decode(errors="replace").strip()


class RedisProcess:
    """``redis-server`` on 127.0.0.1 in its own process group, its log in ``<home>/redis.log``."""

    def __init__(self, home: Path, *, port: int | None = None) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise StackError(f"redis-server is not installed; {INSTALL_HINT}.")
        self.home = Path(home)
        self.port = port or free_port()
        argv = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        # DEBUG SLEEP (a store that stalls) only from this machine; the server binds nothing else anyway
        argv += ["--dir", str(self.home), "--protected-mode", "yes", "--enable-debug-command", "local"]
        self.proc = ManagedProcess("redis", argv, env={}, cwd=self.home, log_path=self.home / "redis.log")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def ping(self) -> bool:
        try:
            return resp_command(self.port, "PING", timeout=1.0) == "+PONG"
        except OSError:
            return False

    def start(self, *, timeout: float = 20.0) -> RedisProcess:
        self.home.mkdir(parents=True, exist_ok=True)
        self.proc.start()
        wait_until(
            self.ping, timeout=timeout, what=f"redis-server on port {self.port}", watch=[self.proc], interval=0.05
        )
        return self

    def stop(self) -> None:
        self.proc.stop(grace_s=5)

    def kill(self) -> None:
        """SIGKILL: the store vanishes mid-call, with everything it held."""
        self.proc.kill()

    def restart(self, *, timeout: float = 20.0) -> RedisProcess:
        """Start again on the same port (empty: nothing was saved). Waits for the old port to be free."""
        deadline = time.monotonic() + timeout
        while self.ping() and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.start(timeout=max(1.0, deadline - time.monotonic()))

    def command(self, *args: str) -> str:
        return resp_command(self.port, *args)
