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

from hevo_dagfactory.factory import cache, dagindex
from hevo_dagfactory.factory import plan as build_plan
from hevo_dagfactory.factory.validation import validate_file
from hevo_dagfactory.provider.compat import DAG, check_dag_like_dagbag, conf, get_parsing_context

# Imported only where needed: ``factory.dag`` (the builders, the doc generator) when a file has no
# cached build plan yet, ``factory.placeholder`` (the config-error operator and its DAGs) for a
# broken file or a loader failure. A worker replaying a plan needs neither, nor ``spec.model``.

log = logging.getLogger("hevo_dagfactory.factory")

CONFIG_DIR_ENV = "HEVO_DAGFACTORY_CONFIG_DIR"
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
            dags, stats = _Loader(root).run(get_parsing_context().dag_id)
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


class _Loader:
    """One run over one config folder."""

    def __init__(self, root: Path):
        self.root = root
        self.keys = cache.KeyBuilder(root)
        self.stats = {"files": 0, "cached": 0, "validated": 0, "replayed": 0, "broken": 0}
        self._build_error: list[str] = []
        #: path → (key, Workflow) validated in this run but not stored yet: the DAG's build plan,
        #: stored once the DAG is built, replaces the model (one disk write per file, not two).
        self._unstored: dict[str, tuple[tuple, Any]] = {}

    # --- per file -----------------------------------------------------------------------
    def rel(self, path: Path) -> str:
        return cache.relative(self.root, path) or path.name

    def result_for(self, path: Path, *, defer: bool = False) -> tuple[Any, tuple | None]:
        """(a build plan, a ``Workflow`` or a list of ``ConfigError``; the file's cache key).

        ``(None, None)`` if the file vanished meanwhile. ``defer``: a freshly validated
        ``Workflow`` is stored later (see ``_unstored``), when the caller will build its DAG.
        """
        keyed = self.keys.key(path)
        if keyed is None:
            return None, None
        key = keyed[0]
        hit, result = cache.lookup(self.root, path, key)
        if hit:
            self.stats["cached"] += 1
            return result, key
        self.stats["validated"] += 1
        result, cacheable = validate_file(path, self.root)
        if cacheable and defer and not isinstance(result, list):
            self._unstored[str(path)] = (key, result)
        elif cacheable:
            cache.store(self.root, path, key, result)
        return result, key

    def _store_model(self, path: Path) -> None:
        """Store a deferred model (its DAG got no plan: a plug-in builder, or Airflow rejected it)."""
        pending = self._unstored.pop(str(path), None)
        if pending is not None:
            cache.store(self.root, path, *pending)

    def error_lines(self, path: Path, errors: list[Any]) -> list[str]:
        """``file:line:col: message [pointer] (hint)`` with the file relative to the config folder."""
        rel = self.rel(path)
        lines = []
        for err in errors:
            loc = rel
            line = getattr(err, "line_number", None)
            if line is not None:
                loc += f":{line}"
                col = getattr(err, "column_number", None)
                if col is not None:
                    loc += f":{col}"
            text = f"{loc}: {getattr(err, 'message', err)}"
            if getattr(err, "pointer", None):
                text += f" [{err.pointer}]"
            if getattr(err, "suggestion", None):
                text += f" ({err.suggestion})"
            lines.append(text)
        return lines or [f"{rel}: invalid workflow file"]

    # --- the run ------------------------------------------------------------------------
    def run(self, wanted: str | None) -> tuple[dict[str, DAG], dict[str, int]]:
        cache.maybe_prune()  # a stat per run; the real work at most once an hour
        if not self.root.is_dir():
            msg = (
                f"{self.root}: workflow folder not found; pass the folder to load_workflows() or set "
                f"{CONFIG_DIR_ENV} (relative paths resolve against the loader file)"
            )
            log.error("hevo-dagfactory: %s", msg)
            from hevo_dagfactory.factory.placeholder import accepted_placeholder, placeholder_dag_id

            pid = placeholder_dag_id("hevo_workflows__missing_folder")
            return accepted_placeholder(pid, self.root.name or str(self.root), [msg]), self.stats
        if wanted:
            found = self._only(wanted)
            if found is not None:
                return found, self.stats
        return self._all(wanted), self.stats

    def _files(self) -> list[Path]:
        """Every workflow file below the config folder (team folders, ``.airflowignore`` as Airflow reads it)."""
        from hevo_dagfactory.spec import find_workflow_files

        files = find_workflow_files(self.root, conf.get("core", "dag_ignore_file_syntax", fallback="glob"))
        self.stats["files"] = len(files)
        return files

    def _only(self, wanted: str) -> dict[str, DAG] | None:
        """Build just ``wanted`` from the one file the last full parse recorded for it.

        Without a record for this folder (a bundle version no full parse has seen), the records
        of other folders name candidate files (``bundles.index_hints``). Falls back (returns None)
        when no candidate holds ``wanted``; the caller then analyses every file but still builds
        only ``wanted``.
        """
        rel = dagindex.index_lookup(self.root, wanted)
        if rel is not None:
            return self._only_from(self.root / rel, wanted, hinted=False)
        from hevo_dagfactory.factory import bundles

        for rel in bundles.index_hints(self.root, wanted)[:3]:
            found = self._only_from(self.root / rel, wanted, hinted=True)
            if found is not None:
                return found
        return None

    def _only_from(self, path: Path, wanted: str, *, hinted: bool) -> dict[str, DAG] | None:
        result, key = self.result_for(path)
        if result is None:
            return None
        if not isinstance(result, list):
            if _dag_id_of(result) != wanted:
                return None
            dag = self._build(path, result, key)
            if dag is _SKIPPED:
                return {}
            if dag is not None:
                return {wanted: dag}
            lines = self._build_error  # rejected by Airflow's checks: its placeholder has this id
        elif hinted:
            return None  # another folder's record: this folder's placeholder id is not known
        else:  # a broken file whose placeholder carried this id in the last full parse
            lines = self.error_lines(path, result)
        from hevo_dagfactory.factory.placeholder import accepted_placeholder

        self.stats["broken"] += 1
        return accepted_placeholder(wanted, self.rel(path), lines)

    def _all(self, wanted: str | None) -> dict[str, DAG]:
        good: dict[str, tuple[Path, Any, tuple]] = {}
        broken: list[tuple[Path, list[str]]] = []
        for path in self._files():
            result, key = self.result_for(path, defer=True)
            if result is None:
                continue
            if isinstance(result, list):
                broken.append((path, self.error_lines(path, result)))
                continue
            dag_id = _dag_id_of(result)
            if dag_id in good:
                first = self.rel(good[dag_id][0])
                broken.append(
                    (
                        path,
                        [
                            f"{self.rel(path)}: dag_id {dag_id!r} is already used by {first}; "
                            "give one of the two files another dag_id"
                        ],
                    )
                )
            else:
                good[dag_id] = (path, result, key)

        dags: dict[str, DAG] = {}
        index: dict[str, str] = {}
        for dag_id, (path, result, key) in good.items():
            index[dag_id] = self.rel(path)
            if wanted is not None and dag_id != wanted:
                continue
            dag = self._build(path, result, key)
            if dag is _SKIPPED:
                del index[dag_id]
            elif dag is None:
                broken.append((path, self._build_error))
                del index[dag_id]
            else:
                dags[dag_id] = dag

        if broken:
            from hevo_dagfactory.factory.placeholder import accepted_placeholder, placeholder_dag_id
        taken = set(index)
        for path, lines in sorted(broken, key=lambda item: str(item[0])):
            pid = placeholder_dag_id(path.stem, taken)
            taken.add(pid)
            index[pid] = self.rel(path)
            self.stats["broken"] += 1
            # ERROR once per full parse (the dag-processor log); a worker building another DAG stays quiet.
            log.log(
                logging.ERROR if wanted is None else logging.DEBUG,
                "hevo-dagfactory: workflow file %s is broken; it is shown as placeholder DAG %r "
                "(tag config-error) until fixed:\n  %s",
                self.rel(path),
                pid,
                "\n  ".join(lines),
            )
            if wanted is None or pid == wanted:
                dags.update(accepted_placeholder(pid, self.rel(path), lines))
        for path in list(self._unstored):  # models whose DAG was not built in this run
            self._store_model(Path(path))
        dagindex.write_index(self.root, index)
        return dags

    def _build(self, path: Path, result: Any, key: tuple | None) -> Any:
        """The DAG, checked as Airflow's DagBag will check it.

        ``result`` is a build plan (replayed) or a ``Workflow`` (built, and its plan cached under
        the file's ``key``). None (and ``_build_error``) if it cannot be built or Airflow would
        reject it; ``_SKIPPED`` if a cluster policy skips it (the DagBag would drop it silently,
        so do we).
        """
        rel = self.rel(path)
        dag = plan = None
        replayed = False
        if build_plan.is_plan(result):
            try:
                dag = build_plan.materialize(result)
                replayed = True
                self.stats["replayed"] += 1
            except Exception:
                log.debug("replaying the cached plan of %s failed; validating it again", path, exc_info=True)
                result, _ = validate_file(path, self.root)
                if isinstance(result, list):
                    self._build_error = self.error_lines(path, result)
                    return None
        if dag is None:
            from hevo_dagfactory.factory.dag import build_dag_and_plan
            from hevo_dagfactory.spec.errors import ConfigErrors  # the model is loaded already on this path

            try:
                dag, plan = build_dag_and_plan(result, source_name=rel)
            except ConfigErrors as exc:  # valid file, but this Airflow cannot run it as written
                self._build_error = self.error_lines(path, list(exc.errors))
                return None
            except Exception as exc:
                log.debug("building %s failed", path, exc_info=True)
                self._build_error = [
                    f"{rel}: the DAG could not be built from this file: {type(exc).__name__}: {exc} "
                    "(please report this: the file passed validation)"
                ]
                self._store_model(path)
                return None
        try:
            # A replayed plan passed validate() and the cycle check before it was stored.
            accepted = check_dag_like_dagbag(dag, structure=not replayed)
        except Exception as exc:
            from hevo_dagfactory.factory.placeholder import rejection_reason

            log.debug("Airflow's checks rejected the DAG of %s", path, exc_info=True)
            self._build_error = [f"{rel}: Airflow rejects the DAG {_dag_id_of(result)!r}: {rejection_reason(exc)}"]
            self._store_model(path)
            return None
        if plan is not None and key is not None and cache.store(self.root, path, key, plan):
            self._unstored.pop(str(path), None)  # the next parse replays the plan
        else:
            self._store_model(path)
        return dag if accepted else _SKIPPED


def _dag_id_of(result: Any) -> str:
    """The dag_id of a build plan or a ``Workflow``."""
    return result["dag_id"] if isinstance(result, dict) else result.dag_id


#: ``_Loader._build`` result for a DAG a cluster policy skips (AirflowClusterPolicySkipDag).
_SKIPPED = object()
