"""Golden structure of every example in configs/: tasks, dependencies, operators, schedule, tags, assets.

A new example without a golden entry fails ``test_every_example_has_a_golden_entry``, so the
examples and this file cannot drift apart silently.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from hevo_dagfactory.provider.compat import AIRFLOW_3, BashOperator
from tests.factory.helpers import CONFIGS, REPO

EU_41872 = "hevo://eu/pipelines/41872"


def synced(uri: str) -> list[str]:
    """A sync's outlets: its pipeline's Asset and the alias its loaded tables are emitted through."""
    return [uri, f"alias:{uri}/tables"]


def outlet_id(outlet) -> str:
    return outlet.uri if hasattr(outlet, "uri") else f"alias:{outlet.name}"


DBT_DIR = str(CONFIGS / "dbt" / "analytics")  # the examples' dbt project, beside them

GOLDEN = {
    "crm_accounts_daily": {
        "schedule": ("cron", "30 5 * * *", "Europe/Berlin"),
        "tags": {"hevo", "region:eu", "crm", "salesforce"},
        "owner": "data-eng",
        "default_args": {"retries": 1, "retry_delay": timedelta(seconds=30), "execution_timeout": timedelta(hours=2)},
        "tasks": {
            "salesforce": ("HevoPipelineOperator", set(), synced(EU_41872)),
            "dbt_accounts": ("DbtBashOperator", {"salesforce"}, []),
        },
        "syncs": {
            "salesforce": {
                "pipeline_id": 41872,
                "action": "SYNC_NOW",
                "deferrable": True,
                "wait_for_completion": True,
                "region": "eu",
            }
        },
        "commands": {
            "dbt_accounts": f"dbt-ol run --select staging.salesforce+ tag:accounts --target prod "
            f"--project-dir {DBT_DIR} --profiles-dir {DBT_DIR}",
        },
    },
    "crm_scoring_on_sync": {
        "schedule": ("assets", (EU_41872,)),
        "tags": {"hevo", "region:eu", "crm", "scoring"},
        "owner": "data-eng",
        "default_args": {"retries": 1, "retry_delay": timedelta(seconds=30), "execution_timeout": timedelta(hours=2)},
        "tasks": {
            "dbt_scoring": ("DbtBashOperator", set(), []),
            "announce": ("WorkflowBashOperator", {"dbt_scoring"}, []),
        },
        "syncs": {},
        "commands": {
            "dbt_scoring": f"dbt build --select +marts.crm.account_scores --target prod "
            f"--project-dir {DBT_DIR} --profiles-dir {DBT_DIR}",
            "announce": 'echo "account scores rebuilt for {{ dag_run.run_after | ds }}"',
        },
    },
    "commerce_orders_daily": {
        "airflow3_only": "has no Deadline Alerts",  # deadline: by 07:00 (Airflow 2.11: a placeholder saying so)
        "schedule": ("cron", "0 4 * * *", "Europe/Berlin"),
        "tags": {"hevo", "region:eu", "commerce"},
        "owner": "commerce-data",
        "default_args": {"retries": 1, "retry_delay": timedelta(seconds=30), "execution_timeout": timedelta(hours=2)},
        "tasks": {
            "shopify_orders": ("HevoRunParamsOperator", set(), synced("hevo://eu/pipelines/52001")),
            "payments": ("HevoRunParamsOperator", set(), synced("hevo://eu/pipelines/52002")),
            "dbt_orders": ("DbtBashOperator", {"shopify_orders", "payments"}, []),
        },
        "syncs": {
            "shopify_orders": {
                "pipeline_id": 52001,
                "pool": "hevo_pipeline_52001",
                "pool_slots": 1,
                "priority_weight": 10,
                "resync": "{{ params.resync }}",
            },
            "payments": {"pipeline_id": 52002, "pool": "hevo_pipeline_52002"},
        },
        "commands": {
            "dbt_orders": 'dbt build --select +revenue_daily --vars \'{"lookback_days": "{{ params.lookback_days }}"}\' '
            f"--target prod --project-dir {DBT_DIR} --profiles-dir {DBT_DIR}",
        },
    },
    "finance_close_nightly": {
        "schedule": ("cron", "0 2 * * 1-5", "Europe/Berlin"),
        "tags": {"hevo", "region:us", "finance", "nightly"},
        "owner": "finance-data",
        "default_args": {"retries": 1, "retry_delay": timedelta(seconds=30), "execution_timeout": timedelta(hours=3)},
        "tasks": {
            "stripe": ("HevoPipelineOperator", set(), synced("hevo://us/pipelines/90311")),
            "netsuite": ("HevoPipelineOperator", set(), synced("hevo://us/pipelines/90318")),
            "bank_feed": ("HevoPipelineOperator", set(), synced("hevo://us/pipelines/90402")),
            "dbt_finance": ("DbtBashOperator", {"stripe", "netsuite", "bank_feed"}, []),
            "check_export_dir": ("WorkflowBashOperator", {"dbt_finance"}, []),
        },
        "syncs": {
            "stripe": {"pipeline_id": 90311, "action": "SYNC_NOW", "on_completed_with_failures": "warn"},
            "bank_feed": {
                "pipeline_id": 90402,
                "action": "RESYNC",
                "resync_mode": "EVOLVE_AND_MERGE",
                "timeout": 4 * 3600,
                "region": "us",
            },
        },
        "commands": {
            "dbt_finance": "dbt build --select tag:finance --exclude tag:deprecated "
            '--vars \'{"close_date": "{{ ds }}"}\' --target prod '
            f"--project-dir {DBT_DIR} --profiles-dir {DBT_DIR} --threads 4",
            "check_export_dir": 'test -d "$EXPORT_DIR" && echo "finance export folder present for {{ ds }}"',
        },
    },
}


@pytest.fixture(scope="module", params=["built", "replayed"])
def example_dags(request):
    """The examples' DAGs built from the models, and replayed from the cached build plans."""
    import os

    from hevo_dagfactory.factory import cache, load_workflows
    from hevo_dagfactory.factory.loader import LAST_RUN

    env_backup = {}
    for var in ("DBT_PROJECT_DIR", "DBT_PROFILES_DIR", "FINANCE_EXPORT_DIR", "HEVO_DAGFACTORY_ENV"):
        env_backup[var] = os.environ.pop(var, None)
    try:
        dags = load_workflows(CONFIGS, {"__file__": str(REPO / "dags" / "x.py")})
        if request.param == "replayed":
            cache.reset()  # a new parse process: only the disk cache is left
            dags = load_workflows(CONFIGS, {"__file__": str(REPO / "dags" / "x.py")})
            runnable = [d for d, want in GOLDEN.items() if AIRFLOW_3 or "airflow3_only" not in want]
            assert LAST_RUN["replayed"] == len(runnable) and LAST_RUN["validated"] == 0, LAST_RUN
        return dags
    finally:
        for var, value in env_backup.items():
            if value is not None:
                os.environ[var] = value


