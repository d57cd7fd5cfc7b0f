"""A real, local Airflow stack plus the Hevo simulator: on Airflow 3.3 the scheduler, dag-processor, triggerer and
api-server; on Airflow 2.11 the scheduler (which parses DAGs itself), triggerer and webserver.

Unit tests cannot show that a deferred task is picked up by a triggerer, survives its crash and resumes on a
worker; this harness runs exactly that, on one machine, in a throw-away AIRFLOW_HOME:

    with AirflowStack(home, dags_folder=..., config_dir=...) as stack:
        stack.sim.script(101, job_duration_s=1.0)
        stack.api.unpause("my_dag"); run_id = stack.api.trigger("my_dag")
        watch = stack.api.wait_for_run("my_dag", run_id)

Everything is configured through environment variables of the child processes only (the caller's own Airflow
configuration, e.g. the test session's, is never touched): SQLite, LocalExecutor, no examples, every server
bound to 127.0.0.1 on a free port, log servers skipped, short refresh intervals so DAGs appear in seconds.
Every process runs in its own process group and is stopped on exit, on an exception, on SIGTERM and on Ctrl-C.
Which pieces a line needs comes from ``hevo_dagfactory.provider.compat.stack_profile()``, asked in a child
process of the stack's own interpreter (this process never imports Airflow).
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

from hevo_dagfactory.demo.client import AirflowClient
from hevo_dagfactory.demo.metadb import MetaDB
from hevo_dagfactory.demo.procs import ManagedProcess, StackError, free_port, stop_all, tail, wait_until
from hevo_dagfactory.demo.simproc import SimulatorAdmin, SimulatorProcess

CONN_ID = "hevo_airflow_conn_id"
ADMIN_USER = "admin"
_STANDIN = Path(__file__).with_name("dbt_standin.sh")


def _clean_env() -> dict[str, str]:
    """The caller's environment without any Airflow or project setting that could leak into the stack."""
    drop = ("AIRFLOW_", "HEVO_DAGFACTORY_", "HEVO_API_", "HEVO_TEST_")
    return {k: v for k, v in os.environ.items() if not k.startswith(drop)}


