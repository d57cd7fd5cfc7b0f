"""Helpers of the dbt tests: the session's dbt set-up, workflows run by ``dag.test()``, what dbt did."""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class DbtEnv:
    """The session's dbt: ``bin_dir`` holds ``.venv-dbt``'s dbt and dbt-ol, ``workflows/dbt/analytics`` the
    project copy, ``warehouse`` the DuckDB files (``raw.duckdb`` loaded, ``<dag id>.duckdb`` per DAG)."""

    root: Path
    venv: Path
    bin_dir: Path
    workflows: Path
    warehouse: Path
    project_files: dict[str, float] = field(default_factory=dict)

    @property
    def project(self) -> Path:
        return self.workflows / "dbt" / "analytics"

    def process_env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DBT_", "OPENLINEAGE"))}
        env.update(PATH=f"{self.bin_dir}{os.pathsep}{env['PATH']}", ANALYTICS_DUCKDB_DIR=str(self.warehouse))
        env.update(DBT_USE_COLORS="false", **(extra or {}))
        return env

    def list_project(self) -> dict[str, float]:
        """Every file and folder of the project copy with its modification time."""
        return {str(p.relative_to(self.project)): p.stat().st_mtime for p in self.project.rglob("*")}

    def query(self, dag_id: str, sql: str) -> list[list[Any]]:
        """Rows of ``sql`` in the DAG's DuckDB file, read with the dbt venv's duckdb (this venv has none)."""
        script = (
            "import duckdb, json, sys\n"
            "con = duckdb.connect(sys.argv[1], read_only=True)\n"
            "print(json.dumps(con.sql(sys.argv[2]).fetchall(), default=str))\n"
        )
        path = self.warehouse / f"{dag_id}.duckdb"
        proc = subprocess.run(
            [str(self.venv / "bin" / "python"), "-c", script, str(path), sql],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        return json.loads(proc.stdout)


def load_dag(folder: Path, dag_id: str, body: str) -> Any:
    """The DAG the loader builds from ``<folder>/<dag_id>.yaml`` (``body`` is the YAML after the header)."""
    from hevo_dagfactory import load_workflows

    text = f"dag_id: {dag_id}\nschedule: null\nstart_date: 2026-01-01\ndefaults: {{retries: 0}}\n"
    (folder / f"{dag_id}.yaml").write_text(text + textwrap.dedent(body))
    dags = load_workflows(folder, {"__file__": str(folder / "loader.py")})
    assert "config-error" not in dags[dag_id].tags, dags[dag_id].description
    return dags[dag_id]


def run_dag(dag: Any, tmp_path: Path, conf: dict[str, Any] | None = None) -> Any:
    """``dag.test()`` on either Airflow line: the real render and execute of every task, in this process."""
    from hevo_dagfactory.provider.compat import DagBag, add_dag_to_bag, sync_dag_bag_to_db

    bag = DagBag(dag_folder=str(tmp_path / "no-dags"))
    add_dag_to_bag(bag, dag)
    sync_dag_bag_to_db(bag)
    return dag.test(run_conf=conf)


def state_of(obj: Any) -> str:
    return str(getattr(obj.state, "value", obj.state))


def task_states(dag_run: Any) -> dict[str, str]:
    return {ti.task_id: state_of(ti) for ti in dag_run.get_task_instances()}


def rendered_fields(dag_run: Any, task_id: str) -> dict[str, Any]:
    """The rendered template fields Airflow recorded for the UI (RenderedTaskInstanceFields)."""
    from airflow.models.renderedtifields import RenderedTaskInstanceFields
    from airflow.utils.session import create_session

    with create_session() as session:
        ti = dag_run.get_task_instance(task_id, session=session)
        return RenderedTaskInstanceFields.get_templated_fields(ti, session=session)


def run_results(artifacts: Path, dag_id: str, task_id: str) -> dict[str, Any]:
    """run_results.json of the one try of ``task_id`` under ``HEVO_DAGFACTORY_DBT_ARTIFACTS_DIR``."""
    found = sorted(artifacts.glob(f"dag_id={dag_id}/run_id=*/task_id={task_id}/attempt=*/target/run_results.json"))
    assert len(found) == 1, (task_id, found, sorted(p.name for p in artifacts.rglob("*"))[:50])
    return json.loads(found[0].read_text())


def nodes(results: dict[str, Any]) -> dict[str, str]:
    """unique_id -> status of every node dbt ran."""
    return {r["unique_id"]: r["status"] for r in results["results"]}
