"""Cluster policies: a DAG Airflow's policy rejects becomes a placeholder, the others keep working.

Why: a DagBag applies ``dag_policy``/``task_policy`` from ``airflow_local_settings`` to every DAG it
bags, and a rejection is recorded as an import error against the loader file, which in a running
Airflow 3.3 marks every DAG of that file stale. The loader applies the same checks per DAG first.

Each check runs in a fresh interpreter whose AIRFLOW_HOME holds a real
``config/airflow_local_settings.py``: Airflow imports it once at start-up (``$AIRFLOW_HOME/config``
is on ``sys.path``), so the pytest process itself cannot load one without leaking it into other tests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from tests.factory.helpers import BROKEN_UNKNOWN_KEY, REPO, dags_folder_with_loader, good_workflow, write

LOCAL_SETTINGS = """\
from airflow.exceptions import AirflowClusterPolicySkipDag, AirflowClusterPolicyViolation


def dag_policy(dag):
    if "pii" in dag.tags:
        raise AirflowClusterPolicyViolation(f"DAG {dag.dag_id}: pii workflows must run on the pii cluster")
    if "legacy" in dag.tags:
        raise AirflowClusterPolicySkipDag(f"{dag.dag_id} is skipped here")
    if "config-error" in dag.tags and dag.dag_id.startswith("strict_"):
        raise AirflowClusterPolicyViolation("no placeholder DAGs on this cluster")


def task_policy(task):
    if task.task_id == "rm_everything":
        raise AirflowClusterPolicyViolation(f"task id {task.task_id} is not allowed")
    task.queue = "hevo"  # a changing policy: the DagBag applies it again, it must stay idempotent
"""

CHILD = """\
import json, logging, sys
from hevo_dagfactory.provider.compat import DagBag

records = []
class Keep(logging.Handler):
    def emit(self, record):
        records.append((record.levelname, record.getMessage()))
logging.getLogger("hevo_dagfactory.factory").addHandler(Keep())

bag = DagBag(dag_folder=sys.argv[1], safe_mode=True)
print(json.dumps({
    "dags": {d: {"tags": sorted(dag.tags), "description": dag.description or "",
                 "queues": sorted({t.queue for t in dag.tasks})} for d, dag in bag.dags.items()},
    "errors": {str(k): str(v) for k, v in bag.import_errors.items()},
    "log": records,
}))
"""


def _folder(tmp_path):
    dags = dags_folder_with_loader(tmp_path)
    good_workflow(dags, "fine", pid=1)
    pii = good_workflow(dags, "pii_orders", pid=2)
    pii.write_text(pii.read_text().replace("tags: [team-a]", "tags: [pii]"))
    legacy = good_workflow(dags, "legacy_orders", pid=3)
    legacy.write_text(legacy.read_text().replace("tags: [team-a]", "tags: [legacy]"))
    bad_task = good_workflow(dags, "bad_task", pid=4)
    bad_task.write_text(bad_task.read_text().replace("id: build", "id: rm_everything"))
    write(dags, "strict_broken.yaml", BROKEN_UNKNOWN_KEY.replace("dag_id: broken_one", "dag_id: strict_broken"))
    write(dags, "broken_one.yaml", BROKEN_UNKNOWN_KEY)
    return dags


def _parse(tmp_path, dags, **env):
    home = tmp_path / "home"
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "airflow_local_settings.py").write_text(LOCAL_SETTINGS)
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("_AIRFLOW_PARSING_CONTEXT")}
    child_env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{home / 'airflow.db'}",
        HEVO_DAGFACTORY_CACHE_DIR=str(tmp_path / "cache"),
        **env,
    )
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(dags)], env=child_env, cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_a_dag_the_cluster_policy_rejects_becomes_a_placeholder(tmp_path):
    out = _parse(tmp_path, _folder(tmp_path))

    assert out["errors"] == {}  # nothing recorded against the loader file
    dags = out["dags"]
    assert "config-error" not in dags["fine"]["tags"] and dags["fine"]["queues"] == ["hevo"]

    pii = dags["pii_orders"]  # same id as the real DAG would have: it keeps its place in the UI
    assert "config-error" in pii["tags"]
    assert (
        "AirflowClusterPolicyViolation: DAG pii_orders: pii workflows must run on the pii cluster" in pii["description"]
    )
    assert "pii_orders.yaml" in pii["description"]

    task = dags["bad_task"]
    assert "config-error" in task["tags"]
    assert "task id rm_everything is not allowed" in task["description"]

    assert "legacy_orders" not in dags  # skipped by the policy, as the DagBag itself would

    # A placeholder the policy refuses too is left out (never an import error) and logged.
    assert "strict_broken" not in dags
    assert "config-error" in dags["broken_one"]["tags"]
    errors = "\n".join(msg for level, msg in out["log"] if level == "ERROR")
    assert "Airflow also rejects the placeholder DAG 'strict_broken'" in errors
    assert "no placeholder DAGs on this cluster" in errors


def test_a_worker_gets_the_placeholder_of_a_rejected_dag(tmp_path):
    """With the parsing context set (a worker), the one DAG asked for is checked the same way."""
    dags = _folder(tmp_path)
    _parse(tmp_path, dags)  # the full parse records which file holds which dag_id
    out = _parse(
        tmp_path, dags, _AIRFLOW_PARSING_CONTEXT_DAG_ID="pii_orders", _AIRFLOW_PARSING_CONTEXT_TASK_ID="config_error"
    )
    assert out["errors"] == {}
    assert list(out["dags"]) == ["pii_orders"]
    assert "pii workflows must run on the pii cluster" in out["dags"]["pii_orders"]["description"]

    out = _parse(tmp_path, dags, _AIRFLOW_PARSING_CONTEXT_DAG_ID="fine", _AIRFLOW_PARSING_CONTEXT_TASK_ID="build")
    assert out["errors"] == {} and list(out["dags"]) == ["fine"]
    assert "config-error" not in out["dags"]["fine"]["tags"]


def test_without_the_checks_the_policy_would_hit_the_loader_file(tmp_path):
    """Guards the tests above: the same policy on a hand-written file IS an import error."""
    dags = tmp_path / "plain"
    dags.mkdir()
    (dags / "plain_dag.py").write_text(
        textwrap.dedent("""\
        # a hand-written airflow dag with a tag the policy forbids
        from hevo_dagfactory.provider.compat import DAG, BashOperator

        with DAG(dag_id="plain_pii", schedule=None, tags=["pii"]):
            BashOperator(task_id="t", bash_command="true")
        """)
    )
    out = _parse(tmp_path, dags)
    assert list(out["errors"]) and "pii workflows must run on the pii cluster" in next(iter(out["errors"].values()))
    assert out["dags"] == {}
