"""Every flag the factory generates, proven against dbt itself.

A workflow file is built into a DAG by the loader, ``dag.test()`` renders each task and runs it as Airflow
does (the real ``DbtBashOperator``, bash, the dbt of ``.venv-dbt``), and the assertions read what dbt did:
its run_results.json (which nodes ran, the arguments it parsed, the command line it was given) and the
DuckDB file (the tables, the target's schema, the values the models computed from ``vars`` and
``target.threads``). The example project's tables are in the schema of the target that built them.
"""

from __future__ import annotations

import shlex

import pytest

from hevo_dagfactory.provider.compat import AIRFLOW_3

from .dbt_helpers import load_dag, nodes, rendered_fields, run_dag, run_results, task_states

pytestmark = [
    pytest.mark.dbt,
    pytest.mark.slow,
    # The command line is built by the same code on both lines and dbt does not know which Airflow started it;
    # test_dbt_lineage.py runs real dbt through 2.11's task runner (render, execute, fallback), so 2.11 skips this.
    pytest.mark.skipif(not AIRFLOW_3, reason="dbt flags are line-independent; 2.11 runs test_dbt_lineage.py"),
]

DAG_ID = "dbt_flags"
PROJECT = "project_dir: dbt/analytics, profiles_dir: dbt/analytics"
WORKFLOW = f"""\
steps:
  - id: finance
    dbt:
      command: build
      select: tag:finance
      exclude: [tag:deprecated]
      vars: {{close_date: "{{{{ dag_run.conf.close_date }}}}"}}
      target: ci
      threads: 3
      {PROJECT.replace(", ", chr(10) + "      ")}
  - id: incremental
    dbt: {{command: run, select: revenue_daily, target: ci, {PROJECT}}}
    after: [finance]
  - id: full_refresh
    dbt: {{command: run, select: revenue_daily, target: ci, full_refresh: true, {PROJECT}}}
    after: [incremental]
  - id: crm_default_target
    dbt: {{command: run, selector: crm, {PROJECT}}}
    after: [full_refresh]
"""

FINANCE_MODELS = {"stg_stripe__charges", "stg_netsuite__invoices", "stg_bank__transactions", "revenue_daily"}
FINANCE_MODELS |= {"finance_close"}


@pytest.fixture(scope="module")
def flags_run(airflow_db, dbt_worker, tmp_path_factory):
    """One run of the workflow above; the artifacts of each task kept under ``artifacts``."""
    with pytest.MonkeyPatch.context() as mp:
        artifacts = tmp_path_factory.mktemp("artifacts")
        mp.setenv("HEVO_DAGFACTORY_DBT_ARTIFACTS_DIR", str(artifacts))
        dag = load_dag(dbt_worker.workflows, DAG_ID, WORKFLOW)
        dag_run = run_dag(dag, tmp_path_factory.mktemp("dagtest"), conf={"close_date": "2025-12-30"})
    return dag_run, artifacts


def test_every_step_ran_real_dbt_with_the_rendered_command(flags_run, dbt_env):
    dag_run, artifacts = flags_run
    assert task_states(dag_run) == dict.fromkeys(
        ("finance", "incremental", "full_refresh", "crm_default_target"), "success"
    )
    for task_id in ("finance", "incremental", "full_refresh", "crm_default_target"):
        results = run_results(artifacts, DAG_ID, task_id)
        assert set(nodes(results).values()) <= {"success", "pass"}, nodes(results)
        # The line Airflow recorded as rendered is, argument for argument, what dbt was given (dbt records its
        # argv joined by spaces).
        rendered = shlex.split(rendered_fields(dag_run, task_id)["bash_command"])
        assert rendered[0] == "dbt" and results["args"]["invocation_command"] == " ".join(rendered)
        # --project-dir and --profiles-dir reached dbt (the task's working folder is a fresh temporary one, and
        # HOME has no ~/.dbt: dbt found the project and the profile through these flags alone).
        assert results["args"]["project_dir"] == str(dbt_env.project)
        assert results["args"]["profiles_dir"] == str(dbt_env.project)
    assert dbt_env.list_project() == dbt_env.project_files, "a dbt task wrote into the project folder"


def test_select_exclude_vars_target_and_threads(flags_run, dbt_env):
    _, artifacts = flags_run
    results = run_results(artifacts, DAG_ID, "finance")
    ran = nodes(results)
    # --select tag:finance --exclude tag:deprecated: the finance models and their tests, not the deprecated one.
    assert {u.split(".")[-1] for u in ran if u.startswith("model.")} == FINANCE_MODELS
    assert "model.analytics.legacy_revenue_report" not in ran
    assert any(u.startswith("test.") for u in ran) and not any("salesforce" in u for u in ran)
    # --target ci: every table is in the ci schema, and the model saw target.name == "ci".
    relations = {r["relation_name"] for r in results["results"] if r["unique_id"].startswith("model.")}
    assert relations == {f'"{DAG_ID}"."ci"."{m}"' for m in FINANCE_MODELS}
    # --vars '{"close_date": ...}' (rendered from the run's conf) and --threads 3, as the model saw them.
    rows = dbt_env.query(
        DAG_ID,
        "select close_date, currency, open_receivables, target_name, threads from ci.finance_close order by currency",
    )
    assert rows == [["2025-12-30", "EUR", "7200.00", "ci", 3], ["2025-12-30", "USD", "900.00", "ci", 3]]
    assert results["args"]["vars"] == {"close_date": "2025-12-30"} and results["args"]["threads"] == 3
    threads = {r["thread_id"] for r in results["results"]}
    assert 1 < len(threads) <= 3 and all(t.startswith(("Thread-1 ", "Thread-2 ", "Thread-3 ")) for t in threads)


def test_full_refresh_rebuilds_an_incremental_model(flags_run, dbt_env):
    _, artifacts = flags_run
    incremental = run_results(artifacts, DAG_ID, "incremental")
    refreshed = run_results(artifacts, DAG_ID, "full_refresh")
    assert not incremental["args"].get("full_refresh") and refreshed["args"]["full_refresh"] is True
    # dbt compiled the incremental branch without the flag and the full rebuild with it.
    (inc,) = incremental["results"]
    (full,) = refreshed["results"]
    assert "'incremental' as load_mode" in inc["compiled_code"] and "max(revenue_date)" in inc["compiled_code"]
    assert "'full' as load_mode" in full["compiled_code"] and "max(revenue_date)" not in full["compiled_code"]
    assert dbt_env.query(DAG_ID, "select distinct load_mode from ci.revenue_daily") == [["full"]]


def test_selector_and_the_profiles_default_target(flags_run, dbt_env):
    _, artifacts = flags_run
    results = run_results(artifacts, DAG_ID, "crm_default_target")
    assert results["args"]["selector"] == "crm" and results["args"].get("target") is None
    models = {u.split(".")[-1] for u in nodes(results)}
    assert models == {"stg_salesforce__accounts", "stg_salesforce__opportunities", "accounts", "account_scores"}
    # No --target: the profile's default target (dev) and its schema.
    schemas = dbt_env.query(
        DAG_ID,
        "select distinct table_schema from information_schema.tables "
        "where table_name in ('accounts', 'account_scores')",
    )
    assert schemas == [["dev"]]
