"""The operating keys in the DAG: callbacks, deadline, params, execution controls, docs; on both Airflow lines.

Every DAG here is loaded twice (built from the model, then replayed from its cached build plan) and
serialized as the dag-processor serializes it, so what these tests see is what Airflow stores.
"""

from __future__ import annotations

import importlib.abc
import sys
from datetime import timedelta

import pytest

from hevo_dagfactory.provider.compat import AIRFLOW_3
from hevo_dagfactory.provider.notify.notifier import WorkflowNotifier
from tests.factory.helpers import write

WF = """\
dag_id: ops
schedule: "0 4 * * *"
start_date: 2026-01-01
timezone: Europe/Berlin
max_active_tasks: 3
dagrun_timeout: 6h
notify:
  - {slack: slack_alerts, on: [failure, retry]}
  - {email: [oncall@example.com], on: [failure, success]}
params:
  resync: true
  dbt_full_refresh: true
  days: {type: integer, default: 3, minimum: 1, maximum: 90, description: lookback}
defaults: {pool: hevo_api, priority_weight: 2, retry_exponential_backoff: true, max_retry_delay: 10m}
syncs:
  - {id: orders, pipeline_id: 41, exclusive: true, queue: hevo}
  - {id: payments, pipeline_id: 42, max_active_tis_per_dag: 1}
steps:
  - id: build
    dbt: {command: build, vars: {days: "{{ params.days }}"}}
    pool: dbt_warehouse
    pool_slots: 2
    retry_exponential_backoff: false
"""


def load(folder, *, replay: bool):
    from hevo_dagfactory import load_workflows
    from hevo_dagfactory.factory import cache
    from hevo_dagfactory.factory.loader import LAST_RUN

    dags = load_workflows(folder, {"__file__": str(folder / "loader.py")})
    if replay:
        cache.reset()  # a new parse process: only the disk cache is left
        dags = load_workflows(folder, {"__file__": str(folder / "loader.py")})
        assert LAST_RUN["replayed"] == len(dags), LAST_RUN
    return dags


def serialized(dag):
    """What the dag-processor stores: the DAG serialized and read back (fails on anything unserializable)."""
    try:  # Airflow 3.3
        from airflow.serialization.serialized_objects import DagSerialization as Serializer
    except ImportError:  # Airflow 2.11
        from airflow.serialization.serialized_objects import SerializedDAG as Serializer

    return Serializer.from_dict(Serializer.to_dict(dag))


@pytest.mark.parametrize("replay", [False, True], ids=["built", "replayed"])
def test_callbacks_params_and_controls(tmp_path, replay):
    write(tmp_path, "ops.yaml", WF)
    dag = load(tmp_path, replay=replay)["ops"]
    assert "config-error" not in dag.tags, dag.description
    # failure and retry: task callbacks; success (and a run failing without a failed task): DAG callbacks
    args = dag.default_args
    by_event = {
        name: [(n.event, [t["kind"] for t in n.targets]) for n in args[name]]
        for name in ("on_failure_callback", "on_retry_callback")
    }
    assert by_event == {
        "on_failure_callback": [("failure", ["slack", "email"])],
        "on_retry_callback": [("retry", ["slack"])],
    }
    dag_cb = {
        name: [(n.event, [t["kind"] for t in n.targets]) for n in getattr(dag, name)]
        for name in ("on_success_callback", "on_failure_callback")
    }
    assert dag_cb == {
        "on_success_callback": [("success", ["email"])],
        "on_failure_callback": [("run_failure", ["slack", "email"])],
    }
    assert all(isinstance(n, WorkflowNotifier) for n in args["on_failure_callback"])
    assert dag.get_task("payments").on_failure_callback == args["on_failure_callback"]  # every task gets them
    # params: the built-ins and the user's, in the trigger form
    params = dag.params.dump() if hasattr(dag.params, "dump") else dict(dag.params)
    assert params == {"resync": "off", "dbt_full_refresh": False, "days": 3}
    days = dag.params.get_param("days")
    assert (days.schema["type"], days.schema["minimum"], days.schema["maximum"]) == ("integer", 1, 90)
    assert days.description == "lookback"
    assert dag.params.get_param("resync").schema["enum"] == ["off", "evolve_and_merge", "drop_and_load"]
    # DAG limits
    assert (dag.max_active_tasks, dag.dagrun_timeout) == (3, timedelta(hours=6))
    # task controls: defaults for every task, a task's own win, an exclusive sync its pipeline's pool
    backoff_on = 2.0 if AIRFLOW_3 else True  # 3.3 takes a multiplier (True would mean 1.0: no backoff)
    orders, payments, build = (dag.get_task(t) for t in ("orders", "payments", "build"))
    assert (orders.pool, orders.pool_slots, orders.queue, orders.priority_weight) == ("hevo_pipeline_41", 1, "hevo", 2)
    assert (payments.pool, payments.max_active_tis_per_dag) == ("hevo_api", 1)
    assert (build.pool, build.pool_slots) == ("dbt_warehouse", 2)
    assert (orders.retry_exponential_backoff, build.retry_exponential_backoff) == (
        backoff_on,
        0 if AIRFLOW_3 else False,
    )
    assert orders.max_retry_delay == timedelta(minutes=10)
    # the run parameters reach the operators as templates
    assert type(orders).__name__ == "HevoRunParamsOperator" and orders.resync == "{{ params.resync }}"
    assert build.full_refresh == "{{ params.dbt_full_refresh }}"
    # and all of it survives the serialization the dag-processor does
    stored = serialized(dag)
    assert stored.get_task("orders").pool == "hevo_pipeline_41" and stored.max_active_tasks == 3
    assert set(stored.params.keys()) == {"resync", "dbt_full_refresh", "days"}


