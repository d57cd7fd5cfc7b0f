"""The dags-folder loader: a folder of workflow files → DAGs in the caller's module globals.

Why it never raises: Airflow 3.3 records import errors per ``.py`` file, and an error against
the loader file marks every DAG it produced stale in a running Airflow. So each broken workflow
file (invalid YAML, schema or semantic errors, a duplicate dag_id, a DAG Airflow itself would
reject, cluster policies included: ``compat.check_dag_like_dagbag``) becomes a placeholder DAG
(see ``placeholder.py``) and an ERROR log line, while every good file still becomes its DAG.

Speed: validation results and DAG build plans come from ``cache.py``; a cached plan is replayed
(``plan.py``) without the model or the builders. When Airflow sets the parsing context (a worker
about to run one task) only that DAG is built, and the index of the last full parse points at
the one file to read, so the other files are not even validated.

This module is the entry point; one run over a folder is ``folderrun.FolderRun``, each file's
result ``fileresults``, each DAG's making and Airflow's checks ``checked``.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import sys
import time
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Any

from hevo_dagfactory.factory.folderrun import CONFIG_DIR_ENV, FolderRun
from hevo_dagfactory.provider.compat import DAG, get_parsing_context

# Imported only where needed: ``factory.dag`` (the builders, the doc generator) when a file has no
# cached build plan yet, ``factory.placeholder`` (the config-error operator and its DAGs) for a
# broken file or a loader failure. A worker replaying a plan needs neither, nor ``spec.model``.

log = logging.getLogger("hevo_dagfactory.factory")

__all__ = ["CONFIG_DIR_ENV", "GLOBALS_PREFIX", "LAST_RUN", "load_workflows", "resolve_config_folder"]

GLOBALS_PREFIX = "hevo_dag__"

#: Counters of the most recent run in this process (files, cached, validated, replayed build
#: plans, broken, built): for logs, tests and the benchmark.
LAST_RUN: dict[str, int] = {}


def resolve_config_folder(folder: str | os.PathLike[str] | None, loader_dir: Path) -> Path:
    """Argument, else ``$HEVO_DAGFACTORY_CONFIG_DIR``, else the loader's own folder.

    Relative paths resolve against the loader file's folder, not the process's working
    directory, so the same loader works from a DAG bundle checked out anywhere.
    """
    chosen = folder if folder is not None else os.environ.get(CONFIG_DIR_ENV) or None
    if chosen is None:
        return loader_dir
    path = Path(os.path.expanduser(os.fspath(chosen)))
    if not path.is_absolute():
        path = loader_dir / path
    return Path(os.path.normpath(path))


def load_workflows(
    folder: str | os.PathLike[str] | None = None,
    globals_: MutableMapping[str, Any] | None = None,
) -> dict[str, DAG]:
    """Turn every workflow file under ``folder`` into a DAG and register it in ``globals_``.

    ``folder``: see :func:`resolve_config_folder`. ``globals_``: the loader module's
    ``globals()``; when omitted, the caller's module globals are used, which is what Airflow
    scans for DAG objects. Returns ``{dag_id: DAG}`` including placeholders for broken files.
    Never raises for a problem in the files: see the module docstring.
    """
    target = globals_ if globals_ is not None else sys._getframe(1).f_globals
    loader_file = target.get("__file__")
    loader_path = Path(os.path.abspath(loader_file)) if loader_file else None
    loader_dir = loader_path.parent if loader_path else Path.cwd()
    root = resolve_config_folder(folder, loader_dir)
    started = time.perf_counter()
    try:
        with _gc_paused():
            dags, stats = FolderRun(root).run(get_parsing_context().dag_id)
    except Exception as exc:
        log.exception("hevo-dagfactory: loading workflow files from %s failed", root)
        from hevo_dagfactory.factory.placeholder import accepted_placeholder, placeholder_dag_id

        stem = loader_path.stem if loader_path else "hevo_workflows"
        pid = placeholder_dag_id(f"{stem}__loader_error")
        lines = [f"{root}: the loader failed: {type(exc).__name__}: {exc}"]
        dags, stats = accepted_placeholder(pid, loader_path.name if loader_path else stem, lines), {}
    for dag_id, dag in dags.items():
        target[GLOBALS_PREFIX + dag_id] = dag
    LAST_RUN.clear()
    LAST_RUN.update(stats, built=len(dags))
    log.info(
        "hevo-dagfactory: %s → %d DAG(s) in %.0f ms (%s)",
        root,
        len(dags),
        (time.perf_counter() - started) * 1000,
        ", ".join(f"{k} {v}" for k, v in stats.items()),
    )
    return dags


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while the loader builds, as it was afterwards.

    Why: nearly everything a run allocates is a DAG, its tasks and their attributes, kept for
    the life of the parse process. Each collection the allocations trigger re-scans all of them,
    so the pauses grow with the DAGs already built: about a fifth of a warm 1000-file fill. The
    few cycles that are garbage (a validator's temporaries) are collected at the first
    collection after the run. Measured: the same peak RSS either way (docs/decisions.md).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
