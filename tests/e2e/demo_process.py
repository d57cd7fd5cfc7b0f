"""Run ``hevo-dagfactory demo`` as a user does, in a child process, and check what it printed and left behind."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from hevo_dagfactory.demo import SimulatorAdmin, dbtsetup
from hevo_dagfactory.demo.dbtsetup import DbtSetup
from hevo_dagfactory.spec import load_paths

REPO = Path(__file__).resolve().parents[2]


def processes_of(home: Path) -> list[int]:
    """Pids whose environment names ``home`` as AIRFLOW_HOME or whose working directory is ``home``."""
    needle = f"AIRFLOW_HOME={home}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0") or os.readlink(entry / "cwd") == str(home):
                found.append(int(entry.name))
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return found


class DemoProcess:
    """The demo command in a child process; its output collected line by line."""

    def __init__(self, home: Path, *extra: str, python: str = sys.executable):
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW__")}
        env["COLUMNS"] = "200"
        self.proc = subprocess.Popen(
            [python, "-m", "hevo_dagfactory", "demo", "--home", str(home), "--job-seconds", "1", *extra],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for(self, text: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output:
            if self.proc.poll() is not None:
                self._reader.join(5)
                if text in self.output:
                    return
                raise AssertionError(f"demo exited ({self.proc.returncode}) before {text!r}:\n{self.output[-5000:]}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no {text!r} within {timeout:.0f}s:\n{self.output[-5000:]}")
            time.sleep(0.5)

    def kill_if_running(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def wait_gone(home: Path, timeout: float = 20) -> list[int]:
    deadline = time.monotonic() + timeout
    left = processes_of(home)
    while left and time.monotonic() < deadline:
        time.sleep(0.5)
        left = processes_of(home)
    return left


def assert_every_example_succeeded_with_one_sync_now_per_sync(out: str, home: Path) -> None:
    """What a ``--keep`` demo printed and left in ``home``: every task succeeded; each sync shows its own Hevo
    job, deferred and resumed within its first try (its task log); and the simulator, still up, saw exactly
    one start POST (sync-now, or resync for a resync step) per sync."""
    assert re.search(r"All \d+ tasks of \d+ run\(s\) succeeded", out), out[-5000:]
    for dag_id in ("crm_accounts_daily", "crm_scoring_on_sync", "finance_close_nightly"):
        assert dag_id in out
    assert "Asset event from upstream" in out, "the Asset-scheduled workflow should start from the asset event"
    # A workflow this Airflow cannot run as written (a deadline on 2.11) is a placeholder the demo names and skips.
    skipped = set(re.findall(r"note: (\S+): not run on this Airflow: CONFIG ERROR", out))
    workflows = [wf for wf in load_paths([REPO / "configs"]).workflows if wf.dag_id not in skipped]
    syncs = [s for wf in workflows for s in wf.syncs]
    notified = [wf.dag_id for wf in workflows if any("success" in t.on and t.kind == "slack" for t in wf.notify)]
    assert notified or skipped, "an example should show a notification delivered"
    for dag_id in notified:  # the success notification reached the demo's local Slack stand-in
        assert f"Workflow run succeeded: {dag_id}" in out, out[-5000:]
    job_ids = re.findall(r"│\s+success\s+│\s+([0-9a-f]{8}-[0-9a-f-]{27})\s+│", out)
    assert len(job_ids) == len(set(job_ids)) == len(syncs) >= 4, (job_ids, out[-5000:])
    match = re.search(r"The simulator answers on (http://127\.0\.0\.1:\d+)", out)
    assert match, out[-2000:]
    stats = SimulatorAdmin(match.group(1)).stats()
    for kind, action in (("sync_now_posts", "sync_now"), ("resync_posts", "resync")):
        seen = {int(pid): n for pid, n in stats[kind].items() if n}
        assert seen == {int(s.pipeline_id): 1 for s in syncs if s.action == action}, (kind, stats)
    for wf in workflows:
        for sync in wf.syncs:
            # The first try's log (beside it: the triggerer's attempt=1.log.trigger.<id>.log). A second try may
            # follow on a loaded machine: Airflow 3.3's scheduler can take the deferring workload's late "success"
            # event for the resumed one and retry it; that retry attaches to the finished job, and the POST
            # counts above prove it started none.
            logs = sorted((home / "logs" / f"dag_id={wf.dag_id}").glob(f"run_id=*/task_id={sync.id}/attempt=1.log"))
            assert len(logs) == 1, (wf.dag_id, sync.id, logs)
            text = logs[0].read_text(errors="replace")
            assert "Pausing task as DEFERRED" in text, text[-3000:]
            assert "completed (status COMPLETED)" in text.split("Pausing task as DEFERRED", 1)[1], text[-3000:]


def assert_real_dbt_built_the_examples(out: str, home: Path, *, skipped: tuple[str, ...] = ()) -> None:
    """What a finished demo left in ``home``: every dbt step of the examples ran real dbt, from the run's own
    folders (the example project in the repository gained no target/ or logs/), and dbt-ol wrote the
    lineage events of the step with ``lineage: true``; the result table says what dbt did. ``skipped``: the
    examples this Airflow cannot run (the demo leaves them out)."""
    dbt = DbtSetup(home, None)
    workflows = load_paths([REPO / "configs"]).workflows
    steps = [(wf.dag_id, st) for wf in workflows for st in wf.steps if st.kind == "dbt" and wf.dag_id not in skipped]
    assert len(steps) == 4 - len(skipped)  # crm_accounts_daily, crm_scoring_on_sync, finance_close_nightly, commerce
    for dag_id, step in steps:
        found = sorted(
            dbt.artifacts.glob(f"dag_id={dag_id}/run_id=*/task_id={step.id}/attempt=*/target/run_results.json")
        )
        assert found, (dag_id, step.id, sorted(p.name for p in dbt.artifacts.rglob("*"))[:40])
        result = dbtsetup.read_run_results(json.loads(found[-1].read_text()), dbt.warehouse / f"{dag_id}.duckdb")
        assert result.command == step.dbt.command and result.models, result
        assert set(result.statuses) <= {"success", "pass"}, result
        assert result.duckdb_files, f"no DuckDB file for {dag_id}"
        assert f"dbt {step.dbt.command}: " in out, out[-5000:]  # the result table's dbt column
    assert "What dbt built" in out and "prod.account_scores" in out, out[-5000:]
    lineage_jobs = {e["job"]["name"] for e in dbt.lineage_events()}
    assert "dbt-run-analytics" in lineage_jobs and "crm_accounts_daily.prod.analytics.accounts" in lineage_jobs
    leftovers = [
        p.name for p in (REPO / "configs" / dbtsetup.EXAMPLE_PROJECT).iterdir() if p.name in ("target", "logs")
    ]
    assert leftovers == [], f"dbt wrote into the repository's example project: {leftovers}"
