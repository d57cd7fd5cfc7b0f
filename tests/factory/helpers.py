"""Helpers shared by the factory tests: paths, small workflow files, a real DagBag."""

from __future__ import annotations

import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CONFIGS = REPO / "configs"
LOADER = REPO / "dags" / "hevo_workflows.py"

GOOD = """\
dag_id: {dag_id}
schedule: "@daily"
start_date: 2026-01-01
hevo: {{region: eu}}
tags: [team-a]
syncs:
  - id: orders
    pipeline_id: {pid}
steps:
  - id: build
    dbt: {{command: build, select: ["tag:{dag_id}"]}}
"""


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def good_workflow(folder: Path, dag_id: str, pid: int = 1) -> Path:
    return write(folder, f"{dag_id}.yaml", GOOD.format(dag_id=dag_id, pid=pid))


BROKEN_UNKNOWN_KEY = """\
dag_id: broken_one
schedule: "@daily"
start_date: 2026-01-01
syncs:
  - id: s1
    pipeline_id: 7
    acton: resync
"""

#: The loader a user copies into their dags folder (the zero-setting form docs/loader.md shows).
USER_LOADER = """\
# Airflow DAG loader: every hevo-dagfactory workflow YAML file beside this file becomes a DAG.
from hevo_dagfactory import load_workflows

load_workflows()
"""


def dags_folder_with_loader(tmp_path: Path, body: str | None = None) -> Path:
    """A dags folder holding the user's loader (or a custom loader body)."""
    dags = tmp_path / "dags"
    dags.mkdir(parents=True, exist_ok=True)
    (dags / "hevo_workflows.py").write_text(textwrap.dedent(body or USER_LOADER), encoding="utf-8")
    return dags


def dagbag(folder: Path):
    """A real DagBag over ``folder`` (safe mode on, as the dag-processor uses it)."""
    from hevo_dagfactory.provider.compat import DagBag

    return DagBag(dag_folder=str(folder), safe_mode=True)
