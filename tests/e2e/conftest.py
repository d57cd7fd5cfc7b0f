"""One real Airflow stack for all e2e tests (start-up is paid once, about 20-30 s).

Package scope (this folder is a package) rather than session scope: the stack is shared by every e2e test
exactly as a session fixture would be, but it is stopped as soon as the last e2e test is done, so its idle
scheduler and triggerers do not slow down the rest of ``make test``.

Every test owns its DAG id(s) and pipeline id(s), written below as YAML workflow files before the stack starts,
so the dag-processor parses them all in its first pass and no test waits for a folder refresh. Tests script
their own pipelines in the simulator at their start, so a test's outcome never depends on another's.

The dbt steps run the real dbt of ``.venv-dbt`` against a copy of the example project beside the workflow
files (``dbt/analytics``, referenced relative to them, as in configs/), each DAG into its own DuckDB file.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from hevo_dagfactory.demo import AirflowStack, dbtsetup
from hevo_dagfactory.demo.standins import WebhookRecorder, slack_connection_json

REPO = Path(__file__).resolve().parents[2]
DBT_DIRS = "project_dir: dbt/analytics, profiles_dir: dbt/analytics"

# dag_id -> workflow YAML (retries 0: a failing test must fail now, not after a retry delay)
WORKFLOWS: dict[str, str] = {
    "e2e_happy": """
        syncs:
          - id: sync
            pipeline_id: 910101
        steps:
          - id: dbt_run
            dbt: {command: run, select: ["staging.salesforce+", "tag:accounts"], target: ci, lineage: true, DBT_DIRS}
          - id: done
            bash: echo "happy path finished"
            after: [dbt_run]
    """,
    "e2e_crash": """
        syncs:
          - id: sync
            pipeline_id: 910201
        steps:
          - id: done
            bash: echo "survived the triggerer crash"
    """,
    "e2e_pair": """
        syncs:
          - {id: sync_a, pipeline_id: 910301}
          - {id: sync_b, pipeline_id: 910302}
          - {id: sync_c, pipeline_id: 910303}
          - {id: sync_d, pipeline_id: 910304}
        steps:
          - id: done
            bash: echo "all four syncs finished"
    """,
    "e2e_fail": """
        syncs:
          - id: sync
            pipeline_id: 910401
        steps:
          - id: dbt_run
            dbt: {command: run, select: ["tag:accounts"], DBT_DIRS}
    """,
    "e2e_timeout": """
        syncs:
          - id: sync
            pipeline_id: 910501
            timeout: 4s
        steps:
          - id: dbt_run
            dbt: {command: run, DBT_DIRS}
    """,
    "e2e_neighbour": """
        steps:
          - id: hello
            bash: echo "a good workflow next to a broken file"
    """,
    "e2e_lineage": """
        syncs:
          - {id: ok, pipeline_id: 910801}
          - {id: warned, pipeline_id: 910802, on_completed_with_failures: warn}
          - {id: failed, pipeline_id: 910803}
    """,
    # notifications and a deadline, delivered to the local Slack stand-in (test_e2e_notify.py)
    "e2e_notify": """
        notify: [{slack: e2e_slack, on: [failure]}]
        syncs:
          - id: sync
            pipeline_id: 910811
    """,
    # a retry (not a second sync: it attaches) rides out Airflow 3.3's race between a deferring try's late
    # "success" event and the resumed try, which fails a resumed task that has no retry left
    "e2e_deadline": """
        defaults: {retries: 1, retry_delay: 1s}
        deadline: {after: 3s, notify: [{slack: e2e_slack}]}
        syncs:
          - id: sync
            pipeline_id: 910812
    """,
    # two DAGs syncing one pipeline, one task at a time (exclusive: its pipeline pool)
    "e2e_exclusive_a": """
        defaults: {retries: 1, retry_delay: 1s}
        syncs:
          - {id: sync, pipeline_id: 910813, exclusive: true}
    """,
    "e2e_exclusive_b": """
        defaults: {retries: 1, retry_delay: 1s}
        syncs:
          - {id: sync, pipeline_id: 910813, exclusive: true}
    """,
    "e2e_secret": """
        syncs:
          - id: sync
            pipeline_id: 910601
        steps:
          - id: dbt_run
            dbt: {command: build, select: ["+stg_netsuite__invoices"], vars: {run: "{{ run_id }}"}, DBT_DIRS}
          - id: done
            bash: echo "pipeline 910601 synced for {{ run_id }}"
            after: [dbt_run]
    """,
}

HEADER = """\
schedule: null
start_date: 2026-01-01
owner: e2e
tags: [e2e]
hevo: {connection_id: hevo_airflow_conn_id, region: us}
defaults: {retries: 0, retry_delay: 1s}
sync_defaults: {poll_interval: 1s}
"""


# A broken workflow file lives in the same folder as every other test's workflow for the whole session:
# the other tests' runs prove it harms nothing, test_e2e_broken_file checks its placeholder.
BROKEN_FILE = "e2e_broken.yaml"
BROKEN_TEXT = "dag_id: e2e_broken\n" + HEADER + "syncs:\n  - id: orders\n    pipeline_idd: 910701\n"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under an Airflow 2.x interpreter, skip (with the reason) the e2e tests that start a stack of their own line.

    ``make test`` runs the e2e suite under Airflow 3.3 only (and deselects it with ``-m "not e2e"`` on 2.11);
    the 2.11 stack is covered from there by test_e2e_demo_af2.py, which runs the demo with the interpreter of
    ``.venv-af2`` (``RUNS_ON_ANY_LINE``). This hook only matters for a hand-run ``-m e2e`` on ``.venv-af2``.
    """
    from hevo_dagfactory.provider.compat import AIRFLOW_3, AIRFLOW_VERSION

    if AIRFLOW_3:
        return
    reason = f"run the e2e suite under Airflow 3.3 (`make test-e2e`); this is Airflow {AIRFLOW_VERSION}"
    skip = pytest.mark.skip(reason=reason)
    for item in items:
        if item.get_closest_marker("e2e") is not None and not getattr(item.module, "RUNS_ON_ANY_LINE", False):
            item.add_marker(skip)


