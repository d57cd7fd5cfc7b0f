"""The configuration of one local stack: its line's profile and the environment of every Airflow process.

Everything is set through environment variables of the child processes only (the caller's own Airflow
configuration, e.g. the test session's, is never touched). What differs between Airflow lines comes from
``hevo_dagfactory.provider.compat.stack_profile()``, asked in a child process of the stack's own interpreter
(this process never imports Airflow) and applied here as data: this module does not know which line it runs.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import string
import subprocess
import sys
from pathlib import Path
from typing import Any

from hevo_dagfactory.demo.procs import StackError, free_port

CONN_ID = "hevo_airflow_conn_id"
ADMIN_USER = "admin"


def clean_env() -> dict[str, str]:
    """The caller's environment without any Airflow, project, dbt or OpenLineage setting that could leak into the stack."""
    drop = ("AIRFLOW_", "HEVO_DAGFACTORY_", "HEVO_API_", "HEVO_TEST_", "DBT_", "OPENLINEAGE_")
    return {k: v for k, v in os.environ.items() if not k.startswith(drop)}


def connection_json(sim_port: int, api_key: str, api_secret: str, extra: dict[str, Any] | None = None) -> str:
    """The Hevo connection the workflows use: an HTTP connection to the simulator, key as login.

    ``extra``: the connection's extra (the cluster stack sets headers and the simulator's rate limit).
    """
    conn: dict[str, Any] = {
        "conn_type": "http",
        "host": "127.0.0.1",
        "port": sim_port,
        "schema": "http",
        "login": api_key,
        "password": api_secret,
    }
    if extra:
        conn["extra"] = extra
    return json.dumps(conn)


def ask_profile(home: Path, python: str = sys.executable, timeout: float = 120.0, kind: str = "") -> dict[str, Any]:
    """``compat.stack_profile()`` as the interpreter ``python`` answers it (a child process, about 2 s).

    ``kind="cluster"``: ``compat.cluster_profile()``, the production-shaped stack's.
    """
    home.mkdir(parents=True, exist_ok=True)
    env = clean_env()
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        }
    )
    try:
        proc = subprocess.run(
            [python, "-m", "hevo_dagfactory.provider.compat", *([kind] if kind else [])],
            env=env,
            cwd=home,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as exc:
        raise StackError(f"{python} took over {timeout:.0f}s to say which Airflow stack it needs") from exc
    if proc.returncode != 0:
        raise StackError(f"could not ask Airflow ({python}) which stack it needs:\n{proc.stderr[-2000:]}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def fill(template: str, values: dict[str, str]) -> str:
    """``template`` with its ``{name}`` fields from ``values``; ``{random}`` is a new secret each time.

    An unknown field raises ``StackError``: the profile and this harness disagree, better said than guessed.
    """
    names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    missing = names - set(values) - {"random"}
    if missing:
        raise StackError(f"the stack profile uses {sorted(missing)}, which this harness does not fill: {template!r}")
    return template.format(**values, random=secrets.token_hex(32))


def fill_data(data: Any, values: dict[str, str]) -> Any:
    """``data`` (JSON-like) with every string in it filled by :func:`fill`."""
    if isinstance(data, str):
        return fill(data, values)
    if isinstance(data, dict):
        return {key: fill_data(value, values) for key, value in data.items()}
    if isinstance(data, list):
        return [fill_data(value, values) for value in data]
    return data


def profile_env(profile: dict[str, Any], values: dict[str, str]) -> dict[str, str]:
    """The profile's ``{section: {key: value}}`` settings as ``AIRFLOW__SECTION__KEY`` variables, filled in.

    A value that is not a string (a bundle list, say) is filled field by field and set as JSON.
    """
    return {
        f"AIRFLOW__{section}__{key}": json.dumps(fill_data(value, values))
        if isinstance(value, (dict, list))
        else fill(str(value), values)
        for section, settings in profile["env"].items()
        for key, value in settings.items()
    }


def airflow_env(
    profile: dict[str, Any],
    values: dict[str, str],
    *,
    home: Path,
    dags_folder: Path,
    logs_dir: Path,
) -> dict[str, str]:
    """Environment of every Airflow process: the settings common to both lines, then the profile's own."""
    env = clean_env()
    venv_bin = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join([str(home / "bin"), venv_bin, env.get("PATH", "/usr/bin:/bin")])
    a = "AIRFLOW__"
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            f"{a}CORE__DAGS_FOLDER": str(dags_folder),
            f"{a}CORE__LOAD_EXAMPLES": "False",
            f"{a}CORE__EXECUTOR": str(profile["executor"]),
            f"{a}CORE__PARALLELISM": "8",
            f"{a}CORE__FERNET_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
            f"{a}CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            f"{a}DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            f"{a}LOGGING__BASE_LOG_FOLDER": str(logs_dir),
            f"{a}LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            f"{a}LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
            f"{a}SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
            f"{a}SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": "0.5",
            f"{a}SCHEDULER__ENABLE_HEALTH_CHECK": "False",
            # A killed triggerer's triggers move to a live one after 10 s instead of 30 s.
            f"{a}TRIGGERER__JOB_HEARTBEAT_SEC": "2",
            f"{a}TRIGGERER__TRIGGERER_HEALTH_CHECK_THRESHOLD": "10",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(profile_env(profile, values))
    return env
