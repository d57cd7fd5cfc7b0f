"""Fast checks of the stack harness and the demo's planning, without starting Airflow (no e2e marker)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from hevo_dagfactory.demo import AirflowStack, ManagedProcess, StackError
from hevo_dagfactory.demo.cli import _fresh_home
from hevo_dagfactory.demo.runner import DemoError, plan_from_configs, real_hevo_env
from hevo_dagfactory.demo.stackenv import fill, profile_env

REPO = Path(__file__).resolve().parents[2]


def test_plan_of_the_example_configs_links_the_asset_consumer_to_its_producer():
    plan = plan_from_configs(REPO / "configs")
    assert "crm_scoring_on_sync" in plan.asset_driven
    assert plan.producers["crm_scoring_on_sync"] == ("crm_accounts_daily",)
    assert 41872 in plan.pipeline_ids
    assert set(plan.asset_driven) < set(plan.dag_ids)


def test_plan_refuses_broken_workflows_with_file_and_line(tmp_path):
    (tmp_path / "bad.yaml").write_text("dag_id: bad\nschedule: null\nstart_date: 2026-01-01\nsyncs: [{id: s}]\n")
    with pytest.raises(DemoError) as err:
        plan_from_configs(tmp_path)
    assert "bad.yaml:" in str(err.value) and "hevo-dagfactory validate" in str(err.value)
    with pytest.raises(DemoError, match="does not exist"):
        plan_from_configs(tmp_path / "missing")


def test_real_hevo_needs_every_connection_and_never_echoes_it():
    plan = plan_from_configs(REPO / "configs")
    with pytest.raises(DemoError) as err:
        real_hevo_env(plan, {})
    assert "AIRFLOW_CONN_HEVO_AIRFLOW_CONN_ID" in str(err.value)
    value = '{"conn_type": "hevo", "login": "k", "password": "s3cr3t-value", "extra": {"region": "eu"}}'
    env = {f"AIRFLOW_CONN_{c.upper()}": value for c in plan.connection_ids}
    assert real_hevo_env(plan, env) == env


def test_stack_env_is_isolated_local_and_carries_the_given_connection(tmp_path, monkeypatch):
    monkeypatch.setenv("AIRFLOW__CORE__DAGS_FOLDER", "/somewhere/else")
    monkeypatch.setenv("HEVO_DAGFACTORY_ENV", "prod")
    stack = AirflowStack(
        tmp_path / "home",
        dags_folder=tmp_path / "dags",
        config_dir=tmp_path / "cfg",
        with_simulator=False,
        extra_env={"AIRFLOW_CONN_HEVO_AIRFLOW_CONN_ID": '{"conn_type": "hevo"}'},
    )
    env = stack.env()
    assert env["AIRFLOW__CORE__DAGS_FOLDER"] == str((tmp_path / "dags").resolve())
    assert "HEVO_DAGFACTORY_ENV" not in env
    assert env["HEVO_DAGFACTORY_CONFIG_DIR"] == str((tmp_path / "cfg").resolve())
    assert env["AIRFLOW_CONN_HEVO_AIRFLOW_CONN_ID"] == '{"conn_type": "hevo"}'
    from hevo_dagfactory.provider.compat import AIRFLOW_3

    assert stack.api_url.startswith("http://127.0.0.1:") and env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "False"
    if AIRFLOW_3:  # api-server + Execution API
        assert stack.ui_name == "api-server"
        assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == f"{stack.api_url}/execution/"
        assert env["AIRFLOW__API__HOST"] == "127.0.0.1"
        assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
        assert env["AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL"] == "5"  # the dag-processor parses, quickly
    else:  # Airflow 2.x: webserver with basic-auth REST API; SQLite allows only the SequentialExecutor
        assert stack.ui_name == "webserver"
        assert env["AIRFLOW__WEBSERVER__WEB_SERVER_HOST"] == "127.0.0.1"
        assert env["AIRFLOW__WEBSERVER__WEB_SERVER_PORT"] == stack.api_url.rsplit(":", 1)[1]
        assert env["AIRFLOW__API__AUTH_BACKENDS"] == "airflow.api.auth.backend.basic_auth"
        assert env["AIRFLOW__CORE__EXECUTOR"] == "SequentialExecutor"
        assert not any(k.startswith(("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER", "AIRFLOW__DAG_PROCESSOR__")) for k in env)
        assert env["AIRFLOW__SCHEDULER__STANDALONE_DAG_PROCESSOR"] == "False"  # the scheduler parses DAGs
    assert env["PATH"].split(os.pathsep)[0] == str(stack.home / "bin")  # dbt and dbt-ol of the dbt venv come first
    # Every line-specific setting of the profile is in the environment, filled in (no "{field}" left).
    for section, settings in stack.profile["env"].items():
        for key, raw in settings.items():
            value = env[f"AIRFLOW__{section}__{key}"]
            assert "{" not in value, (section, key, value)
            if "{random}" not in raw:  # random secrets differ on every fill
                assert (
                    value == profile_env({"env": {section: {key: raw}}}, stack._values())[f"AIRFLOW__{section}__{key}"]
                )


def test_planned_processes_follow_the_profile(tmp_path):
    stack = AirflowStack(tmp_path / "home", dags_folder=tmp_path / "dags", with_simulator=False, triggerer_capacity=3)
    planned = stack.planned_processes()
    profile = stack.profile
    assert list(planned) == list(profile["processes"])
    assert stack.ui_name in planned and str(stack.api_port) in planned[stack.ui_name]
    assert planned["triggerer"][-2:] == ["--capacity", "3"]
    assert not any("{" in arg for argv in planned.values() for arg in argv)
    assert set(profile["healthy"]) and profile["api"]["prefix"].startswith("/api/v")
    assert profile["airflow_version"].split(".")[0] in ("2", "3")


def test_profile_fields_are_filled_and_unknown_ones_refused():
    assert fill("{api_url}/execution/", {"api_url": "http://127.0.0.1:1"}) == "http://127.0.0.1:1/execution/"
    first, second = fill("{random}", {}), fill("{random}", {})
    assert len(first) == 64 and first != second  # a fresh secret per value
    with pytest.raises(StackError, match="does not fill"):
        fill("{api_host}", {"api_url": "x"})


def test_fresh_home_refuses_to_wipe_a_folder_it_did_not_make(tmp_path):
    foreign = tmp_path / "important"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("x")
    with pytest.raises(DemoError, match="not made by the demo"):
        _fresh_home(foreign)
    assert (foreign / "keep.txt").exists()
    home = _fresh_home(tmp_path / "demo")
    (home / "old-run.log").write_text("x")
    assert not (_fresh_home(tmp_path / "demo") / "old-run.log").exists()


def test_managed_process_stop_reaches_grandchildren(tmp_path):
    marker = tmp_path / "grandchild.pid"
    proc = ManagedProcess(
        "sleeper",
        ["sh", "-c", f"sleep 300 & echo $! > {marker}; wait"],
        env=dict(os.environ),
        cwd=tmp_path,
        log_path=tmp_path / "sleeper.log",
        redact=["sleep"],
    ).start()
    deadline = time.monotonic() + 10
    while not marker.exists() or not marker.read_text().strip():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    grandchild = int(marker.read_text())
    proc.stop(grace_s=5)
    assert not proc.alive()
    deadline = time.monotonic() + 5
    while _exists(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _exists(grandchild)
    assert "***" in (tmp_path / "sleeper.log").read_text()  # redacted argv in the start line


def _exists(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except OSError:
        return False
    return state != "Z"


def test_children_get_sigterm_when_the_harness_itself_is_sigkilled(tmp_path):
    """Even a SIGKILLed harness (no cleanup code runs) leaves no child: Linux's parent-death signal ends it."""
    import signal
    import subprocess
    import sys

    script = (
        "import os, sys, time\n"
        "from pathlib import Path\n"
        "from hevo_dagfactory.demo import ManagedProcess\n"
        f"p = ManagedProcess('sleeper', ['sleep', '300'], env=dict(os.environ), cwd=Path({str(tmp_path)!r}),\n"
        f"                   log_path=Path({str(tmp_path)!r}) / 'sleeper.log').start()\n"
        "print(p.pid, flush=True)\n"
        "time.sleep(300)\n"
    )
    harness = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert harness.stdout is not None
        child = int(harness.stdout.readline())
        assert _exists(child)
        harness.send_signal(signal.SIGKILL)
        harness.wait(10)
        deadline = time.monotonic() + 10
        while _exists(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _exists(child), "the child outlived its SIGKILLed parent"
    finally:
        if harness.poll() is None:
            harness.kill()


def test_setup_commands_read_a_password_that_looks_like_an_option(tmp_path):
    """A random password may start with "-"; Airflow's own CLI parser must still take it as the password."""
    stack = AirflowStack(tmp_path / "home", dags_folder=tmp_path / "dags", with_simulator=False)
    if not stack.profile["setup"]:
        pytest.skip(f"Airflow {stack.profile['airflow_version']} needs no one-shot setup command")
    stack.password = "-Ab3_starts-like-an-option"
    from airflow.cli.cli_parser import get_parser

    for args in stack.profile["setup"].values():
        parsed = get_parser().parse_args([fill(a, stack._values()) for a in args])
        assert parsed.password == stack.password and parsed.username == "admin"