def write_workflows(config_dir: Path) -> None:
    config_dir.mkdir(parents=True, exist_ok=True)
    for dag_id, body in WORKFLOWS.items():
        body = textwrap.dedent(body).strip().replace("DBT_DIRS", DBT_DIRS)
        header = HEADER if "defaults:" not in body else HEADER.replace("defaults: {retries: 0, retry_delay: 1s}\n", "")
        text = f"dag_id: {dag_id}\n{header}{body}\n"
        (config_dir / f"{dag_id}.yaml").write_text(text)
    (config_dir / BROKEN_FILE).write_text(BROKEN_TEXT)
    shutil.copytree(REPO / "configs" / dbtsetup.EXAMPLE_PROJECT, config_dir / dbtsetup.EXAMPLE_PROJECT)


def write_loader(dags_dir: Path) -> None:
    dags_dir.mkdir(parents=True, exist_ok=True)
    (dags_dir / "hevo_workflows.py").write_text(
        '"""e2e loader: the workflow files in $HEVO_DAGFACTORY_CONFIG_DIR become Airflow DAGs."""\n\n'
        "from hevo_dagfactory import load_workflows\n\nload_workflows()\n"
    )


@pytest.fixture(scope="package")
def e2e_slack() -> Iterator[WebhookRecorder]:
    """The Slack incoming webhook the stack's ``e2e_slack`` connection posts to: a recorder on 127.0.0.1."""
    with WebhookRecorder() as hook:
        yield hook


@pytest.fixture(scope="package")
def e2e_stack(request: pytest.FixtureRequest, e2e_slack: WebhookRecorder) -> Iterator[AirflowStack]:
    """The shared stack (started once for the package): simulator + scheduler, dag-processor, triggerer (capacity 3), api-server."""
    dbt_venv = dbtsetup.find_venv([REPO / dbtsetup.VENV_NAME])
    if dbt_venv is None:
        pytest.skip(f"the e2e workflows run real dbt, and there is no {dbtsetup.VENV_NAME}: {dbtsetup.INSTALL_HINT}")
    root = Path(tempfile.mkdtemp(prefix="hevo-e2e-"))
    config_dir, dags_dir = root / "configs", root / "dags"
    write_workflows(config_dir)
    write_loader(dags_dir)
    stack = AirflowStack(
        root / "airflow-home",
        dags_folder=dags_dir,
        config_dir=config_dir,
        api_secret=f"E2E-SECRET-{secrets.token_hex(20)}",
        triggerer_capacity=3,
        dbt_venv=dbt_venv,
        raw_data_projects=dbtsetup.example_projects(config_dir),
        extra_env={"AIRFLOW_CONN_E2E_SLACK": slack_connection_json(e2e_slack.url)},
    )
    with stack:
        stack.api.wait_for_dags([*sorted(WORKFLOWS), "e2e_broken"], timeout=120)
        for dag_id in WORKFLOWS:
            stack.api.unpause(dag_id)
        yield stack
    # Keep the home (logs, metadata DB) only when a test failed: failure messages point into it.
    if not request.session.testsfailed:
        shutil.rmtree(root, ignore_errors=True)
