"""A throw-away PostgreSQL server for the cluster stack: the machine's server binaries, 127.0.0.1, a free port.

The server runs in the foreground as a managed child (its own process group, stopped with the stack, and
SIGTERMed by the kernel if the harness dies), with its data in a fresh folder that is deleted on stop.
PostgreSQL refuses to run as root, so as root ``initdb`` and ``postgres`` run as the ``postgres`` user that
Debian's package creates, in a folder that user owns and can reach. The one database user gets a random
password (SCRAM), so other users of the machine cannot log in. Durability settings are off: the data is
thrown away, and a fast restart (the fault test) still shuts down cleanly.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from pathlib import Path

from hevo_dagfactory.demo.procs import ManagedProcess, StackError, free_port, run_once, wait_until

DB_NAME = "airflow"
DB_USER = "airflow"
RUN_AS_ROOT = "postgres"  # the OS user that runs the server when we are root (Debian's postgresql package)
INSTALL_HINT = "apt-get update && apt-get install -y postgresql"
#: A throw-away server: no fsync, room for two schedulers, two triggerers, two Celery workers and their tasks.
SERVER_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "max_connections": "300",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
}


def server_bin_dir() -> Path:
    """The folder with ``initdb``, ``postgres`` and ``pg_isready``; ``StackError`` saying how to install them.

    ``initdb`` on the PATH first (e.g. /usr/local/bin links), else Debian's /usr/lib/postgresql/<version>/bin,
    newest version first.
    """
    found = shutil.which("initdb")
    candidates = [Path(found).resolve().parent] if found else []
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2] or 0), reverse=True)
    candidates += [Path(p) for p in versions]
    for folder in candidates:
        if all((folder / tool).is_file() for tool in ("initdb", "postgres", "pg_isready", "createdb")):
            return folder
    sudo = "" if os.geteuid() == 0 else "sudo "
    raise StackError(
        "PostgreSQL's server programs (initdb, postgres) are not installed. Install them with "
        f"`{sudo}{INSTALL_HINT}` (or run `make services` as root), then try again."
    )


def _reachable_by(path: Path, uid: int) -> bool:
    """True when every folder above ``path`` lets ``uid`` pass (search permission for its owner or others)."""
    for parent in path.resolve().parents:
        mode = parent.stat()
        if not (mode.st_mode & stat.S_IXOTH or (mode.st_uid == uid and mode.st_mode & stat.S_IXUSR)):
            return False
    return True


class PostgresServer:
    """One PostgreSQL server with one database, ``start()``-ed and ``stop()``-ped by the cluster stack."""

    def __init__(self, parent: Path, logs_dir: Path, *, port: int | None = None):
        self.port = port or free_port()
        self.password = secrets.token_urlsafe(18)
        self.logs_dir = logs_dir
        self.os_user = RUN_AS_ROOT if os.geteuid() == 0 else None
        self._parent = parent
        self.root: Path | None = None
        self.proc: ManagedProcess | None = None
        self._bin: Path | None = None

    def url(self, driver: str = "postgresql") -> str:
        """SQLAlchemy URL of the database (``driver`` e.g. ``postgresql+psycopg2``); it holds the password."""
        return f"{driver}://{DB_USER}:{self.password}@127.0.0.1:{self.port}/{DB_NAME}"

    def _tool(self, name: str) -> str:
        if self._bin is None:
            self._bin = server_bin_dir()
        return str(self._bin / name)

    def _make_root(self) -> Path:
        """A folder for data and socket that the server's OS user owns and can reach (the stack's, else /tmp)."""
        uid = pwd.getpwnam(self.os_user).pw_uid if self.os_user else os.geteuid()
        base = self._parent if _reachable_by(self._parent / "x", uid) else Path(tempfile.gettempdir())
        root = Path(tempfile.mkdtemp(prefix="postgres-", dir=base))
        root.chmod(0o700)
        if self.os_user:
            os.chown(root, uid, -1)
        return root

    def _initdb(self) -> None:
        assert self.root is not None
        pwfile = self.root / "pwfile"
        pwfile.write_text(self.password + "\n")
        pwfile.chmod(0o600)
        if self.os_user:
            os.chown(pwfile, pwd.getpwnam(self.os_user).pw_uid, -1)
        argv = [self._tool("initdb"), "-D", str(self.root / "data"), "-U", DB_USER, f"--pwfile={pwfile}"]
        argv += ["--auth=scram-sha-256", "--encoding=UTF8", "--no-instructions"]
        try:
            run_once(argv, env=self._env(), cwd=self.root, log=self.logs_dir / "postgres-initdb.log", timeout=120,
                     what="initdb", user=self.os_user)  # fmt: skip
        finally:
            pwfile.unlink(missing_ok=True)

    def _env(self) -> dict[str, str]:
        return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8", "PGPASSWORD": self.password}

    def _launch(self) -> None:
        assert self.root is not None
        argv = [self._tool("postgres"), "-D", str(self.root / "data"), "-p", str(self.port), "-k", str(self.root)]
        for key, value in SERVER_SETTINGS.items():
            argv += ["-c", f"{key}={value}"]
        self.proc = ManagedProcess(
            "postgres", argv, env=self._env(), cwd=self.root, log_path=self.logs_dir / "postgres.log", user=self.os_user
        ).start()
        wait_until(self._ready, timeout=60, what="PostgreSQL to accept connections", watch=[self.proc], interval=0.3)

    def _ready(self) -> bool:
        argv = [self._tool("pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port), "-U", DB_USER]
        return subprocess.run(argv, env=self._env(), timeout=10, check=False).returncode == 0

    def start(self) -> PostgresServer:
        """initdb into a fresh folder, start the server, create the database (about 3 s)."""
        self._tool("initdb")  # says how to install PostgreSQL before anything is created
        self.root = self._make_root()
        self._initdb()
        self._launch()
        createdb = [self._tool("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", DB_USER, DB_NAME]
        run_once(createdb, env=self._env(), cwd=self.root, log=self.logs_dir / "postgres-initdb.log", timeout=60,
                 what="createdb")  # fmt: skip
        return self

    def restart(self, down_s: float = 0.0) -> None:
        """A fast shutdown (every client is disconnected, as in a failover), ``down_s`` of outage, a new start."""
        if self.proc is not None:
            self.proc.signal_group(signal.SIGINT)  # PostgreSQL's "fast" shutdown
            self.proc.stop(grace_s=30)
        time.sleep(down_s)
        self._launch()

    def stop(self) -> None:
        """Stop the server (fast shutdown, then SIGKILL after a grace period) and delete its data."""
        if self.proc is not None:
            self.proc.signal_group(signal.SIGINT)
            self.proc.stop(grace_s=15)
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None