def schedule_of(dag):
    tt = dag.timetable
    # Airflow 2.x calls Assets Datasets (DatasetTriggeredTimetable.dataset_condition)
    condition = getattr(tt, "asset_condition", None) or getattr(tt, "dataset_condition", None)
    if condition is not None and hasattr(condition, "objects"):  # 2.x: a _NullDataset has no objects
        return ("assets", tuple(sorted(a.uri for a in condition.objects)))
    expression = getattr(tt, "expression", None) or getattr(tt, "_expression", None)  # 2.x: _expression
    if expression:
        tz = getattr(tt, "timezone", None) or getattr(tt, "_timezone", None)
        return ("cron", expression, str(tz.name))
    return (type(tt).__name__,)


def test_every_example_has_a_golden_entry(example_dags):
    from hevo_dagfactory.spec import find_workflow_files

    assert len(find_workflow_files(CONFIGS)) == len(GOLDEN)
    assert set(example_dags) == set(GOLDEN)


@pytest.mark.parametrize("dag_id", sorted(GOLDEN))
def test_structure(example_dags, dag_id):
    dag, want = example_dags[dag_id], GOLDEN[dag_id]
    if "airflow3_only" in want and not AIRFLOW_3:  # a placeholder that says why, not a DAG without the feature
        assert "config-error" in dag.tags and want["airflow3_only"] in dag.description
        return
    assert schedule_of(dag) == want["schedule"]
    assert set(dag.tags) == want["tags"]
    assert "config-error" not in dag.tags
    got_tasks = {
        t.task_id: (type(t).__name__, set(t.upstream_task_ids), [outlet_id(o) for o in t.outlets]) for t in dag.tasks
    }
    assert got_tasks == want["tasks"]
    for key, value in want["default_args"].items():
        assert dag.default_args[key] == value, key
    assert all(t.owner == want["owner"] for t in dag.tasks)
    for task_id, attrs in want["syncs"].items():
        op = dag.get_task(task_id)
        for attr, value in attrs.items():
            assert getattr(op, attr) == value, (task_id, attr)
        assert op.connection_id == "hevo_airflow_conn_id"
    for task_id, command in want["commands"].items():
        assert isinstance(dag.get_task(task_id), BashOperator)  # Airflow's standard-provider operator
        assert dag.get_task(task_id).bash_command == command


def test_doc_md_describes_the_workflow(example_dags):
    doc = example_dags["finance_close_nightly"].doc_md
    assert doc.startswith("Load Stripe, NetSuite and the bank feed")
    assert "`finance_close_nightly.yaml`" in doc
    for fragment in (
        "| `bank_feed` | 90402 | resync (evolve_and_merge)",
        "`hevo://us/pipelines/90311`",
        "select tag:finance",
        "exclude tag:deprecated",
        "target prod",
        "`0 2 * * 1-5` (Europe/Berlin)",
    ):
        assert fragment in doc
    assert str(REPO) not in doc  # no machine paths in the UI
