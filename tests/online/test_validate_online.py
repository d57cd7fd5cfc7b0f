"""``hevo-dagfactory validate --online`` run as a real subprocess against the simulator over sockets:
one GET per distinct pipeline, errors at the pipeline_id node, exit 2 (never a file error) when Hevo
cannot be asked, credentials from AIRFLOW_CONN_<ID> (JSON or URI) or HEVO_API_*, and no secret printed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from urllib.parse import urlsplit

import pytest

from hevo_dagfactory.simulator import PipelineScript

SECRET = "test-secret"
CRM = """
hevo: {connection_id: hevo_sim}
syncs:
  - {id: accounts, pipeline_id: 11}
  - id: orders
    pipeline_id: 12
"""
FINANCE = """
hevo: {connection_id: hevo_sim}
syncs:
  - {id: ledger, pipeline_id: 12}
  - {id: refunds, pipeline_id: 13, action: resync}
"""


def _conn(url: str, **extra) -> str:
    parts = urlsplit(url)
    return json.dumps(
        {
            "conn_type": "http",
            "host": parts.hostname,
            "port": parts.port,
            "schema": "http",
            "login": "test-key",
            "password": SECRET,
            **extra,
        }
    )


def validate(tmp_path, env: dict[str, str], *args: str, files: dict[str, str] | None = None):
    for name, text in (files or {"crm.yaml": CRM, "finance.yaml": FINANCE}).items():
        (tmp_path / name).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW_CONN_", "HEVO_"))}
    proc = subprocess.run(
        [sys.executable, "-m", "hevo_dagfactory", "validate", "--online", *args, "."],
        cwd=tmp_path,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert SECRET not in proc.stdout + proc.stderr
    return proc


def _pipeline_gets(sim):
    return sorted(e["path"].rsplit("/", 1)[-1] for e in sim.request_log if e["method"] == "GET")


@pytest.fixture
def sim(hevo_sim):
    for pid in (11, 12, 13):
        hevo_sim.sim.add_pipeline(pid, PipelineScript())
    return hevo_sim


def test_every_pipeline_fit_exits_0_with_one_get_per_distinct_pipeline(sim, tmp_path):
    proc = validate(tmp_path, {"AIRFLOW_CONN_HEVO_SIM": _conn(sim.url)})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 valid workflow(s); 3 pipeline(s) checked online at 127.0.0.1" in proc.stderr
    assert _pipeline_gets(sim.sim) == ["11", "12", "13"]  # 12 is named twice, asked once
    assert not [e for e in sim.sim.request_log if e["method"] != "GET"]  # nothing started


def test_problems_point_at_the_pipeline_id_node(sim, tmp_path):
    sim.sim.add_pipeline(11, PipelineScript(status="DISABLED"))
    sim.sim.add_pipeline(12, PipelineScript(sync_type="SCHEDULED", frequency_minutes=30))
    sim.sim.state.pipelines.pop("13")
    proc = validate(tmp_path, {"AIRFLOW_CONN_HEVO_SIM": _conn(sim.url)})
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert any(line.startswith("crm.yaml:3:33: Hevo pipeline 11 is DISABLED (paused)") for line in lines), lines
    assert any(
        line.startswith("crm.yaml:5:18: Hevo pipeline 12 is scheduled by Hevo (SCHEDULED every 30 minutes)")
        and line.endswith("a sync with action sync_now needs a pipeline on Sync On Demand")
        for line in lines
    ), lines
    assert any(line.startswith("finance.yaml:3:31: Hevo pipeline 12 is scheduled") for line in lines), lines
    assert any(
        line.startswith("finance.yaml:4:32: pipeline 13 was not found among the Edge pipelines at 127.0.0.1")
        and "[/syncs/1/pipeline_id]" in line
        and "classic" in line
        for line in lines
    ), lines
    assert "4 error(s) in 2 file(s); 3 pipeline(s) checked online" in proc.stderr


def test_json_and_github_formats_carry_the_online_errors(sim, tmp_path):
    sim.sim.add_pipeline(11, PipelineScript(status="PAUSED"))
    env = {"AIRFLOW_CONN_HEVO_SIM": _conn(sim.url)}
    payload = json.loads(validate(tmp_path, env, "--format", "json").stdout)
    (error,) = payload["errors"]
    assert (error["file"], error["line"], error["pointer"], error["error_type"]) == (
        "crm.yaml",
        3,
        "/syncs/0/pipeline_id",
        "online",
    )
    github = validate(tmp_path, env, "--format", "github").stdout
    assert github.startswith("::error file=crm.yaml,line=3,col=33,title=online::Hevo pipeline 11 is PAUSED")


@pytest.mark.parametrize(
    ("script", "needle"),
    [({"fail_next": 100}, "could not be asked"), ({"rate_limit_next": 100, "retry_after": "0"}, "could not be asked")],
)
def test_an_outage_exits_2_and_blames_no_file(sim, tmp_path, script, needle):
    for pid in (11, 12, 13):
        sim.sim.add_pipeline(pid, PipelineScript(**script))
    proc = validate(tmp_path, {"AIRFLOW_CONN_HEVO_SIM": _conn(sim.url)})
    assert proc.returncode == 2
    assert proc.stdout == "" and needle in proc.stderr and "no file is judged" in proc.stderr


def test_refused_credentials_exit_2_without_the_secret(sim, tmp_path):
    conn = json.loads(_conn(sim.url))
    conn["password"] = "not-the-secret-x9"
    proc = validate(tmp_path, {"AIRFLOW_CONN_HEVO_SIM": json.dumps(conn)})
    assert proc.returncode == 2 and "refused the credentials" in proc.stderr and "401" in proc.stderr
    assert "not-the-secret-x9" not in proc.stdout + proc.stderr
    assert "$AIRFLOW_CONN_HEVO_SIM" in proc.stderr


def test_missing_credentials_say_which_variables_to_set(sim, tmp_path):
    proc = validate(tmp_path, {})
    assert proc.returncode == 2
    assert "AIRFLOW_CONN_HEVO_SIM" in proc.stderr and "HEVO_API_KEY" in proc.stderr
    assert sim.sim.request_log == []


def test_the_uri_form_of_the_connection(sim, tmp_path):
    parts = urlsplit(sim.url)
    uri = f"http://test-key:{SECRET}@{parts.hostname}:{parts.port}/http"
    assert validate(tmp_path, {"AIRFLOW_CONN_HEVO_SIM": uri}).returncode == 0
    hevo_type = f"hevo://test-key:{SECRET}@{parts.hostname}:{parts.port}/http?region=eu"
    assert validate(tmp_path, {"AIRFLOW_CONN_HEVO_SIM": hevo_type}).returncode == 0  # the host wins over region


def test_the_hevo_variables_with_a_host_override(sim, tmp_path):
    env = {"HEVO_API_KEY": "test-key", "HEVO_API_SECRET": SECRET, "HEVO_HOST": sim.url, "HEVO_REGION": "eu"}
    proc = validate(tmp_path, env)
    assert proc.returncode == 0, proc.stderr
    assert "3 pipeline(s) checked online at 127.0.0.1" in proc.stderr


def test_offline_errors_still_come_first_and_online_checks_the_valid_files(sim, tmp_path):
    files = {"crm.yaml": CRM, "broken.yaml": "syncs:\n  - {id: x, pipeline_id: 1, acton: resync}\n"}
    proc = validate(tmp_path, {"AIRFLOW_CONN_HEVO_SIM": _conn(sim.url)}, files=files)
    assert proc.returncode == 1 and "unknown key 'acton'" in proc.stdout
    assert _pipeline_gets(sim.sim) == ["11", "12"]


def test_plain_validate_never_imports_the_online_layer_or_the_clients(tmp_path):
    (tmp_path / "crm.yaml").write_text(textwrap.dedent(CRM).lstrip(), encoding="utf-8")
    code = (
        "import sys\nfrom hevo_dagfactory.cli import main\nrc = main(['validate', '-q', '.'])\n"
        "print(rc, sorted(m for m in sys.modules if m.startswith(('hevo_dagfactory.online', 'requests', "
        "'aiohttp', 'hevo_dagfactory.hevo'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "0 []", out.stdout + out.stderr
