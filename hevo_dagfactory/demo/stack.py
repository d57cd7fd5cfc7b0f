"""A real, local Airflow stack plus the Hevo simulator, started and stopped as one.

Unit tests cannot show that a deferred task is picked up by a triggerer, survives its crash and resumes on a
worker; this harness runs exactly that, on one machine, in a throw-away AIRFLOW_HOME:

    with AirflowStack(home, dags_folder=..., config_dir=...) as stack:
        stack.sim.script(101, job_duration_s=1.0)
        stack.api.unpause("my_dag"); run_id = stack.api.trigger("my_dag")
        watch = stack.api.wait_for_run("my_dag", run_id)

Which processes run, with which executor and settings, comes from the line's profile
(``compat.stack_profile()``, see stackenv.py): on Airflow 3.3 the api-server, scheduler, dag-processor and
triggerer with the LocalExecutor; on 2.11 the webserver, scheduler (which parses DAGs itself) and triggerer
with the SequentialExecutor (Airflow 2 refuses the LocalExecutor on SQLite). Always SQLite, no examples,
every server on 127.0.0.1 on a free port, log servers skipped, short refresh intervals so DAGs appear in
seconds. Every process runs in its own process group and is stopped on exit, on an exception, on SIGTERM and
on Ctrl-C. This process never imports Airflow.
"""

from __future__ import annotations

import json
import secrets
import signal
import sys
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

