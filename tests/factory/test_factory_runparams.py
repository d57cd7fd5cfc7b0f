"""Run parameters in real runs (``dag.test()`` with a run conf, as the trigger form sends it), on both lines.

The built-in ``resync`` turns the run's syncs into resyncs at the simulator; ``dbt_full_refresh`` adds
``--full-refresh`` to the dbt command line a stand-in ``dbt`` records; a user parameter reaches a dbt var.
"""

from __future__ import annotations

import json
import os
import stat
from urllib.parse import urlsplit

import pytest

from hevo_dagfactory.simulator import PipelineScript
from tests.factory.helpers import write

pytestmark = pytest.mark.usefixtures("airflow_db")

RECORD_ARGV = """#!/usr/bin/env python3
import json, os, sys
with open(os.environ["ARGV_OUT"], "a") as fh:
    fh.write(json.dumps(sys.argv[1:]) + "\\n")
"""

WF = """\
dag_id: {dag_id}
schedule: null
start_date: 2026-01-01
defaults: {{retries: 0}}
params:
  resync: true
  dbt_full_refresh: true
  days: {{type: integer, default: 3, minimum: 1, maximum: 90}}
syncs:
  - {{id: orders, pipeline_id: {pid}, poll_interval: 1}}
steps:
  - id: build
    dbt: {{command: build, vars: {{days: "{{{{ params.days }}}}"}}, env: {{ARGV_OUT: "{argv}"}}}}
"""


@pytest.fixture
def setup(tmp_path, monkeypatch, hevo_sim):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "dbt").write_text(RECORD_ARGV)
    (bin_dir / "dbt").chmod(0o755 | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    url = urlsplit(hevo_sim.url)
    conn = {"conn_type": "http", "host": url.hostname, "port": url.port, "schema": "http"}
    monkeypatch.setenv(
        "AIRFLOW_CONN_HEVO_AIRFLOW_CONN_ID", json.dumps({**conn, "login": "test-key", "password": "test-secret"})
    )
    return tmp_path, hevo_sim


def _dag(folder, dag_id, pid, argv):
    from hevo_dagfactory import load_workflows
    from hevo_dagfactory.provider.compat import DagBag, add_dag_to_bag, sync_dag_bag_to_db

    write(folder / "wf", f"{dag_id}.yaml", WF.format(dag_id=dag_id, pid=pid, argv=argv))
    dag = load_workflows(folder / "wf", {"__file__": str(folder / "wf" / "l.py")})[dag_id]
    assert "config-error" not in dag.tags, dag.description
    bag = DagBag(dag_folder=str(folder / "empty"))
    add_dag_to_bag(bag, dag)
    sync_dag_bag_to_db(bag)
    return dag


def _state(dr) -> str:
    return str(getattr(dr.state, "value", dr.state))


def test_the_trigger_forms_values_drive_the_run(setup):
    folder, sim = setup
    argv = folder / "argv.jsonl"
    sim.sim.add_pipeline("77001", PipelineScript(job_duration_s=0.5))
    dag = _dag(folder, "runparams", "77001", argv)

    dr = dag.test(run_conf={"resync": "drop_and_load", "dbt_full_refresh": True, "days": 9})
    assert _state(dr) == "success"
    assert (sim.sim.sync_now_posts("77001"), sim.sim.resync_posts("77001")) == (0, 1)
    assert sim.sim.jobs("77001")[0]["type"] == "RESYNC_WITH_DROP_AND_LOAD"
    assert json.loads(argv.read_text().splitlines()[0]) == ["build", "--vars", '{"days": "9"}', "--full-refresh"]

    # the defaults: each sync's own action, no full refresh (a fresh parse, as every worker makes: dag.test()
    # re-runs the rendered task objects of the first run in this process, deferred sync included)
    dag = _dag(folder, "runparams", "77001", argv)
    dr = dag.test()
    assert _state(dr) == "success"
    assert (sim.sim.sync_now_posts("77001"), sim.sim.resync_posts("77001")) == (1, 1)
    assert json.loads(argv.read_text().splitlines()[1]) == ["build", "--vars", '{"days": "3"}']


def test_airflow_refuses_a_value_outside_the_declared_range(setup):
    folder, sim = setup
    sim.sim.add_pipeline("77002", PipelineScript(job_duration_s=0.5))
    dag = _dag(folder, "runparams_range", "77002", folder / "argv.jsonl")
    with pytest.raises(Exception, match="days"):
        dag.test(run_conf={"days": 500})
    assert sim.sim.jobs("77002") == []
