"""A production-shaped local stack: PostgreSQL, Redis, CeleryExecutor, workflows from a Git DAG bundle.

    with ClusterStack(home, workflows={"my_flow.yaml": text}) as stack:
        stack.bundle.commit({"new_flow.yaml": text}, "add a workflow")   # a git commit Airflow picks up
        stack.api.wait_for_dags(["new_flow"]); stack.api.unpause("new_flow"); stack.api.trigger("new_flow")

What runs comes from ``compat.cluster_profile()`` (the same contract as the local stack's profile, see
stackenv.py): on Airflow 3.3 the api-server, two schedulers, one dag-processor, two triggerers and two Celery
workers, all on 127.0.0.1, with PostgreSQL as the metadata DB and Redis as Celery's broker (both throw-away
servers started here, see postgres.py and redisproc.py) and the Hevo simulator(s); the Redis server is also
the rate-budget store that every process shares (``HEVO_DAGFACTORY_RATE_STORE``). The workflows and the
README's loader are committed to a local bare repository (gitbundle.py) that a GitDagBundle reads. Every
process reports its stack name as its host name (hostname.py), so a task instance says which worker ran it
and a job row which triggerer or scheduler it is; every process's Hevo connection carries its name in the
User-Agent, so the simulator's request log says which process sent what. This process never imports Airflow.
"""

from __future__ import annotations

import glob
import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hevo_dagfactory.demo.gitbundle import BRANCH, DAGS_SUBDIR, BundleRepo
from hevo_dagfactory.demo.hostname import PROCESS_VAR
from hevo_dagfactory.demo.postgres import DB_NAME, DB_USER, PostgresServer
from hevo_dagfactory.demo.procs import ManagedProcess, StackError, stop_all, wait_until
from hevo_dagfactory.demo.redisproc import RedisProcess
from hevo_dagfactory.demo.simproc import SimulatorProcess
from hevo_dagfactory.demo.stack import AirflowStack
from hevo_dagfactory.demo.stackenv import CONN_ID, ask_profile, clean_env, connection_json, fill, fill_data
from hevo_dagfactory.demo.supervisor import Supervisor
from hevo_dagfactory.hevo.budget import STORE_ENV

_TRIGGER_LOG_JOB = re.compile(r"\.trigger\.(\d+)\.log$")


@dataclass(frozen=True)
class ExtraHevo:
    """One more simulated Hevo account, reached through its own Airflow connection (e.g. a rate-limited one)."""

    connection_id: str
    rate_per_minute: int = 1000
    rate_window_s: float = 60.0