def test_deadline_per_line(tmp_path):
    write(tmp_path, "ops.yaml", WF + 'deadline: {by: "07:00"}\n')
    write(tmp_path, "later.yaml", WF.replace("dag_id: ops", "dag_id: later") + "deadline: {after: 2h}\n")
    dags = load(tmp_path, replay=False)
    if not AIRFLOW_3:  # Airflow 2.11 has no Deadline Alerts: the workflow says so instead of running without one
        for dag_id in ("ops", "later"):
            assert "config-error" in dags[dag_id].tags
            assert "has no Deadline Alerts, so 'deadline:' cannot be honoured [/deadline]" in dags[dag_id].description
            assert "deadline: null" in dags[dag_id].description
        return
    by, after = dags["ops"].deadline[0], dags["later"].deadline[0]
    assert (by.reference.by, by.reference.timezone, by.interval) == ("07:00", "Europe/Berlin", timedelta(0))
    assert by.callback.kwargs == {
        "workflow": "ops",
        "when": "by 07:00 (Europe/Berlin)",
        "targets": [
            {"kind": "slack", "connection_id": "slack_alerts", "to": [], "from_email": None},
            {"kind": "email", "connection_id": "smtp_default", "to": ["oncall@example.com"], "from_email": None},
        ],
    }
    assert after.interval == timedelta(hours=2) and after.callback.kwargs["when"] == "within 2h of being queued"
    replayed = load(tmp_path, replay=True)
    assert replayed["ops"].deadline[0] == by
    serialized(replayed["later"])  # the dag-processor can store it


class _NoSlackProvider(importlib.abc.MetaPathFinder):
    """Makes ``airflow.providers.slack`` unimportable, as on a machine without the extra installed."""

    def find_spec(self, name, path=None, target=None):
        if name == "airflow.providers.slack" or name.startswith("airflow.providers.slack."):
            raise ModuleNotFoundError(f"No module named {name!r}")
        return None


def test_a_missing_notifier_provider_makes_a_placeholder_that_says_what_to_install(tmp_path, monkeypatch):
    for name in [m for m in sys.modules if m.startswith("airflow.providers.slack")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(sys, "meta_path", [_NoSlackProvider(), *sys.meta_path])
    write(tmp_path, "ops.yaml", WF)
    write(
        tmp_path,
        "mail_only.yaml",
        WF.replace("dag_id: ops", "dag_id: mail_only").replace("  - {slack: slack_alerts, on: [failure, retry]}\n", ""),
    )
    dags = load(tmp_path, replay=False)
    assert "config-error" in dags["ops"].tags
    assert (
        "slack notifications need apache-airflow-providers-slack, which is not installed here: "
        "pip install 'hevo-dagfactory[slack]' on every Airflow component [/notify]"
    ) in dags["ops"].description
    assert "config-error" not in dags["mail_only"].tags  # e-mail only: the SMTP provider is there


def test_the_docs_name_the_operating_settings_and_show_the_source(tmp_path):
    write(tmp_path, "defaults.yaml", "owner: data\ntags: [company]\n")
    write(tmp_path / "team", "defaults.yaml", "owner: team\ndefaults: {retries: 0}\n")
    write(tmp_path / "team", "ops.yaml", WF)
    doc = load(tmp_path, replay=True)["ops"].doc_md
    assert "| Notify | Slack via `slack_alerts` on failure, retry |" in doc
    assert "| Notify | e-mail oncall@example.com on failure, success |" in doc
    assert "| Run parameters | resync, dbt_full_refresh, days |" in doc
    source = doc.split("### Workflow file `team/ops.yaml`", 1)[1]
    assert "```yaml\n" + WF in source
    assert "Merged from `defaults.yaml` < `team/defaults.yaml` (nearest last)" in source
    assert "owner: team\ntags:\n- company\ndefaults:\n  retries: 0\n" in source
