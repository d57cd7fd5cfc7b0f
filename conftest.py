"""Test-session environment shared by every test folder.

Airflow reads its configuration when it is first imported, so the isolated AIRFLOW_HOME must be in place
before any test module imports airflow. This root conftest runs before every other conftest. Tests that need
Airflow's metadata DB (dag.test(), DagBag with a DB) ask for the session fixture ``airflow_db``.

Under pytest-xdist (``make test`` runs the suites with ``-n``) every worker is a process of its own with its own
AIRFLOW_HOME (a folder per worker inside the run's folder), so workers share no SQLite DB, log folder or
model cache. The metadata DB is migrated once per run and copied to each worker that asks for it.
"""

from __future__ import annotations

import atexit
import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

#: The xdist worker id (gw0, gw1, ...), None in a plain pytest run and in xdist's controller.
WORKER = os.environ.get("PYTEST_XDIST_WORKER")

if os.environ.get("HEVO_TEST_AIRFLOW_HOME"):
    _RUN = Path(os.environ["HEVO_TEST_AIRFLOW_HOME"])
elif WORKER and os.environ.get("HEVO_TEST_RUN_DIR"):
    _RUN = Path(os.environ["HEVO_TEST_RUN_DIR"])  # the controller's folder: it removes it at the end
else:
    _RUN = Path(tempfile.mkdtemp(prefix="hevo-test-airflow-"))
    atexit.register(shutil.rmtree, _RUN, ignore_errors=True)  # a temp home is the session's own: leave nothing behind
os.environ["HEVO_TEST_RUN_DIR"] = str(_RUN)  # inherited by the xdist workers the controller starts
_HOME = _RUN / WORKER if WORKER else _RUN
_HOME.mkdir(parents=True, exist_ok=True)


def _home_settings(home: Path) -> dict[str, str]:
    return {
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
    }


# A value the caller set wins; one a worker inherited from the controller's own home is replaced by its own.
_inherited = _home_settings(_RUN) if WORKER else {}
for _key, _value in _home_settings(_HOME).items():
    if os.environ.get(_key) in (None, _inherited.get(_key)):
        os.environ[_key] = _value
os.environ["AIRFLOW_HOME"] = str(_HOME)
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__CORE__EXECUTION_API_SERVER_URL", "http://127.0.0.1:8080/execution/")
# Never let a test reach for a real Hevo account by accident.
for _var in ("HEVO_DAGFACTORY_ENV", "HEVO_DAGFACTORY_CONFIG_DIR"):
    os.environ.pop(_var, None)


def _migrate(home: Path, conn: str) -> None:
    env = {**os.environ, "AIRFLOW_HOME": str(home), "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": conn}
    proc = subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"], env=env, capture_output=True, text=True, timeout=300
    )
    if proc.returncode != 0:
        raise RuntimeError(f"airflow db migrate failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")


def _migrated_template() -> Path:
    """A freshly migrated SQLite DB, made once per run (the first worker to ask makes it; the others wait)."""
    folder = _RUN / "migrated-db"
    folder.mkdir(exist_ok=True)
    template = folder / "airflow.db"
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / ".done").exists():
            _migrate(folder, f"sqlite:///{template}")
            (folder / ".done").touch()
    return template


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """A migrated SQLite metadata DB in the session's AIRFLOW_HOME (migrated once per run, about 20 s)."""
    marker = _HOME / ".migrated"
    if not marker.exists():
        db, conn = _HOME / "airflow.db", os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
        if conn == f"sqlite:///{db}":
            shutil.copyfile(_migrated_template(), db)
        else:  # the caller's own database: migrate it in place
            _migrate(_HOME, conn)
        marker.touch()
    return _HOME
