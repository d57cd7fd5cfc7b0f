"""Fast checks of the demo's dbt set-up, without starting Airflow (no e2e marker): the dbt venv on PATH, every
dbt output in the stack's home, the caller's dbt and lineage settings kept out, clear errors."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import pytest

from hevo_dagfactory.demo import AirflowStack, StackError, dbtsetup
from hevo_dagfactory.demo.cli import _dbt_venv
from hevo_dagfactory.demo.runner import DemoError, plan_from_configs

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def dbt_venv():
    venv = dbtsetup.find_venv([REPO / dbtsetup.VENV_NAME])
    if venv is None:
        pytest.skip(f"no {dbtsetup.VENV_NAME}: {dbtsetup.INSTALL_HINT}")
    return venv


def test_the_stack_puts_dbt_first_on_path_and_every_dbt_output_in_its_home(tmp_path, monkeypatch, dbt_venv):
    monkeypatch.setenv("DBT_PROFILES_DIR", "/home/someone/.dbt")  # the caller's own dbt and lineage settings
    monkeypatch.setenv("OPENLINEAGE_URL", "http://lineage.example.com")
    stack = AirflowStack(tmp_path / "home", dags_folder=tmp_path / "dags", with_simulator=False, dbt_venv=dbt_venv)
    assert stack.dbt.prepare(stack.home / "bin") == ["dbt", "dbt-ol"]
    env = stack.env()
    first = Path(env["PATH"].split(os.pathsep)[0])
    assert first == stack.home / "bin"
    assert (first / "dbt").resolve() == (dbt_venv / "bin" / "dbt").resolve()
    assert (first / "dbt-ol").resolve() == (dbt_venv / "bin" / "dbt-ol").resolve()
    assert not (first / "python").exists()  # the dbt venv's python must not shadow Airflow's in bash steps
    home_dbt = str(stack.home / "dbt")
    assert env["ANALYTICS_DUCKDB_DIR"].startswith(home_dbt)
    assert env["HEVO_DAGFACTORY_DBT_ARTIFACTS_DIR"].startswith(home_dbt)
    assert env["OPENLINEAGE__TRANSPORT__TYPE"] == "file"
    assert env["OPENLINEAGE__TRANSPORT__LOG_FILE_PATH"].startswith(home_dbt)
    assert "DBT_PROFILES_DIR" not in env and "OPENLINEAGE_URL" not in env


def test_a_failing_raw_data_load_stops_the_stack_with_its_log(tmp_path, dbt_venv):
    stack = AirflowStack(tmp_path / "home", dags_folder=tmp_path / "dags", with_simulator=False, dbt_venv=dbt_venv)
    stack.dbt.prepare(stack.home / "bin")
    missing = tmp_path / "no-such-project"
    load = stack.dbt.raw_load(missing, stack.env(), stack.logs_dir / "dbt-seed.log").start()
    try:
        with pytest.raises(StackError, match=r"loading the example project's raw data: .* exited with code [1-9]"):
            stack.dbt.wait_loaded([load], timeout=180)
    finally:
        load.stop(grace_s=1)
    assert "does not exist" in (stack.logs_dir / "dbt-seed.log").read_text()  # dbt's own reason, in the log


def test_the_demo_says_how_to_get_dbt(tmp_path):
    plan = plan_from_configs(REPO / "configs")
    assert plan.dbt_steps == 4  # crm_accounts_daily, crm_scoring_on_sync, finance_close_nightly, commerce/
    args = argparse.Namespace(dbt_venv=tmp_path / "not-a-venv")
    with pytest.raises(DemoError, match="has no bin/dbt; `make install-dbt` creates it"):
        _dbt_venv(args, plan)


def test_example_projects_are_found_beside_the_workflows(tmp_path):
    assert dbtsetup.example_projects(REPO / "configs") == (REPO / "configs" / "dbt" / "analytics",)
    assert dbtsetup.example_projects(tmp_path) == ()


def test_a_task_result_summarises_run_results():
    data = {
        "args": {"which": "build"},
        "results": [
            {"unique_id": "model.analytics.accounts", "status": "success", "relation_name": '"d"."prod"."accounts"'},
            {"unique_id": "model.analytics.scores", "status": "error", "relation_name": '"d"."prod"."scores"'},
            {"unique_id": "test.analytics.unique_accounts_id.abc", "status": "pass", "relation_name": None},
            {"unique_id": "seed.analytics.raw", "status": "success", "relation_name": None},
        ],
    }
    result = dbtsetup.read_run_results(data)
    assert result.models == ("prod.accounts", "prod.scores")
    assert result.summary() == "dbt build: 1 error; 3 ok (2 models, 1 test, 1 seed)"
