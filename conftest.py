"""Test-session environment shared by every test folder.

Airflow reads its configuration when it is first imported, so the isolated AIRFLOW_HOME must be in place
before any test module imports airflow. This root conftest runs before every other conftest. Tests that need
Airflow's metadata DB (dag.test(), DagBag with a DB) ask for the session fixture ``airflow_db``.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

if os.environ.get("HEVO_TEST_AIRFLOW_HOME"):
    _HOME = Path(os.environ["HEVO_TEST_AIRFLOW_HOME"])
else:
    _HOME = Path(tempfile.mkdtemp(prefix="hevo-test-airflow-"))
    atexit.register(shutil.rmtree, _HOME, ignore_errors=True)  # a temp home is the session's own: leave nothing behind
os.environ["AIRFLOW_HOME"] = str(_HOME)
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", f"sqlite:///{_HOME / 'airflow.db'}")
os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(_HOME / "dags"))
os.environ.setdefault("AIRFLOW__LOGGING__BASE_LOG_FOLDER", str(_HOME / "logs"))
os.environ.setdefault("AIRFLOW__CORE__EXECUTION_API_SERVER_URL", "http://127.0.0.1:8080/execution/")
# Never let a test reach for a real Hevo account by accident.
for _var in ("HEVO_DAGFACTORY_ENV", "HEVO_DAGFACTORY_CONFIG_DIR"):
    os.environ.pop(_var, None)


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """A migrated SQLite metadata DB in the session's AIRFLOW_HOME (created once, about 20 s)."""
    marker = _HOME / ".migrated"
    if not marker.exists():
        proc = subprocess.run(
            [sys.executable, "-m", "airflow", "db", "migrate"],
            env=os.environ.copy(),
            capture_output=True,
            text=True,
            timeout=300,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"airflow db migrate failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
        marker.touch()
    return _HOME
