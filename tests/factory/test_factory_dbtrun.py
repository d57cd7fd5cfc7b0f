"""What a dbt task sets up when it runs (factory/dbtrun.py), without dbt: its own folders, the user's choice wins.

tests/dbt/ runs the same code with the real dbt; these cover the cases a real run does not show.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from hevo_dagfactory.factory import dbtrun


def _context(run_id="manual__2026-01-02T00:00:00+00:00", try_number=2, map_index=-1):
    ti = SimpleNamespace(dag_id="d", task_id="t", run_id=run_id, try_number=try_number, map_index=map_index)
    return {"ti": ti}


def test_kept_artifacts_follow_airflows_log_layout(tmp_path):
    env = {dbtrun.ARTIFACTS_DIR_ENV: str(tmp_path)}
    with dbtrun.artifact_env(_context(), env, "d", "t") as extra:
        folder = tmp_path / "dag_id=d" / "run_id=manual__2026-01-02T00:00:00+00:00" / "task_id=t" / "attempt=2"
        assert extra == {"DBT_TARGET_PATH": str(folder / "target"), "DBT_LOG_PATH": str(folder / "logs")}
        assert folder.is_dir()
    assert folder.is_dir()  # kept after the task


def test_without_a_base_folder_the_artifacts_are_temporary(tmp_path):
    with dbtrun.artifact_env(_context(), {}, "d", "t") as extra:
        target = Path(extra["DBT_TARGET_PATH"])
        target.mkdir(parents=True)
        (target / "run_results.json").write_text("{}")
    assert not target.exists() and not target.parent.exists()


def test_a_target_or_log_path_the_step_or_worker_sets_wins(tmp_path):
    env = {"DBT_TARGET_PATH": "/data/dbt/target", dbtrun.ARTIFACTS_DIR_ENV: str(tmp_path)}
    with dbtrun.artifact_env(_context(), env, "d", "t") as extra:
        assert set(extra) == {"DBT_LOG_PATH"}
    both = {"DBT_TARGET_PATH": "/x", "DBT_LOG_PATH": "/y"}
    with dbtrun.artifact_env(_context(), both, "d", "t") as extra:
        assert extra == {}


def test_folder_names_are_safe_whatever_the_run_id(tmp_path):
    sub = dbtrun.artifacts_subdir(_context(run_id="../../etc/x y", map_index=3), "d", "t")
    assert ".." not in sub.parts and "/" not in sub.parts[1]
    assert sub.parts[1] == "run_id=.._.._etc_x_y" and sub.parts[3] == "map_index=3"
    assert dbtrun.artifacts_subdir({}, "dag", "task") == Path(
        "dag_id=dag", "run_id=unknown", "task_id=task", "attempt=1"
    )


def test_dbt_ol_falls_back_to_dbt_only_when_it_is_missing(tmp_path):
    warnings = []
    log = SimpleNamespace(warning=lambda msg, *args: warnings.append(msg % args))
    argv = ["dbt-ol", "run", "--select", "x"]
    assert dbtrun.executable_for(argv, {"PATH": str(tmp_path)}, log) == ["dbt", "run", "--select", "x"]
    assert "dbt-ol is not on this worker's PATH" in warnings[0]
    wrapper = tmp_path / "dbt-ol"
    wrapper.write_text("#!/bin/sh\n")
    wrapper.chmod(0o755)
    assert dbtrun.executable_for(argv, {"PATH": str(tmp_path)}, log) == argv
    assert dbtrun.executable_for(["dbt", "run"], {"PATH": ""}, log) == ["dbt", "run"]
    assert len(warnings) == 1