class ClusterStack(AirflowStack):
    """An ``AirflowStack`` whose profile is the cluster's; see the module docstring."""

    def __init__(
        self,
        home: Path,
        *,
        workflows: Mapping[str, str],
        worker_concurrency: int = 4,
        extra_hevo: tuple[ExtraHevo, ...] = (),
        **kwargs: Any,
    ):
        home = Path(home).resolve()
        super().__init__(home, dags_folder=home / "dags-folder-unused", **kwargs)
        self.workflows = dict(workflows)
        self.worker_concurrency = worker_concurrency
        self.bundle = BundleRepo(home / "bundle-repo")
        self.postgres = PostgresServer(home, self.logs_dir)
        self.redis = RedisProcess(self.logs_dir)  # its log: logs/redis.log; nothing is saved
        self.extra_hevo = {
            spec.connection_id: (spec, secrets.token_hex(4), f"hevo-secret-{secrets.token_hex(16)}")
            for spec in extra_hevo
        }
        self.extra_simulators: dict[str, SimulatorProcess] = {}
        self.supervisor = Supervisor(self)  # restarts what exits, while a fault test lets it watch

    # -- the profile and what its fields stand for ----------------------------------------------------------------
    @property
    def profile(self) -> dict[str, Any]:
        """``compat.cluster_profile()`` of the stack's interpreter (``unavailable`` says why it cannot run one)."""
        if self._profile is None:
            self._profile = ask_profile(self.home, kind="cluster")
            self._api.configure(self._profile["api"])
        return self._profile

    def _values(self) -> dict[str, str]:
        values = super()._values()
        values.update(
            {
                "db_user": DB_USER,
                "db_password": self.postgres.password,
                "db_port": str(self.postgres.port),
                "db_name": DB_NAME,
                "redis_port": str(self.redis.port),
                "bundle_repo": str(self.bundle.bare),
                "bundle_branch": BRANCH,
                "bundle_subdir": DAGS_SUBDIR,
                "worker_concurrency": str(self.worker_concurrency),
            }
        )
        return values

    def env(self) -> dict[str, str]:
        """The local stack's environment plus the profile's connections (the git one) and per-process host names."""
        if self._env is None:
            env = super().env()
            values = self._values()
            for conn_id, conn in self.profile["connections"].items():
                env[f"AIRFLOW_CONN_{conn_id.upper()}"] = json.dumps(fill_data(conn, values))
            env["AIRFLOW__CORE__HOSTNAME_CALLABLE"] = "hevo_dagfactory.demo.hostname.from_env"
            # One Hevo rate budget for every process (Redis database 1; Celery's broker uses 0).
            env[STORE_ENV] = f"redis://127.0.0.1:{self.redis.port}/1"
            self._env = env
        return self._env

    def planned_processes(self) -> dict[str, list[str]]:
        """Every component, its ``{process}`` field filled with its own name; triggerers get ``--capacity``."""
        values, triggerers = self._values(), set(self.profile["roles"]["triggerer"])
        planned = {}
        for name, args in self.profile["processes"].items():
            planned[name] = [fill(a, {**values, "process": name}) for a in args]
            if name in triggerers and self.triggerers.capacity:
                planned[name] += ["--capacity", str(self.triggerers.capacity)]
        return planned

    def airflow_process(self, name: str, *args: str) -> ManagedProcess:
        """A component that reports ``name`` as its host name and to Hevo (User-Agent) as well."""
        proc = super().airflow_process(name, *args)
        proc.env = {**proc.env, PROCESS_VAR: name, **self._hevo_connections(name)}
        return proc

    def _hevo_connections(self, process: str) -> dict[str, str]:
        """Each simulator's connection for ``process``: its name in the User-Agent, the simulator's rate limit."""
        headers = {"User-Agent": f"hevo-dagfactory ({process})"}
        conns = {}
        if self.simulator is not None:
            extra = {"headers": headers, "rate_limit_per_minute": self.simulator.rate_per_minute}
            conns[CONN_ID] = connection_json(self.simulator.port, self.api_key, self.api_secret, extra)
        for conn_id, (spec, key, secret) in self.extra_hevo.items():
            extra = {"headers": headers, "rate_limit_per_minute": spec.rate_per_minute}
            extra["rate_limit_window_s"] = spec.rate_window_s
            conns[conn_id] = connection_json(self.extra_simulators[conn_id].port, key, secret, extra)
        return {f"AIRFLOW_CONN_{conn_id.upper()}": value for conn_id, value in conns.items()}

    # -- lifecycle ------------------------------------------------------------------------------------------------
    def start(self) -> None:
        """PostgreSQL, Redis, the bundle repository and extra simulators first, then the local stack's start-up."""
        if self._started:
            return
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        if self.profile.get("unavailable"):  # before any server starts
            why = self.profile["unavailable"]
            raise StackError(f"cannot start the cluster: {why}. `make install-cluster` installs what it needs.")
        self.postgres.start()
        self.redis.start()
        self.bundle.create(self.workflows)
        for conn_id, (spec, key, secret) in self.extra_hevo.items():
            self.extra_simulators[conn_id] = SimulatorProcess(
                self.home,
                api_key=key,
                api_secret=secret,
                env=clean_env(),
                rate_per_minute=spec.rate_per_minute,
                rate_window_s=spec.rate_window_s,
                name=f"simulator-{conn_id}",
            ).start()
        super().start()
        self.wait_cluster_ready()

    def wait_cluster_ready(self, timeout: float = 180.0) -> None:
        """Every scheduler and triggerer heartbeating, every Celery worker ready for tasks."""
        roles = self.profile["roles"]
        for role, job_type in (("scheduler", "SchedulerJob"), ("triggerer", "TriggererJob")):
            want = set(roles[role])
            wait_until(
                lambda jt=job_type, w=want: w <= {j["hostname"] for j in self.api.jobs(jt, alive=True)},
                timeout=timeout,
                what=f"{len(want)} live {role}s",
                watch=[self.procs[n] for n in want],
            )
        for name in roles["worker"]:
            proc = self.procs[name]
            wait_until(
                lambda p=proc: " ready." in p.log_path.read_text(errors="replace").rsplit("==> starting", 1)[-1],
                timeout=timeout,
                what=f"Celery {name} to be ready",
                watch=[proc],
            )

    def stop(self) -> None:
        """Airflow first (it still needs its database on the way out), then simulators, Redis, PostgreSQL."""
        try:
            self.supervisor.close()  # nothing may start again while the stack stops
            super().stop()
        finally:
            stop_all([s.proc for s in self.extra_simulators.values()], grace_s=5)
            self.redis.stop()
            self.postgres.stop()

    # -- fault helpers and who served what ------------------------------------------------------------------------
    def role(self, role: str) -> list[ManagedProcess]:
        """The processes of a role (``scheduler``, ``triggerer``, ``worker``), started or not."""
        return [self.procs[name] for name in self.profile["roles"][role] if name in self.procs]

    def restart(self, name: str) -> ManagedProcess:
        """Start component ``name`` again (after a fault test killed it), with the same arguments."""
        old = self.procs.get(name)
        if old is not None and old.alive():
            raise StackError(f"{name} is still running; stop or kill it first")
        self.procs[name] = self.airflow_process(name, *self.planned_processes()[name]).start()
        return self.procs[name]

    def triggerers_of(self, dag_id: str, run_id: str, task_id: str) -> list[str]:
        """Host names of the triggerers that ran a task's trigger, from their trigger logs (any try)."""
        where = {"dag_id": dag_id, "run_id": run_id, "task_id": task_id}
        pattern = fill(self.profile["trigger_log_glob"], {k: glob.escape(v) for k, v in where.items()})
        paths = glob.glob(f"{glob.escape(str(self.logs_dir))}/{pattern}")
        job_ids = sorted({int(m.group(1)) for p in paths if (m := _TRIGGER_LOG_JOB.search(p))})
        if not job_ids:
            return []
        names = {int(j["id"]): str(j.get("hostname")) for j in self.api.jobs("TriggererJob")}
        return [names.get(j, f"triggerer job {j}") for j in job_ids]

    def served_by(self, dag_id: str, run_id: str, ti: dict[str, Any]) -> tuple[str, str]:
        """(worker, triggerers) of a finished task: its host name, and the triggerers its trigger logs name."""
        return str(ti.get("hostname") or "-"), ", ".join(self.triggerers_of(dag_id, run_id, ti["task_id"])) or "-"
