"""A throw-away Redis server (the Celery broker of the cluster stack): 127.0.0.1, a free port, no persistence.

Started from a config file in a private folder (the password stays out of the process list), as a managed
child that stops with the stack and dies with the harness. Deleted with its folder on stop.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from pathlib import Path

from hevo_dagfactory.demo.procs import ManagedProcess, StackError, free_port, wait_until

INSTALL_HINT = "apt-get update && apt-get install -y redis-server"


def redis_server_binary() -> str:
    """Path of ``redis-server``; ``StackError`` saying how to install it when it is missing."""
    found = shutil.which("redis-server")
    if found:
        return found
    sudo = "" if os.geteuid() == 0 else "sudo "
    raise StackError(
        f"redis-server is not installed. Install it with `{sudo}{INSTALL_HINT}` (or run `make services` as root), "
        "then try again."
    )


class RedisServer:
    """One Redis server with a random password; ``url(db)`` is what Celery's ``broker_url`` takes."""

    def __init__(self, parent: Path, logs_dir: Path, *, port: int | None = None):
        self.port = port or free_port()
        self.password = secrets.token_hex(16)
        self.logs_dir = logs_dir
        self._parent = parent
        self.root: Path | None = None
        self.proc: ManagedProcess | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://:{self.password}@127.0.0.1:{self.port}/{db}"

    def start(self, timeout: float = 30.0) -> RedisServer:
        binary = redis_server_binary()
        self.root = Path(tempfile.mkdtemp(prefix="redis-", dir=self._parent))
        conf = self.root / "redis.conf"
        conf.write_text(
            f"port {self.port}\nbind 127.0.0.1\nprotected-mode yes\nrequirepass {self.password}\n"
            f'save ""\nappendonly no\ndir {self.root}\ndaemonize no\nloglevel notice\n'
        )
        conf.chmod(0o600)
        log = self.logs_dir / "redis.log"
        self.proc = ManagedProcess("redis", [binary, str(conf)], env=dict(os.environ), cwd=self.root, log_path=log)
        self.proc.start()
        wait_until(
            lambda: "Ready to accept connections" in log.read_text(errors="replace").rsplit("==> starting", 1)[-1],
            timeout=timeout,
            what="Redis to accept connections",
            watch=[self.proc],
            interval=0.2,
        )
        return self

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop(grace_s=5)
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None
