"""``AIRFLOW_VERSION=2.11.2 make demo``, automated: the demo end to end on a real Airflow 2.11 stack.

The demo runs under the Airflow 2.11 interpreter of ``.venv-af2`` (which ``make test`` builds before it runs
this suite under 3.3), so the whole 2.x stack is exercised: webserver, scheduler (parsing DAGs itself),
triggerer, the SequentialExecutor, a Flask-AppBuilder login and the basic-auth ``/api/v1``. Proves: every
example workflow succeeds, the Asset-scheduled one starts from its upstream's Dataset event, every sync starts
exactly one Hevo job, the dbt steps run real dbt, the printed login opens the 2.x REST API, and Ctrl-C leaves no
process behind.
"""

from __future__ import annotations

import re
import signal
import subprocess

import pytest
import requests

from .demo_process import (
    REPO,
    DemoProcess,
    assert_every_example_succeeded_with_one_sync_now_per_sync,
    assert_real_dbt_built_the_examples,
    processes_of,
    wait_gone,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
RUNS_ON_ANY_LINE = True  # drives its own interpreter: tests/e2e/conftest.py does not skip it on 2.x

AF2_PYTHON = REPO / ".venv-af2" / "bin" / "python"


@pytest.fixture(scope="module")
def af2_python() -> str:
    """The Airflow 2.11 interpreter, checked to really be 2.11 (skip, saying how to get it, when absent)."""
    if not AF2_PYTHON.exists():
        pytest.skip(f"no Airflow 2.11 virtualenv at {AF2_PYTHON}: `make install-af2` creates it (`make test` does)")
    version = subprocess.run(
        [str(AF2_PYTHON), "-c", "from importlib.metadata import version; print(version('apache-airflow'))"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.strip()
    assert version.startswith("2.11."), f"{AF2_PYTHON} has Airflow {version}, not 2.11"
    return str(AF2_PYTHON)


def test_demo_on_airflow_2_11_succeeds_with_one_sync_now_per_sync(tmp_path, af2_python):
    home = tmp_path / "demo-home"
    demo = DemoProcess(home, "--keep", python=af2_python)
    try:
        # A bound against a hang only: the demo's runs include three real dbt runs (one at a time on 2.11).
        demo.wait_for("Airflow is still running", timeout=900)
        out = demo.output
        assert "(Airflow 2.11." in out, out[-3000:]  # the stack says which line it runs
        # the example with a deadline is a placeholder on 2.11 (no Deadline Alerts), named and skipped
        assert "note: commerce_orders_daily: not run on this Airflow: CONFIG ERROR" in out, out[-3000:]
        assert "has no Deadline Alerts" in out
        assert_every_example_succeeded_with_one_sync_now_per_sync(out, home)
        assert_real_dbt_built_the_examples(out, home, skipped=("commerce_orders_daily",))

        match = re.search(r"open (http://127\.0\.0\.1:\d+) and log in as (\S+) / (\S+)", out)
        assert match, out[-2000:]
        url, user, password = match.groups()
        dags = requests.get(f"{url}/api/v1/dags", auth=(user, password), timeout=10)
        assert dags.status_code == 200, dags.text[:500]
        assert {"crm_accounts_daily", "crm_scoring_on_sync"} <= {d["dag_id"] for d in dags.json()["dags"]}
        # A wrong password is refused (Airflow 2.11 answers 403 when no auth backend accepts the request).
        assert requests.get(f"{url}/api/v1/dags", auth=(user, "wrong"), timeout=10).status_code in (401, 403)
        assert len(processes_of(home)) >= 4, "the check must see the running stack before it can see it gone"

        demo.proc.send_signal(signal.SIGINT)  # what Ctrl-C sends
        assert demo.proc.wait(90) == 130
        assert wait_gone(home) == [], f"processes left behind: {processes_of(home)}"
    finally:
        demo.kill_if_running()
