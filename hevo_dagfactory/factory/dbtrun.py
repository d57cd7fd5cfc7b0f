"""What a dbt task sets up when it runs; ``DbtBashOperator`` imports this at run time, never at parse.

- **dbt-ol or dbt.** A step with ``lineage: true`` runs ``dbt-ol``, the wrapper of the openlineage-dbt
  package: it runs dbt, then emits an OpenLineage event pair per model from dbt's artifacts. Lineage must
  never cost a run, so where ``dbt-ol`` is not on the task's PATH the step runs plain ``dbt`` and says so in
  the task log. The choice is made after rendering, so the rendered command is the one bash ran.
- **Its own target and log folders.** dbt writes ``target/`` (run_results.json, manifest.json, compiled SQL)
  and ``logs/`` into the project folder by default. Two tasks of one project running at once would then
  overwrite each other's run_results.json (which is what ``dbt-ol`` reads to build its events), and a
  project inside a read-only DAG bundle could not run at all. So each task try gets folders of its own,
  through ``DBT_TARGET_PATH`` and ``DBT_LOG_PATH``: kept under ``$HEVO_DAGFACTORY_DBT_ARTIFACTS_DIR`` when
  that is set (``dag_id=…/run_id=…/task_id=…/attempt=N``, as Airflow lays out task logs), else a temporary
  folder removed after the task. A ``DBT_TARGET_PATH`` or ``DBT_LOG_PATH`` the step or worker sets wins.
- **The OpenLineage parent.** With Airflow's OpenLineage provider installed, ``dbt-ol`` gets the task's
  OpenLineage run as its parent (``OPENLINEAGE_PARENT_ID``, ``OPENLINEAGE_ROOT_PARENT_ID``, from the
  provider's own macros), so a lineage backend shows the dbt run under the Airflow task that started it.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

DBT = "dbt"
LINEAGE_WRAPPER = "dbt-ol"
ARTIFACTS_DIR_ENV = "HEVO_DAGFACTORY_DBT_ARTIFACTS_DIR"
TARGET_PATH_ENV = "DBT_TARGET_PATH"
LOG_PATH_ENV = "DBT_LOG_PATH"

_UNSAFE = re.compile(r"[^A-Za-z0-9_.~:+=-]")


def task_env_before_ours(env: Mapping[str, str] | None, append_env: bool) -> dict[str, str]:
    """The environment bash will get from BashOperator (the worker's plus the step's), before this module adds to it."""
    if env is not None and not append_env:
        return dict(env)
    return {**os.environ, **(env or {})}


def executable_for(argv: list[Any], env: Mapping[str, str], log: Any) -> list[Any]:
    """``argv`` to run: ``dbt-ol`` becomes ``dbt``, with a warning, when the wrapper is not on ``env``'s PATH."""
    if not argv or argv[0] != LINEAGE_WRAPPER or shutil.which(LINEAGE_WRAPPER, path=env.get("PATH", os.defpath)):
        return argv
    log.warning(
        "lineage is on for this dbt step, but the OpenLineage wrapper %s is not on this worker's PATH: running "
        "plain dbt, so this run emits no lineage events. Install openlineage-dbt next to dbt (`pip install "
        "openlineage-dbt` in dbt's virtualenv) and put its %s on the PATH of the workers.",
        LINEAGE_WRAPPER,
        LINEAGE_WRAPPER,
    )
    return [DBT, *argv[1:]]


def missing_executable(argv: list[Any], env: Mapping[str, str]) -> str | None:
    """A message saying what to install when ``argv[0]`` is not on ``env``'s PATH, else None."""
    if not argv or shutil.which(str(argv[0]), path=env.get("PATH", os.defpath)):
        return None
    return (
        f"{argv[0]} is not on the PATH of this worker ({env.get('PATH', os.defpath)}). Install dbt with the adapter "
        "of your warehouse where the workers run (e.g. `pip install 'dbt-core>=1.11,<1.12' dbt-duckdb` in a "
        "virtualenv of its own) and put its bin folder on the workers' PATH."
    )


def _safe(part: Any) -> str:
    text = _UNSAFE.sub("_", str(part))
    return "_" if text in ("", ".", "..") else text


def artifacts_subdir(context: Mapping[str, Any], dag_id: str, task_id: str) -> Path:
    """``dag_id=…/run_id=…/task_id=…[/map_index=…]/attempt=N`` for this task try, each part file-name safe."""
    ti = context.get("ti") or context.get("task_instance")
    run_id = getattr(ti, "run_id", None) or context.get("run_id") or "unknown"
    parts = [f"dag_id={_safe(getattr(ti, 'dag_id', None) or dag_id)}", f"run_id={_safe(run_id)}"]
    parts.append(f"task_id={_safe(getattr(ti, 'task_id', None) or task_id)}")
    map_index = getattr(ti, "map_index", -1)
    if isinstance(map_index, int) and map_index >= 0:
        parts.append(f"map_index={map_index}")
    parts.append(f"attempt={_safe(getattr(ti, 'try_number', None) or 1)}")
    return Path(*parts)


@contextmanager
def artifact_env(context: Mapping[str, Any], env: Mapping[str, str], dag_id: str, task_id: str) -> Iterator[dict]:
    """``DBT_TARGET_PATH``/``DBT_LOG_PATH`` for one task try (see the module docstring), for the ``with`` block."""
    wanted = [name for name in (TARGET_PATH_ENV, LOG_PATH_ENV) if not env.get(name)]
    if not wanted:
        yield {}
        return
    base = env.get(ARTIFACTS_DIR_ENV)
    if base:
        folder = Path(base) / artifacts_subdir(context, dag_id, task_id)
        folder.mkdir(parents=True, exist_ok=True)
        yield _paths(folder, wanted)
        return
    with tempfile.TemporaryDirectory(prefix="hevo-dbt-") as tmp:
        yield _paths(Path(tmp), wanted)


def _paths(folder: Path, wanted: list[str]) -> dict[str, str]:
    sub = {TARGET_PATH_ENV: "target", LOG_PATH_ENV: "logs"}
    return {name: str(folder / sub[name]) for name in wanted}


def lineage_parent_env(context: Mapping[str, Any], env: Mapping[str, str], log: Any) -> dict[str, str]:
    """The task's OpenLineage run as ``dbt-ol``'s parent, when Airflow's OpenLineage provider is installed.

    Nothing when the provider is missing or the step sets a parent itself; a failure is logged, never raised.
    """
    from hevo_dagfactory.provider.compat import openlineage_parent_ids

    try:
        ids = openlineage_parent_ids(context.get("ti") or context.get("task_instance")) or {}
        return {} if any(env.get(name) for name in ids) else ids
    except Exception as exc:  # noqa: BLE001 - lineage never fails a task
        log.warning(
            "could not name this task's OpenLineage run as dbt-ol's parent (%s); its events carry no parent", exc
        )
        return {}