from hevo_dagfactory.demo.client import AirflowClient
from hevo_dagfactory.demo.dbtsetup import DbtSetup
from hevo_dagfactory.demo.metadb import MetaDB
from hevo_dagfactory.demo.procs import ManagedProcess, StackError, free_port, run_once, stop_all, wait_until
from hevo_dagfactory.demo.simproc import SimulatorAdmin, SimulatorProcess
from hevo_dagfactory.demo.stackenv import (
    ADMIN_USER,
    CONN_ID,
    airflow_env,
    ask_profile,
    clean_env,
    connection_json,
    fill,
)
from hevo_dagfactory.demo.triggerers import MAIN as TRIGGERER
from hevo_dagfactory.demo.triggerers import TriggererPool


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
        dbt_venv: Path | None = None,
        raw_data_projects: tuple[Path, ...] = (),
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
        self.password = secrets.token_urlsafe(12)
        self.api_port = free_port()
        self.api_url = f"http://127.0.0.1:{self.api_port}"
        self.logs_dir = self.home / "logs"
        # dbt_venv's dbt and dbt-ol lead the PATH of every Airflow process (None: whatever dbt PATH has).
        self.dbt = DbtSetup(self.home, Path(dbt_venv).resolve() if dbt_venv else None)
        self.raw_data_projects = tuple(Path(p).resolve() for p in raw_data_projects)  # see dbtsetup.py
        self._oneshots: list[ManagedProcess] = []
        self.db = MetaDB(self.home / "airflow.db")
        self.triggerers = TriggererPool(self, capacity=triggerer_capacity)
        self.simulator: SimulatorProcess | None = None
        self.procs: dict[str, ManagedProcess] = {}
        self._api = AirflowClient(self.api_url, ADMIN_USER, self.password)
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

    @property
    def profile(self) -> dict[str, Any]:
        """``compat.stack_profile()`` of the interpreter that runs the stack (asked once, about 2 s)."""
        if self._profile is None:
            self._profile = ask_profile(self.home)
            self._api.configure(self._profile["api"])
        return self._profile

    @property
    def api(self) -> AirflowClient:
        """The REST client of this stack's UI process, speaking its line's API (from the profile)."""
        self.profile  # noqa: B018 - asking for the profile once configures the client
        return self._api

    @property
    def ui_name(self) -> str:
        """The process that serves the UI and REST API (``api-server`` on Airflow 3, ``webserver`` on 2)."""
        return str(self.profile["ui"])

    def _values(self) -> dict[str, str]:
        """What the profile's ``{name}`` fields stand for in this stack."""
        pw_file = self.profile["password_file"]
        return {
            "api_url": self.api_url,
            "api_port": str(self.api_port),
            "home": str(self.home),
            "logs_dir": str(self.logs_dir),
            "user": ADMIN_USER,
            "password": self.password,
            "password_file": str(self.home / pw_file) if pw_file else "",
        }

    def env(self) -> dict[str, str]:
        """Environment of every Airflow process (built once per stack)."""
        if self._env is not None:
            return self._env
        if self.with_simulator and self.simulator is None:
            raise StackError("start the simulator before building the Airflow environment")
        env = airflow_env(
            self.profile,
            self._values(),
            home=self.home,
            dags_folder=self.dags_folder,
            logs_dir=self.logs_dir,
        )
        env.update(self.dbt.env())
        if self.simulator is not None:  # the workflows' Hevo connection points at the simulator
            env[f"AIRFLOW_CONN_{CONN_ID.upper()}"] = connection_json(self.simulator.port, self.api_key, self.api_secret)
        if self.config_dir is not None:
            env["HEVO_DAGFACTORY_CONFIG_DIR"] = str(self.config_dir)
        env.update(self.extra_env)
        self._env = env
        return env

    def planned_processes(self) -> dict[str, list[str]]:
        """Every long-running component to start, in order: name -> ``airflow`` argv (filled in)."""
        values = self._values()
        return {
            name: self.triggerers.args() if name == TRIGGERER else [fill(a, values) for a in args]
            for name, args in self.profile["processes"].items()
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
        self.dbt.prepare(self.home / "bin")
        pw_file = self.profile["password_file"]
        if pw_file:  # the simple auth manager reads the admin's password here (it would generate one otherwise)
            path = self.home / pw_file
            path.write_text(json.dumps({ADMIN_USER: self.password}))
            path.chmod(0o600)

    def airflow_process(self, name: str, *args: str) -> ManagedProcess:
        """``airflow <args>`` as a managed child of this stack (not started), logging to ``logs/<name>.log``."""
        argv = [sys.executable, "-m", "airflow", *args]
        return ManagedProcess(name, argv, env=self.env(), cwd=self.home, log_path=self.logs_dir / f"{name}.log")

    def _airflow_once(self, name: str, args: list[str], timeout: float) -> None:
        run_once(
            [sys.executable, "-m", "airflow", *args],
            env=self.env(),
            cwd=self.home,
            log=self.logs_dir / f"{name}.log",
            timeout=timeout,
            what=f"airflow {' '.join(args[:2])}",
        )

    def start(self) -> None:
        """Start everything and wait (bounded) until the UI process reports every component healthy."""
        if self._started:
            return
        self._started = True
        self._prepare_home()
        if self.with_simulator:
            self.simulator = SimulatorProcess(
                self.home, api_key=self.api_key, api_secret=self.api_secret, env=clean_env()
            ).start()
        # ``airflow db migrate`` into the fresh SQLite file (the slowest step of start-up, about 20 s; the dbt
        # raw data loads meanwhile), then the profile's one-shot commands (Airflow 2: the FAB admin user), then
        # the components.
        loads = [
            self.dbt.raw_load(p, self.env(), self.logs_dir / f"dbt-seed-{p.name}.log") for p in self.raw_data_projects
        ]
        self._oneshots += [load.start() for load in loads]
        self._airflow_once("db-migrate", ["db", "migrate"], timeout=300.0)
        self.dbt.wait_loaded(loads, timeout=180.0)
        values = self._values()
        for name, args in self.profile["setup"].items():
            self._airflow_once(name, [fill(a, values) for a in args], timeout=120.0)
        for name, argv in self.planned_processes().items():
            self.procs[name] = self.airflow_process(name, *argv).start()
        self.wait_healthy(timeout=self.start_timeout)

    def wait_healthy(self, timeout: float = 120.0, components: tuple[str, ...] | None = None) -> None:
        """Block until the UI process answers and reports ``components`` healthy, then until its login works.

        ``None`` means every component the profile names (``healthy``).
        """
        if components is None:
            components = tuple(self.profile["healthy"])

        def healthy() -> bool:
            health = self.api.health()
            return all((health.get(c) or {}).get("status") == "healthy" for c in components)

        wait_until(
            healthy, timeout=timeout, what="Airflow to report healthy", watch=list(self.procs.values()), interval=1.0
        )
        wait_until(
            lambda: self.api.login() is None,
            timeout=30,
            what=f"the {self.ui_name} login",
            watch=[self.procs[self.ui_name]],
        )

    def stop(self) -> None:
        """Stop every process we started; safe to call twice.

        SIGTERM goes to every Airflow component at once (they shut down in parallel, not one grace period
        after another), then whatever is still running after the grace period gets SIGKILL. The simulator
        goes last, so a component finishing a request on its way out still gets an answer.
        """
        stop_all([*self._oneshots, *self.triggerers.extra, *list(self.procs.values())[::-1]], grace_s=10)
        if self.simulator is not None:
            self.simulator.stop()

    def describe(self) -> str:
        return (
            f"Airflow UI/API: {self.api_url}  (Airflow {self.profile['airflow_version']}; "
            f"user {ADMIN_USER}, password {self.password})\n"
            f"AIRFLOW_HOME:   {self.home}  (component logs in {self.logs_dir})\n"
            f"Simulator:      {self.simulator.base_url if self.simulator else '-'}\n"
            f"dbt:            {self.dbt.venv / 'bin' / 'dbt' if self.dbt.venv else 'dbt on PATH'}  "
            f"(DuckDB files, artifacts and lineage events in {self.dbt.root})"
        )
