"""``hevo-dagfactory simulator`` as a real process: ready line, admin endpoints, pipelines file, SIGTERM."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import requests


def _start(*args, env=None):
    proc = subprocess.Popen(
        [sys.executable, "-m", "hevo_dagfactory", "simulator", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    line = proc.stdout.readline().strip()
    return proc, line


def test_cli_serves_pipelines_from_a_file_and_stops_on_sigterm(tmp_path):
    spec = tmp_path / "pipelines.yaml"
    spec.write_text("pipelines:\n  '42': {job_duration_s: 0, final_status: COMPLETED_WITH_FAILURES}\n")
    proc, line = _start("--pipelines", str(spec), "--api-key", "k1", "--api-secret", "s1")
    try:
        assert line.startswith("simulator listening on http://127.0.0.1:"), line
        url = line.rsplit(" ", 1)[1]
        r = requests.post(url + "/api/v1/pipelines/42/actions/sync-now", auth=("k1", "s1"), timeout=5)
        assert r.status_code == 200
        assert requests.get(url + "/_sim/stats", timeout=5).json()["sync_now_posts"] == {"42": 1}
        assert (
            requests.get(url + "/api/v1/pipelines/42", auth=("test-key", "test-secret"), timeout=5).status_code == 401
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert "Traceback" not in err


def test_cli_reports_a_bad_pipelines_file_clearly(tmp_path):
    bad = tmp_path / "p.json"
    bad.write_text(json.dumps({"1": {"job_duration": 3}}))
    proc = subprocess.run(
        [sys.executable, "-m", "hevo_dagfactory", "simulator", "--pipelines", str(bad)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 2
    assert "pipeline 1" in proc.stderr and "job_duration_s" in proc.stderr and "Traceback" not in proc.stderr


def test_cli_reads_the_secret_from_the_environment():
    import os

    proc, line = _start("--api-key", "k2", env={**os.environ, "HEVO_SIM_API_SECRET": "from-env"})
    try:
        url = line.rsplit(" ", 1)[1]
        assert requests.get(url + "/api/v1/pipelines/1", auth=("k2", "from-env"), timeout=5).status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=10)
    assert proc.returncode == 0
