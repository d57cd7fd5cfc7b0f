"""Fixtures of the lineage tests: a simulator for the module, and real DAG runs in a child interpreter.

``run_in_child`` writes a spec for ``tests/lineage/runner.py``, runs it with this interpreter (so the 2.11 pass
runs 2.11), with the Hevo connection pointing at the simulator and, when asked, OpenLineage's file transport
configured the way a deployment configures it (``[openlineage] transport`` in Airflow's config), and returns
the runner's report with the events it wrote.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from hevo_dagfactory.hevo import reset_budgets
from hevo_dagfactory.simulator import Simulator

REPO = Path(__file__).resolve().parents[2]
API_KEY = "lineage-key"
API_SECRET = "lineage-secret-7Qx2"  # must never appear in an event, an XCom or a log line
CHILD_TIMEOUT_S = 900
#: The head of every workflow of these tests (region eu names the hevo:// datasets and Assets).
HEAD = """\
schedule: null
start_date: 2026-01-01
hevo: {region: eu}
defaults: {retries: 0, retry_delay: 1s}
sync_defaults: {poll_interval: 1s}
"""


@dataclass
class ChildRun:
    report: dict[str, Any]
    events: list[dict[str, Any]] = field(default_factory=list)
    output: str = ""
    raw_events: str = ""

    def run(self, dag_id: str) -> dict[str, Any]:
        return self.report["runs"][dag_id]

    def of(self, dag_id: str, task_id: str, event_type: str | None = None) -> list[dict[str, Any]]:
        """The task's OpenLineage events (job ``<dag_id>.<task_id>``), optionally of one type."""
        name = f"{dag_id}.{task_id}"
        return [
            e for e in self.events if e["job"]["name"] == name and (event_type is None or e["eventType"] == event_type)
        ]


@pytest.fixture(scope="module")
def lineage_sim() -> Iterator[tuple[Simulator, str]]:
    reset_budgets()
    sim = Simulator(api_key=API_KEY, api_secret=API_SECRET, rate_per_minute=1000)
    with sim.serve_in_thread(port=0) as url:
        yield sim, url


def child_env(url: str, events: Path | None) -> dict[str, str]:
    host, port = url.split("://", 1)[1].split(":")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENLINEAGE", "AIRFLOW__OPENLINEAGE"))}
    env["AIRFLOW_CONN_HEVO_AIRFLOW_CONN_ID"] = json.dumps(
        {
            "conn_type": "http",
            "host": host,
            "port": int(port),
            "schema": "http",
            "login": API_KEY,
            "password": API_SECRET,
        }
    )
    if events is not None:
        env["AIRFLOW__OPENLINEAGE__TRANSPORT"] = json.dumps(
            {"type": "file", "log_file_path": str(events), "append": True}
        )
        env["AIRFLOW__OPENLINEAGE__NAMESPACE"] = "hevo-lineage-tests"
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    return env


def run_in_child(tmp: Path, url: str, spec: dict[str, Any], *, openlineage: bool) -> ChildRun:
    """Run the runner with ``spec``; ``openlineage`` configures the file transport (else none)."""
    events = tmp / "events.jsonl" if openlineage else None
    spec = {**spec, "report": str(tmp / "report.json")}
    (tmp / "spec.json").write_text(json.dumps(spec))
    proc = subprocess.run(
        [sys.executable, "-m", "tests.lineage.runner", str(tmp / "spec.json")],
        env=child_env(url, events),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT_S,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-6000:]
    raw = events.read_text() if events is not None and events.exists() else ""
    parsed = [json.loads(line) for line in raw.splitlines() if line.strip()]
    return ChildRun(json.loads((tmp / "report.json").read_text()), parsed, output, raw)


def write_workflow(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.yaml").write_text(text)
