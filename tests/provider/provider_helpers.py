"""Helpers shared by the provider tests (a uniquely named module, importable from every test file)."""

from __future__ import annotations

import itertools
import json
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

CONN_ENV = "AIRFLOW_CONN_HEVO_AIRFLOW_CONN_ID"
SECRET = "test-secret"
_ids = itertools.count(9100)


def next_pipeline_id() -> str:
    return str(next(_ids))


def conn_json(
    url: str,
    *,
    login: str = "test-key",
    password: str = SECRET,
    conn_type: str = "http",
    extra: dict[str, Any] | None = None,
) -> str:
    """The seed guide's connection (host, port, schema, login, password) as Airflow's JSON form."""
    parts = urlsplit(url)
    data: dict[str, Any] = {
        "conn_type": conn_type,
        "host": parts.hostname,
        "port": parts.port,
        "schema": parts.scheme,
        "login": login,
        "password": password,
    }
    if extra:
        data["extra"] = extra
    return json.dumps(data)


class RecordingTI:
    """The few task-instance members the operator uses, for calling execute() outside a DAG run.

    dag.test() tests (test_dag_runs.py) exercise the real RuntimeTaskInstance; this stand-in keeps
    the unit tests of the operator's branches fast.
    """

    def __init__(
        self,
        task_id: str = "sync",
        try_number: int = 1,
        start_date: datetime | None = None,
        max_tries: int | None = None,
    ) -> None:
        self.task_id = task_id
        self.try_number = try_number
        # Airflow's bookkeeping: retries of the task at the first try, try_number + retries after a clear
        self.max_tries = max_tries
        self.start_date = start_date or datetime.now(timezone.utc)
        self.xcom: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        json.dumps(value)  # XCom values must be JSON-able
        self.xcom[key] = value

    def xcom_pull(self, task_ids: str | None = None, key: str = "return_value") -> Any:
        return self.xcom.get(key)


class _DagRun:
    def __init__(self, start_date: datetime) -> None:
        self.start_date = start_date


def make_context(ti: RecordingTI | None = None, run_start: datetime | None = None) -> dict[str, Any]:
    ti = ti or RecordingTI()
    return {"ti": ti, "task_instance": ti, "dag_run": _DagRun(run_start or ti.start_date)}


def slow_polls_once_polling(sim: Any, pipeline_id: str, delay_s: float = 30.0) -> Any:
    """From the first read of a single job on, every GET of the pipeline answers ``delay_s`` late.

    Starting a job reads the jobs LIST; only a waiter reads ``/jobs/<id>``. So the start stays fast
    and the wait meets a Hevo that answers slowly, as under load.
    """
    import threading
    import time

    def watch() -> None:
        end = time.time() + 60
        while time.time() < end:
            if any(
                e["method"] == "GET" and e["pipeline_id"] == pipeline_id and "/jobs/" in e["path"]
                for e in list(sim.sim.request_log)
            ):
                script = sim.sim.script(pipeline_id)
                script.delay_s, script.faults_on, script.slow_next = delay_s, "get", 10_000
                return
            time.sleep(0.005)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def poll_in_thread(o: Any) -> tuple[Any, list[BaseException]]:
    """Run a blocking-mode operator's ``execute`` in a thread; return once it is polling its job.

    Returns (thread, errors): whatever ``execute`` raised lands in ``errors``.
    """
    import threading
    import time

    errors: list[BaseException] = []
    # Airflow 2.x's ExecutorSafeguard keeps its state in a thread-local of the importing thread:
    # from another thread call the operator's own execute (what the wrapper would call).
    execute = getattr(type(o).execute, "__wrapped__", type(o).execute)

    def run() -> None:
        try:
            execute(o, make_context())
        except BaseException as exc:  # noqa: BLE001 - the poll ends once the job ends
            errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    end = time.time() + 10
    while o._running is None and time.time() < end:
        time.sleep(0.02)
    assert o._running is not None, f"the operator never started polling: {errors!r}"
    return thread, errors
