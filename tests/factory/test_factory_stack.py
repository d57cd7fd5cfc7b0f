"""Broken-file isolation in a REAL Airflow 3.3 stack (scheduler, dag-processor, triggerer, api-server).

A DagBag cannot show what matters here: in a running Airflow an import error recorded against the
loader file would mark every DAG of that file stale and their runs would stay queued. This test
checks, through Airflow's REST API, that a broken file (present from the start, or breaking
while Airflow runs) leaves no import error, shows up as a ``config-error`` placeholder naming
file:line, and that the good DAG beside it still runs to success.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.factory.helpers import USER_LOADER, write

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

HEAD = """\
schedule: null
start_date: 2026-01-01
hevo: {region: us}
defaults: {retries: 0, retry_delay: 1s}
sync_defaults: {poll_interval: 1s}
"""
PIPELINE = 930001


def _tags(dag: dict) -> set[str]:
    return {t["name"] if isinstance(t, dict) else t for t in dag.get("tags") or []}


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout:.0f}s for {what}")
        time.sleep(1)


def test_broken_files_in_a_running_airflow(tmp_path: Path):
    from hevo_dagfactory.demo import AirflowStack

    dags, cfg = tmp_path / "dags", tmp_path / "configs"
    write(dags, "hevo_workflows.py", USER_LOADER)
    write(
        cfg,
        "iso_good.yaml",
        f"dag_id: iso_good\n{HEAD}syncs:\n  - {{id: sync, pipeline_id: {PIPELINE}}}\n"
        "steps:\n  - {id: done, bash: echo fine}\n",
    )
    write(cfg, "iso_later.yaml", f"dag_id: iso_later\n{HEAD}steps:\n  - {{id: s, bash: 'true'}}\n")
    write(cfg, "iso_broken.yaml", f"dag_id: iso_broken\n{HEAD}syncs:\n  - {{id: s, pipeline_id: 1, acton: resync}}\n")

    stack = AirflowStack(
        tmp_path / "home",
        dags_folder=dags,
        config_dir=cfg,
        extra_env={"AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "3"},
    )
    with stack:
        api = stack.api
        api.wait_for_dags(["iso_good", "iso_later", "iso_broken"], timeout=120)
        assert api.import_errors() == []
        ph = api.dag("iso_broken")
        assert "config-error" in _tags(ph)
        assert "iso_broken.yaml:8:" in ph["description"] and "unknown key 'acton'" in ph["description"]

        # A file that breaks while Airflow runs: it turns into a placeholder, nothing else changes.
        write(cfg, "iso_later.yaml", "dag_id: iso_later\nsyncs: [unclosed\n")
        _wait(lambda: "config-error" in _tags(api.dag("iso_later") or {}), 90, "iso_later to become a placeholder")
        assert api.import_errors() == []
        assert not api.dag("iso_good").get("is_stale")

        stack.sim.script(PIPELINE, job_duration_s=1.0)
        api.unpause("iso_good")
        watch = api.wait_for_run("iso_good", api.trigger("iso_good"), timeout=120)
        assert watch.state == "success", watch.seen

        api.unpause("iso_broken")
        watch = api.wait_for_run("iso_broken", api.trigger("iso_broken"), timeout=120)
        assert watch.state == "failed"
        assert {t["task_id"]: t["state"] for t in watch.task_instances} == {"config_error": "failed"}
