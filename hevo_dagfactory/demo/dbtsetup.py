"""Real dbt in the demo stack, and what it did.

dbt lives in a virtualenv of its own (``.venv-dbt``, made by ``make install-dbt``): its pins clash with
Airflow's. The stack links that venv's ``dbt`` and ``dbt-ol`` into ``<home>/bin``, which leads the PATH of
every Airflow process (only those two: the venv's own ``python`` must not shadow Airflow's in bash steps),
and gives dbt a folder of the run for everything it writes, never the project folder:

    <home>/dbt/warehouse/<dag id>.duckdb           ANALYTICS_DUCKDB_DIR, read by configs/dbt/analytics/profiles.yml
    <home>/dbt/artifacts/dag_id=…/run_id=…/task_id=…/attempt=N/{target,logs}
                                                    HEVO_DAGFACTORY_DBT_ARTIFACTS_DIR (see factory/dbtrun.py)
    <home>/dbt/openlineage/events.jsonl            OpenLineage's file transport, for steps with ``lineage: true``

The example project reads the tables Hevo would have loaded from ``raw.duckdb`` (see its profiles.yml): a stack
given the project in ``raw_data_projects`` loads them with ``dbt seed --target raw`` while Airflow starts, as the
simulator stands in for Hevo's API.

The caller's own ``DBT_*`` and ``OPENLINEAGE_*`` settings are left out of the stack (``stackenv.clean_env``),
so a profile or lineage backend of the user's shell cannot change what the demo runs or where events go.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hevo_dagfactory.demo.procs import ManagedProcess, StackError

VENV_NAME = ".venv-dbt"
EXECUTABLES = ("dbt", "dbt-ol")
EXAMPLE_PROJECT = Path("dbt") / "analytics"  # the example workflows' dbt project, beside them in configs/
INSTALL_HINT = "`make install-dbt` creates it (dbt-core 1.11 with dbt-duckdb and openlineage-dbt)"


def find_venv(candidates: list[Path]) -> Path | None:
    """The first candidate folder that holds an executable ``bin/dbt``."""
    for venv in candidates:
        if os.access(venv / "bin" / "dbt", os.X_OK):
            return venv.resolve()
    return None


def example_projects(config_dir: Path) -> tuple[Path, ...]:
    """The example dbt project when ``config_dir`` has it (its raw data must be loaded before the runs)."""
    project = config_dir / EXAMPLE_PROJECT
    return (project,) if (project / "dbt_project.yml").is_file() else ()


def link_executables(venv: Path, bin_dir: Path) -> list[str]:
    """Symlink the venv's ``dbt`` and ``dbt-ol`` (those it has) into ``bin_dir``; returns their names.

    A symlink keeps the scripts' own interpreter line, so they run with the venv's Python wherever PATH finds them.
    """
    bin_dir.mkdir(parents=True, exist_ok=True)
    linked = []
    for name in EXECUTABLES:
        source = venv / "bin" / name
        if source.exists():
            link = bin_dir / name
            link.unlink(missing_ok=True)
            link.symlink_to(source)
            linked.append(name)
    return linked


@dataclass(frozen=True)
class TaskResult:
    """What one dbt task did, from its run_results.json."""

    command: str
    counts: dict[str, int]  # "seed"/"model"/"test"/... -> nodes of that type
    statuses: dict[str, int]  # "success"/"pass"/"error"/"fail"/... -> nodes
    models: tuple[str, ...]  # schema.name of every model and snapshot it built
    duckdb_files: tuple[str, ...] = field(default=())

    def summary(self) -> str:
        """``dbt build: 7 ok (2 seeds, 3 models, 2 tests)``, or the failures first."""
        kinds = ", ".join(f"{n} {kind}{'' if n == 1 else 's'}" for kind, n in self.counts.items())
        bad = {s: n for s, n in self.statuses.items() if s not in ("success", "pass")}
        ok = sum(self.statuses.values()) - sum(bad.values())
        head = ", ".join(f"{n} {s}" for s, n in bad.items()) + "; " if bad else ""
        return f"dbt {self.command}: {head}{ok} ok ({kinds})"


class DbtSetup:
    """The dbt part of one stack's home (see the module docstring)."""

    def __init__(self, home: Path, venv: Path | None):
        self.home = home
        self.venv = venv
        self.root = home / "dbt"
        self.warehouse = self.root / "warehouse"
        self.artifacts = self.root / "artifacts"
        self.lineage_file = self.root / "openlineage" / "events.jsonl"

    def prepare(self, bin_dir: Path) -> list[str]:
        """Make the folders and link the executables into ``bin_dir``; returns the names linked."""
        for folder in (self.warehouse, self.artifacts, self.lineage_file.parent):
            folder.mkdir(parents=True, exist_ok=True)
        return link_executables(self.venv, bin_dir) if self.venv else []

    def env(self) -> dict[str, str]:
        """What every Airflow process of the stack gets for dbt."""
        return {
            "ANALYTICS_DUCKDB_DIR": str(self.warehouse),
            "HEVO_DAGFACTORY_DBT_ARTIFACTS_DIR": str(self.artifacts),
            "DBT_USE_COLORS": "false",  # task logs without terminal colour codes
            "OPENLINEAGE__TRANSPORT__TYPE": "file",
            "OPENLINEAGE__TRANSPORT__LOG_FILE_PATH": str(self.lineage_file),
            "OPENLINEAGE__TRANSPORT__APPEND": "true",
        }

    def raw_load(self, project: Path, env: dict[str, str], log_path: Path) -> ManagedProcess:
        """``dbt seed --target raw`` of ``project`` (not started): the rows Hevo would have landed, into raw.duckdb."""
        folder = self.root / "raw-load" / project.name
        env = {**env, "DBT_TARGET_PATH": str(folder / "target"), "DBT_LOG_PATH": str(folder / "logs")}
        argv = ["dbt", "seed", "--target", "raw"]  # found on env["PATH"]: the linked venv first
        argv += ["--project-dir", str(project), "--profiles-dir", str(project)]
        return ManagedProcess(f"dbt-seed-{project.name}", argv, env=env, cwd=self.root, log_path=log_path)

    @staticmethod
    def wait_loaded(loads: list[ManagedProcess], timeout: float) -> None:
        """Wait for the raw loads; a ``StackError`` with the log's end when one fails or overruns ``timeout``."""
        deadline = time.monotonic() + timeout
        for load in loads:
            while load.alive() and time.monotonic() < deadline:
                time.sleep(0.2)
            if load.alive() or load.proc is None or load.proc.returncode != 0:
                raise StackError(load.describe_failure("loading the example project's raw data"))

    def task_folder(self, dag_id: str, run_id: str, task_id: str, attempt: int) -> Path:
        return self.artifacts / f"dag_id={dag_id}" / f"run_id={run_id}" / f"task_id={task_id}" / f"attempt={attempt}"

    def result(self, dag_id: str, run_id: str, task_id: str, attempt: int) -> TaskResult | None:
        """What the dbt task of that try did, or None when it left no run_results.json (not dbt, or never ran)."""
        path = self.task_folder(dag_id, run_id, task_id, attempt) / "target" / "run_results.json"
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        return read_run_results(data, self.warehouse / f"{dag_id}.duckdb")

    def lineage_events(self) -> list[dict[str, Any]]:
        """Every OpenLineage event the stack's dbt-ol runs wrote (one JSON object a line)."""
        if not self.lineage_file.exists():
            return []
        return [json.loads(line) for line in self.lineage_file.read_text().splitlines() if line.strip()]


def read_run_results(data: dict[str, Any], duckdb_file: Path | None = None) -> TaskResult:
    """A :class:`TaskResult` from the parsed run_results.json of one dbt invocation."""
    results = data.get("results") or []
    counts = Counter(str(r.get("unique_id", "?")).split(".", 1)[0] for r in results)
    statuses = Counter(str(r.get("status")) for r in results)
    models = tuple(
        str(r["relation_name"]).split(".", 1)[-1].replace('"', "")
        for r in results
        if r.get("relation_name") and str(r.get("unique_id", "")).startswith(("model.", "snapshot."))
    )
    files = (str(duckdb_file),) if duckdb_file and duckdb_file.exists() else ()
    command = str((data.get("args") or {}).get("which", "?"))
    return TaskResult(command, dict(counts), dict(statuses), models, files)
