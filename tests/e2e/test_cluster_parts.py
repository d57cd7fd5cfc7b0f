"""Fast checks of the cluster stack's parts without starting Airflow (no e2e marker; ``make test`` runs them).

The cluster itself runs in tests/cluster (``make test-cluster``); these catch a broken part in seconds: the
git repository the bundle reads, the PostgreSQL server, the profile data and how the harness fills it.
"""

from __future__ import annotations

import json
import socket
import subprocess

import pytest

from hevo_dagfactory.demo.cluster import ClusterStack
from hevo_dagfactory.demo.clusterdemo import bundle_files, served_notes
from hevo_dagfactory.demo.gitbundle import DAGS_SUBDIR, LOADER_NAME, BundleRepo, git
from hevo_dagfactory.demo.postgres import PostgresServer, server_bin_dir
from hevo_dagfactory.demo.procs import StackError
from hevo_dagfactory.demo.runner import DemoError, ResultRow
from hevo_dagfactory.demo.stackenv import profile_env

from .test_demo_units import REPO


def _show(repo: BundleRepo, commit: str, name: str) -> str:
    return git("show", f"{commit}:{DAGS_SUBDIR}/{name}", cwd=repo.bare)


def test_bundle_repository_holds_the_readme_loader_and_takes_commits_and_deletions(tmp_path):
    repo = BundleRepo(tmp_path / "repo")
    first = repo.create({"a.yaml": "dag_id: a\n"})
    assert "load_workflows()" in _show(repo, first, LOADER_NAME)
    assert "airflow" in _show(repo, first, LOADER_NAME).lower()  # safe mode parses only files that say it
    second = repo.commit({"a.yaml": None, "b.yaml": "dag_id: b\n"}, "replace a by b")
    assert second != first and git("rev-parse", "main", cwd=repo.bare) == second
    assert _show(repo, second, "b.yaml") == "dag_id: b"
    with pytest.raises(StackError, match="git show"):
        _show(repo, second, "a.yaml")
    assert _show(repo, first, "a.yaml") == "dag_id: a"  # the old version stays readable, as a bundle needs


def test_bundle_files_are_the_config_folder_with_team_folders_and_the_dbt_project(tmp_path):
    files = bundle_files(REPO / "configs")
    assert "defaults.yaml" in files and "crm_accounts_daily.yaml" in files
    assert "commerce/commerce_orders_daily.yaml" in files and "commerce/defaults.yaml" in files
    assert "dbt/analytics/dbt_project.yml" in files and "dbt/analytics/models/marts/crm/accounts.sql" in files
    (tmp_path / "dbt" / "target").mkdir(parents=True)
    (tmp_path / "dbt" / "target" / "manifest.json").write_text("{}")
    (tmp_path / "dbt" / "x.yml").write_text("a: 1\n")
    assert list(bundle_files(tmp_path)) == ["dbt/x.yml"]  # what dbt wrote is never committed
    (tmp_path / "dbt" / "x.yml").unlink()
    with pytest.raises(DemoError, match="no YAML"):
        bundle_files(tmp_path)


def test_served_notes_count_workers_and_triggerers_of_the_syncs_only():
    rows = [
        ResultRow("d", "manual", "s1", "success", "j1", 1.0, worker="worker-1", triggerer="triggerer-2"),
        ResultRow("d", "manual", "s2", "success", "j2", 1.0, worker="worker-2", triggerer="triggerer-1, triggerer-2"),
        ResultRow("d", "manual", "dbt", "success", "", 1.0),
    ]
    (note,) = served_notes(rows)
    assert "2 sync(s)" in note and "worker-1 ×1, worker-2 ×1" in note and "triggerer-1 ×1, triggerer-2 ×2" in note
    assert served_notes(rows[2:]) == []


def test_a_structured_profile_value_becomes_json_with_its_fields_filled():
    profile = {"env": {"DAG_PROCESSOR": {"LIST": [{"kwargs": {"repo": "{home}/x", "n": 3}}], "PLAIN": "{home}"}}}
    env = profile_env(profile, {"home": "/h"})
    assert json.loads(env["AIRFLOW__DAG_PROCESSOR__LIST"]) == [{"kwargs": {"repo": "/h/x", "n": 3}}]
    assert env["AIRFLOW__DAG_PROCESSOR__PLAIN"] == "/h"


def test_the_cluster_harness_fills_every_field_of_the_profile_it_is_given(tmp_path):
    """Every ``{field}`` of ``cluster_profile()`` is one the harness fills (else StackError), per process too."""
    stack = ClusterStack(tmp_path / "home", workflows={}, with_simulator=False, triggerer_capacity=5)
    if stack.profile["airflow_version"].startswith("2."):
        assert "needs Airflow 3.3" in stack.profile["unavailable"]
        with pytest.raises(StackError, match=r"needs Airflow 3\.3"):
            stack.start()
        return
    env = stack.env()
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql")
    assert stack.postgres.password in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    (bundle,) = json.loads(env["AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST"])
    assert json.loads(env[f"AIRFLOW_CONN_{bundle['kwargs']['git_conn_id'].upper()}"])["host"] == str(stack.bundle.bare)
    assert env["HEVO_DAGFACTORY_RATE_STORE"].endswith(f":{stack.redis.port}/1")
    planned = stack.planned_processes()
    roles = stack.profile["roles"]
    assert len(roles["scheduler"]) == len(roles["triggerer"]) == len(roles["worker"]) == 2
    for name in roles["worker"]:
        assert f"{name}@127.0.0.1" in planned[name]
    for name in roles["triggerer"]:
        assert planned[name][-2:] == ["--capacity", "5"]


def test_postgres_server_needs_its_password_restarts_and_leaves_no_data(tmp_path):
    try:
        server_bin_dir()
    except StackError as exc:
        pytest.fail(f"this test needs PostgreSQL's server programs: {exc}")
    tmp_path.chmod(0o755)  # the server's OS user must reach its folder
    server = PostgresServer(tmp_path, tmp_path / "logs").start()
    try:
        root = server.root
        assert root is not None and (root / "data" / "PG_VERSION").is_file()
        with socket.create_connection(("127.0.0.1", server.port), timeout=5):
            pass
        isready = [str(server_bin_dir() / "pg_isready"), "-h", "127.0.0.1", "-p", str(server.port)]
        psql = str(server_bin_dir() / "psql")
        query = [psql, "-h", "127.0.0.1", "-p", str(server.port), "-U", "airflow", "-d", "airflow", "-c", "select 1"]
        env = {"PATH": "/usr/bin:/bin", "PGCONNECT_TIMEOUT": "5"}
        denied = subprocess.run(query, env={**env, "PGPASSWORD": "wrong"}, capture_output=True, text=True, timeout=30)
        assert denied.returncode != 0 and "password authentication failed" in denied.stderr
        allowed = subprocess.run(query, env={**env, "PGPASSWORD": server.password}, capture_output=True, timeout=30)
        assert allowed.returncode == 0, allowed.stderr
        server.restart(down_s=0.5)
        assert subprocess.run(isready, timeout=30).returncode == 0
    finally:
        server.stop()
    assert not root.exists()
