"""``lineage: true`` on a dbt step: OpenLineage events through ``dbt-ol``, or plain dbt with a warning without it.

The events go to OpenLineage's file transport, configured as a deployment would (an ``openlineage.yml`` named by
``OPENLINEAGE_CONFIG``; no network), and are read back: a START and a COMPLETE of the dbt run, and of every model
it ran, with the model's table as output and the tables it reads (the Hevo-loaded sources in raw.duckdb, or the
models before it) as inputs.
"""

from __future__ import annotations

import json
import os
import shlex

import pytest

from .dbt_helpers import load_dag, nodes, rendered_fields, run_dag, run_results, task_states

pytestmark = [pytest.mark.dbt, pytest.mark.slow]

STEP = """\
steps:
  - id: accounts
    dbt:
      command: run
      select: {select}
      target: ci
      project_dir: dbt/analytics
      profiles_dir: dbt/analytics
      lineage: true
"""
MODELS = ("stg_salesforce__accounts", "stg_salesforce__opportunities", "accounts", "account_scores")
EXAMPLE_STEP = STEP.format(select='["staging.salesforce+", "tag:accounts"]')  # as in configs/crm_accounts_daily.yaml
ONE_VIEW = STEP.format(select="stg_salesforce__accounts")


@pytest.fixture
def lineage_file(tmp_path, monkeypatch):
    """OpenLineage's file transport, set up through an openlineage.yml as on a worker."""
    events = tmp_path / "events.jsonl"
    config = tmp_path / "openlineage.yml"
    config.write_text(f"transport:\n  type: file\n  log_file_path: {events}\n  append: true\n")
    monkeypatch.setenv("OPENLINEAGE_CONFIG", str(config))
    added = _listen_with_openlineage()
    yield events
    for manager, listener in added:
        manager.pm.unregister(listener)
    _forget_openlineage_settings()


def _listen_with_openlineage() -> list:
    """Airflow's OpenLineage provider reads its settings once per process (``functools.cache``), keeps its client,
    and its plugin registers the listener only if it was enabled when the plugins loaded: an earlier test in this
    process without a transport would leave it off for this one. Forget those settings and register the listener
    where the plugin would have (the task runner's listener manager and, on 2.x, the only one)."""
    _forget_openlineage_settings()
    try:
        from airflow.providers.openlineage.plugins.listener import get_openlineage_listener
    except ImportError:
        return []
    try:
        from airflow.sdk.listener import get_listener_manager  # Airflow 3: what the task runner calls
    except ImportError:
        from airflow.listeners.listener import get_listener_manager
    manager, listener = get_listener_manager(), get_openlineage_listener()
    if manager.pm.is_registered(listener):
        return []
    manager.add_listener(listener)
    return [(manager, listener)]


def _forget_openlineage_settings() -> None:
    try:
        from airflow.providers.openlineage import conf as ol_conf
        from airflow.providers.openlineage.plugins.listener import get_openlineage_listener
    except ImportError:
        return
    for value in vars(ol_conf).values():
        if callable(getattr(value, "cache_clear", None)):
            value.cache_clear()
    get_openlineage_listener().adapter._client = None


def _events(path):
    """The events dbt-ol wrote (with Airflow's OpenLineage provider installed, the task's own events are there too)."""
    events = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [e for e in events if "/integration/dbt" in e["producer"]]