class AirflowStack:
    """Context manager owning every process of one local stack; see the module docstring."""

    def __init__(
        self,
        home: Path,
        *,
        dags_folder: Path,
        config_dir: Path | None = None,
        api_key: str | None = None,
        api_secret: str | None = None,
        extra_env: dict[str, str] | None = None,
        start_timeout: float = 240.0,
        with_simulator: bool = True,
        triggerer_capacity: int | None = None,
    ):
        self.home = Path(home).resolve()
        self.dags_folder = Path(dags_folder).resolve()
        self.config_dir = Path(config_dir).resolve() if config_dir else None
        self.api_key = api_key or f"demo-key-{secrets.token_hex(4)}"
        # Distinctive and random so a leak check can grep for it with no false positive.
        self.api_secret = api_secret or f"hevo-secret-{secrets.token_hex(16)}"
        self.extra_env = dict(extra_env or {})
        self.start_timeout = start_timeout
        self.with_simulator = with_simulator
        # A small capacity forces triggers to spread over several triggerers (the two-triggerer fault test).
        self.triggerer_capacity = triggerer_capacity
        self.password = secrets.token_urlsafe(12)
        self.api_port = free_port()
        self.api_url = f"http://127.0.0.1:{self.api_port}"
        self.logs_dir = self.home / "logs"
        self.dbt_calls_log = self.home / "dbt-standin-calls.log"
        self.db = MetaDB(self.home / "airflow.db")
        self.api = AirflowClient(self.api_url, ADMIN_USER, self.password)
        self.simulator: SimulatorProcess | None = None
        self.procs: dict[str, ManagedProcess] = {}
        self.extra_triggerers: list[ManagedProcess] = []
        self._env: dict[str, str] | None = None
        self._profile: dict[str, Any] | None = None
        self._old_sigterm: Any = None
        self._started = False

    # -- configuration ------------------------------------------------------------------------------------------
    @property
    def sim(self) -> SimulatorAdmin:
        if self.simulator is None:
            raise StackError("the stack is not started")
        return self.simulator.admin

    @property
    def ui_login(self) -> tuple[str, str]:
        """(user, password) for the Airflow UI at ``api_url``."""
        return ADMIN_USER, self.password

    def connection_json(self, sim_port: int) -> str:
        """The Hevo connection the workflows use: an HTTP connection to the simulator, key as login."""
        return json.dumps(
            {
                "conn_type": "http",
                "host": "127.0.0.1",
                "port": sim_port,
                "schema": "http",
                "login": self.api_key,
                "password": self.api_secret,
            }
        )

    @property
    def profile(self) -> dict[str, Any]:
        """``compat.stack_profile()`` of the interpreter that runs the stack (asked once, about 2 s)."""
        if self._profile is None:
            self.home.mkdir(parents=True, exist_ok=True)
            env = _clean_env()
            env.update({
                "AIRFLOW_HOME": str(self.home),
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{self.home / 'airflow.db'}",
            })
            proc = subprocess.run(  # noqa: S603
                [sys.executable, "-m", "hevo_dagfactory.provider.compat"],
                env=env, cwd=self.home, capture_output=True, text=True, timeout=120,
            )
            if proc.returncode != 0:
                raise StackError(f"could not ask Airflow which stack it needs:\n{proc.stderr[-2000:]}")
            self._profile = json.loads(proc.stdout.strip().splitlines()[-1])
            self.api.configure(self._profile)
        return self._profile

    @property
    def ui_name(self) -> str:
        """``api-server`` (Airflow 3) or ``webserver`` (Airflow 2): the process that serves the UI and REST API."""
        return str(self.profile["ui"])

    def env(self) -> dict[str, str]:
        """Environment of every Airflow process (built once per stack)."""
        if self._env is not None:
            return self._env
        if self.with_simulator and self.simulator is None:
            raise StackError("start the simulator before building the Airflow environment")
        bin_dir = self.home / "bin"
        env = _clean_env()
        venv_bin = str(Path(sys.executable).parent)
        env["PATH"] = os.pathsep.join([str(bin_dir), venv_bin, env.get("PATH", "/usr/bin:/bin")])
        a = "AIRFLOW__"
        env.update(
            {
                "AIRFLOW_HOME": str(self.home),
                f"{a}CORE__DAGS_FOLDER": str(self.dags_folder),
                f"{a}CORE__LOAD_EXAMPLES": "False",
                f"{a}CORE__EXECUTOR": str(self.profile["executor"]),
                f"{a}CORE__PARALLELISM": "8",
                f"{a}CORE__FERNET_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
                f"{a}CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
                f"{a}DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{self.home / 'airflow.db'}",
                f"{a}LOGGING__BASE_LOG_FOLDER": str(self.logs_dir),
                f"{a}LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
                f"{a}LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
                f"{a}LOGGING__DAG_PROCESSOR_CHILD_PROCESS_LOG_DIRECTORY": str(self.logs_dir / "dag_processor"),
                # New files and DAGs show up within seconds, without re-parsing every file all the time.
                f"{a}DAG_PROCESSOR__REFRESH_INTERVAL": "5",
                f"{a}DAG_PROCESSOR__BUNDLE_REFRESH_CHECK_INTERVAL": "2",
                f"{a}DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "30",
                f"{a}DAG_PROCESSOR__PARSING_PROCESSES": "1",
                f"{a}DAG_PROCESSOR__PRINT_STATS_INTERVAL": "300",
                f"{a}SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
                f"{a}SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": "0.5",
                f"{a}SCHEDULER__ENABLE_HEALTH_CHECK": "False",
                # A killed triggerer's triggers move to a live one after 10 s instead of 30 s.
                f"{a}TRIGGERER__JOB_HEARTBEAT_SEC": "2",
                f"{a}TRIGGERER__TRIGGERER_HEALTH_CHECK_THRESHOLD": "10",
                "HEVO_DBT_STANDIN_LOG": str(self.dbt_calls_log),
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update(self._ui_env(a))
        if self.simulator is not None:  # the workflows' Hevo connection points at the simulator
            env[f"AIRFLOW_CONN_{CONN_ID.upper()}"] = self.connection_json(self.simulator.port)
        if self.config_dir is not None:
            env["HEVO_DAGFACTORY_CONFIG_DIR"] = str(self.config_dir)
        env.update(self.extra_env)
        self._env = env
        return env

    def _ui_env(self, a: str) -> dict[str, str]:
        """Settings of the UI/API process and its login, which differ between the lines."""
        if self.ui_name == "api-server":  # Airflow 3: FastAPI api-server, simple auth manager, Execution API
            return {
                f"{a}CORE__EXECUTION_API_SERVER_URL": f"{self.api_url}/execution/",
                f"{a}CORE__AUTH_MANAGER": (
                    "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
                ),
                f"{a}CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN_USER}:admin",
                f"{a}CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(self.home / "simple_auth_manager_passwords.json"),
                f"{a}API__HOST": "127.0.0.1",
                f"{a}API__PORT": str(self.api_port),
                f"{a}API__BASE_URL": self.api_url,
                f"{a}API__WORKERS": "1",
                f"{a}API__SECRET_KEY": secrets.token_hex(16),
                f"{a}API_AUTH__JWT_SECRET": secrets.token_hex(32),
            }
        # Airflow 2: Flask webserver with FAB users; the REST API takes basic auth; the scheduler parses DAGs.
        return {
            f"{a}WEBSERVER__WEB_SERVER_HOST": "127.0.0.1",
            f"{a}WEBSERVER__WEB_SERVER_PORT": str(self.api_port),
            f"{a}WEBSERVER__BASE_URL": self.api_url,
            f"{a}WEBSERVER__WORKERS": "1",
            f"{a}WEBSERVER__SECRET_KEY": secrets.token_hex(16),
            f"{a}WEBSERVER__WARN_DEPLOYMENT_EXPOSURE": "False",
            f"{a}API__AUTH_BACKENDS": "airflow.api.auth.backend.basic_auth",
            f"{a}API__ENABLE_XCOM_DESERIALIZE_SUPPORT": "True",
            f"{a}SCHEDULER__DAG_DIR_LIST_INTERVAL": "5",
            f"{a}SCHEDULER__MIN_FILE_PROCESS_INTERVAL": "30",
            f"{a}SCHEDULER__PARSING_PROCESSES": "1",
            f"{a}SCHEDULER__PRINT_STATS_INTERVAL": "300",
            f"{a}SCHEDULER__STANDALONE_DAG_PROCESSOR": "False",
        }

    # -- lifecycle ----------------------------------------------------------------------------------------------
    def __enter__(self) -> AirflowStack:
        self._install_signal_handler()
        try:
            self.start()
        except BaseException:
            self.stop()
            self._restore_signal_handler()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            self.stop()
        finally:
            self._restore_signal_handler()

    def _install_signal_handler(self) -> None:
        """Turn SIGTERM into KeyboardInterrupt so ``__exit__`` runs and every child is stopped."""
        try:
            self._old_sigterm = signal.signal(signal.SIGTERM, self._on_sigterm)
        except ValueError:  # not the main thread: the caller owns signal handling
            self._old_sigterm = None

    def _restore_signal_handler(self) -> None:
        if self._old_sigterm is not None:
            try:
                signal.signal(signal.SIGTERM, self._old_sigterm)
            except ValueError:
                pass
            self._old_sigterm = None

    @staticmethod
    def _on_sigterm(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    def _prepare_home(self) -> None:
        for sub in ("logs", "bin"):
            (self.home / sub).mkdir(parents=True, exist_ok=True)
        dbt = self.home / "bin" / "dbt"
        shutil.copyfile(_STANDIN, dbt)
        dbt.chmod(0o755)
        # The simple auth manager reads the admin's password from this file (it would generate one otherwise).
        pw_file = self.home / "simple_auth_manager_passwords.json"
        pw_file.write_text(json.dumps({ADMIN_USER: self.password}))
        pw_file.chmod(0o600)

    def _airflow(self, name: str, *args: str) -> ManagedProcess:
        argv = [sys.executable, "-m", "airflow", *args]
        return ManagedProcess(name, argv, env=self.env(), cwd=self.home, log_path=self.logs_dir / f"{name}.log")

    def migrate(self, timeout: float = 300.0) -> None:
        """``airflow db migrate`` into the fresh SQLite file (the slowest step of start-up, about 20 s)."""
        log = self.logs_dir / "db-migrate.log"
        with open(log, "ab") as out:
            try:
                proc = subprocess.run(  # noqa: S603
                    [sys.executable, "-m", "airflow", "db", "migrate"],
                    env=self.env(),
                    cwd=self.home,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    timeout=timeout,
                    start_new_session=True,
                )
            except subprocess.TimeoutExpired as exc:
                raise StackError(f"airflow db migrate took over {timeout:.0f}s; see {log}") from exc
        if proc.returncode != 0:
            raise StackError(f"airflow db migrate failed (code {proc.returncode}); see {log}:\n{tail(log)}")

    def start(self) -> None:
        """Start everything and wait (bounded) until the api-server reports every component healthy."""
        if self._started:
            return
        self._started = True
        self._prepare_home()
        if self.with_simulator:
            self.simulator = SimulatorProcess(
                self.home, api_key=self.api_key, api_secret=self.api_secret, env=_clean_env()
            ).start()
        self.migrate()
        if self.ui_name == "api-server":
            self.procs["api-server"] = self._airflow(
                "api-server", "api-server", "--host", "127.0.0.1", "--port", str(self.api_port), "--workers", "1"
            ).start()
        else:
            self._create_fab_admin()
            self.procs["webserver"] = self._airflow(
                "webserver", "webserver", "--hostname", "127.0.0.1", "--port", str(self.api_port), "--workers", "1"
            ).start()
        self.procs["scheduler"] = self._airflow("scheduler", "scheduler", "--skip-serve-logs").start()
        if "dag-processor" in self.profile["components"]:
            self.procs["dag-processor"] = self._airflow("dag-processor", "dag-processor").start()
        self.procs["triggerer"] = self._airflow("triggerer", *self._triggerer_args()).start()
        self.wait_healthy(timeout=self.start_timeout)

    def _create_fab_admin(self, timeout: float = 120.0) -> None:
        """Airflow 2.x: the webserver's login is a Flask-AppBuilder user, made with ``airflow users create``."""
        log = self.logs_dir / "users-create.log"
        argv = [
            sys.executable, "-m", "airflow", "users", "create", "--username", ADMIN_USER, "--role", "Admin",
            "--firstname", "Demo", "--lastname", "Admin", "--email", "admin@example.invalid",
            "--password", self.password,
        ]
        with open(log, "ab") as out:
            try:
                proc = subprocess.run(  # noqa: S603 - the password is random per run and only on this machine
                    argv, env=self.env(), cwd=self.home, stdout=out, stderr=subprocess.STDOUT,
                    timeout=timeout, start_new_session=True,
                )
            except subprocess.TimeoutExpired as exc:
                raise StackError(f"airflow users create took over {timeout:.0f}s; see {log}") from exc
        if proc.returncode != 0:
            raise StackError(f"airflow users create failed (code {proc.returncode}); see {log}:\n{tail(log)}")

    def wait_healthy(self, timeout: float = 120.0, components: tuple[str, ...] | None = None) -> None:
        """Block until the api-server (webserver on 2.x) answers and reports ``components`` healthy.

        ``None`` means every component the line reports (``compat.stack_profile()["healthy"]``).
        """
        if components is None:
            components = tuple(self.profile["healthy"])

        def healthy() -> bool:
            health = self.api.health()
            return all((health.get(c) or {}).get("status") == "healthy" for c in components)

        wait_until(healthy, timeout=timeout, what="Airflow to report healthy", watch=list(self.procs.values()), interval=1.0)
        wait_until(lambda: self.api.login() is None, timeout=30, what=f"the {self.ui_name} login", watch=[self.procs[self.ui_name]])

    def stop(self) -> None:
        """Stop every process we started; safe to call twice.

        SIGTERM goes to every Airflow component at once (they shut down in parallel, not one grace period
        after another), then whatever is still running after the grace period gets SIGKILL. The simulator
        goes last, so a component finishing a request on its way out still gets an answer.
        """
        airflow = [*self.extra_triggerers, *list(self.procs.values())[::-1]]
        stop_all(airflow, grace_s=10)
        if self.simulator is not None:
            self.simulator.stop()

    # -- triggerers, for fault tests ---------------------------------------------------------------------------------
    def _triggerer_args(self) -> list[str]:
        args = ["triggerer", "--skip-serve-logs"]
        if self.triggerer_capacity:
            args += ["--capacity", str(self.triggerer_capacity)]
        return args

    def live_triggerer_processes(self) -> list[ManagedProcess]:
        """Triggerer processes of this stack that are still running."""
        procs = [self.procs["triggerer"]] if "triggerer" in self.procs else []
        return [p for p in procs + self.extra_triggerers if p.alive()]

    def start_triggerer(self) -> ManagedProcess:
        """Start one more triggerer process (``airflow triggerer --skip-serve-logs``) and return it."""
        n = len(self.extra_triggerers) + 2
        proc = self._airflow(f"triggerer-{n}", *self._triggerer_args()).start()
        self.extra_triggerers.append(proc)
        return proc

    def live_triggerer_ids(self, max_age_s: float = 10.0) -> list[int]:
        """Job ids of running triggerers whose heartbeat is recent (from the metadata DB)."""
        from datetime import datetime, timezone

        now = datetime.now(timezone.utc)
        out = []
        for job in self.db.triggerer_jobs():
            if job["state"] != "running" or not job["latest_heartbeat"]:
                continue
            beat = datetime.fromisoformat(str(job["latest_heartbeat"]))
            if beat.tzinfo is None:
                beat = beat.replace(tzinfo=timezone.utc)
            if (now - beat).total_seconds() <= max_age_s:
                out.append(int(job["id"]))
        return out

    def all_processes(self) -> list[ManagedProcess]:
        procs = list(self.procs.values()) + list(self.extra_triggerers)
        if self.simulator is not None:
            procs.append(self.simulator.proc)
        return procs

    def task_log_files(self, dag_id: str, run_id: str | None = None) -> list[Path]:
        """Task log files on disk for a DAG (optionally one run), as the workers and triggerers wrote them."""
        root = self.logs_dir / f"dag_id={dag_id}"
        if not root.exists():
            return []
        files = [p for p in root.rglob("*") if p.is_file()]
        if run_id is not None:
            files = [p for p in files if f"run_id={run_id}" in str(p)]
        return sorted(files)

    def wait_for_trigger(self, dag_id: str, *, timeout: float = 60.0, assigned: bool = True) -> list[Any]:
        """Block until a trigger of ``dag_id`` exists (and, if ``assigned``, a triggerer has picked it up)."""
        found: list[Any] = []

        def present() -> bool:
            rows = self.db.triggers(dag_id)
            found[:] = [r for r in rows if r.triggerer_id is not None or not assigned]
            return bool(found)

        wait_until(present, timeout=timeout, what=f"a trigger of {dag_id}", watch=list(self.procs.values()), interval=0.3)
        return found

    def describe(self) -> str:
        return (
            f"Airflow UI/API: {self.api_url}  (user {ADMIN_USER}, password {self.password})\n"
            f"AIRFLOW_HOME:   {self.home}  (component logs in {self.logs_dir})\n"
            f"Simulator:      {self.simulator.base_url if self.simulator else '-'}"
        )