def test_a_lineage_step_runs_dbt_ol_and_emits_events_per_model(
    dbt_worker, airflow_db, lineage_file, tmp_path, monkeypatch
):
    dag_id = "dbt_lineage"
    artifacts = tmp_path / "artifacts"
    monkeypatch.setenv("HEVO_DAGFACTORY_DBT_ARTIFACTS_DIR", str(artifacts))
    dag_run = run_dag(load_dag(dbt_worker.workflows, dag_id, EXAMPLE_STEP), tmp_path)
    assert task_states(dag_run) == {"accounts": "success"}
    assert shlex.split(rendered_fields(dag_run, "accounts")["bash_command"])[0] == "dbt-ol"
    assert set(nodes(run_results(artifacts, dag_id, "accounts"))) == {f"model.analytics.{m}" for m in MODELS}

    events = _events(lineage_file)
    by_job: dict[str, list[str]] = {}
    for event in events:
        assert event["eventTime"] and event["producer"] and event["run"]["runId"], event
        by_job.setdefault(event["job"]["name"], []).append(event["eventType"])
    # The wrapping run of the dbt command (dbt-ol's job name for the project), then one job per model.
    assert by_job.pop("dbt-run-analytics") == ["START", "COMPLETE"], by_job
    assert {name.split(".")[3] for name in by_job} == set(MODELS), by_job
    assert all(types == ["START", "COMPLETE"] for types in by_job.values()), by_job

    warehouse = f"duckdb://{dbt_worker.warehouse}"
    (complete,) = [e for e in events if e["eventType"] == "COMPLETE" and e["job"]["name"].endswith(".accounts")]
    assert [(d["namespace"], d["name"]) for d in complete["outputs"]] == [
        (f"{warehouse}/{dag_id}.duckdb", f"{dag_id}.ci.accounts")
    ]
    assert {d["name"] for d in complete["inputs"]} == {
        f"{dag_id}.ci.stg_salesforce__accounts",
        f"{dag_id}.ci.stg_salesforce__opportunities",
    }
    (staging,) = [
        e for e in events if e["eventType"] == "COMPLETE" and e["job"]["name"].endswith(".stg_salesforce__accounts")
    ]
    assert [d["name"] for d in staging["inputs"]] == ["raw.salesforce.salesforce_accounts"]  # the Hevo-loaded table
    # Each model's run is a child of the dbt run.
    wrapper_run = next(e["run"]["runId"] for e in events if e["job"]["name"] == "dbt-run-analytics")
    assert complete["run"]["facets"]["parent"]["run"]["runId"] == wrapper_run
    assert dbt_worker.list_project() == dbt_worker.project_files


def test_without_dbt_ol_the_step_runs_plain_dbt_and_says_so(dbt_worker, lineage_file, monkeypatch, capfd):
    """No dbt-ol on the worker's PATH: the rendered command is plain dbt, dbt runs, the log says what to install."""
    no_wrapper = str(dbt_worker.bin_dir / "dbt-ol-less")
    monkeypatch.setenv("PATH", os.pathsep.join([no_wrapper, *os.environ["PATH"].split(os.pathsep)[1:]]))
    assert not any(os.access(os.path.join(d, "dbt-ol"), os.X_OK) for d in os.environ["PATH"].split(os.pathsep))
    dag = load_dag(dbt_worker.workflows, "dbt_no_wrapper", ONE_VIEW)
    task = dag.get_task("accounts")
    assert shlex.split(task.bash_command)[0] == "dbt-ol"  # the DAG as built asks for the wrapper

    task.render_template_fields({})
    task.execute({})

    assert shlex.split(task.bash_command)[0] == "dbt"
    out = capfd.readouterr()
    logged = out.out + out.err
    assert "dbt-ol is not on this worker's PATH: running plain dbt" in logged, logged[-3000:]
    assert "pip install openlineage-dbt" in logged
    assert "Completed successfully" in logged  # dbt itself ran
    assert not lineage_file.exists()


def test_a_missing_dbt_fails_the_task_saying_what_to_install(dbt_worker, monkeypatch, tmp_path):
    from hevo_dagfactory.provider.compat import AirflowException

    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    dag = load_dag(dbt_worker.workflows, "dbt_missing", ONE_VIEW.replace("      lineage: true\n", ""))
    task = dag.get_task("accounts")
    task.render_template_fields({})
    with pytest.raises(AirflowException, match=r"dbt is not on the PATH of this worker .* `pip install 'dbt-core"):
        task.execute({})


def test_with_airflows_openlineage_provider_dbt_runs_are_children_of_the_task(
    dbt_worker, airflow_db, lineage_file, tmp_path
):
    """With apache-airflow-providers-openlineage installed, dbt-ol's run names the task's OpenLineage run as parent."""
    pytest.importorskip("airflow.providers.openlineage", reason="needs apache-airflow-providers-openlineage")
    dag_id = "dbt_lineage_parent"
    dag_run = run_dag(load_dag(dbt_worker.workflows, dag_id, ONE_VIEW), tmp_path)
    assert task_states(dag_run) == {"accounts": "success"}
    everything = [json.loads(line) for line in lineage_file.read_text().splitlines() if line.strip()]
    task_runs = {e["run"]["runId"] for e in everything if e["job"]["name"] == f"{dag_id}.accounts"}
    assert len(task_runs) == 1, everything  # the provider's own events of the Airflow task
    wrapper = [e for e in _events(lineage_file) if e["job"]["name"] == "dbt-run-analytics"]
    assert [e["eventType"] for e in wrapper] == ["START", "COMPLETE"]
    for event in wrapper:
        parent = event["run"]["facets"]["parent"]
        assert parent["run"]["runId"] in task_runs and parent["job"]["name"] == f"{dag_id}.accounts", parent
