"""Load workflow files: read → YAML with marks → ``${VAR}`` → schema → merge → model.

Why this order: variables are expanded before the schema check so ``region: ${REGION}``
is checked as the value it becomes; each file is checked on its own (so positions
are the file's own) before layers are merged (``layers.py``); the merge order is
the ``defaults.yaml`` chain (the config root's first) < the workflow file < the chain's
``environments[env]`` < the file's ``environments[env]``, with ``env`` from ``HEVO_DAGFACTORY_ENV``.
Environments that are not selected are still checked for unknown keys and types,
but their unset variables are not errors (they may only exist in that environment).

Every function collects errors instead of raising on the first, so one run reports
every error of every file.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hevo_dagfactory.spec.build import build_workflow
from hevo_dagfactory.spec.environments import (
    ENV_VAR,
    STANDARD_ENVIRONMENTS,
    environment_name_problem,
    unknown_environment,
)
from hevo_dagfactory.spec.errors import ConfigError, ConfigErrors, display_path
from hevo_dagfactory.spec.interpolate import scrub
from hevo_dagfactory.spec.layers import DefaultsCache, Layer, merge, origin, read_layer
from hevo_dagfactory.spec.model import Workflow
from hevo_dagfactory.spec.pathargs import RealPaths, expand_paths
from hevo_dagfactory.spec.positions import Positions

__all__ = [
    "ENV_VAR",
    "STANDARD_ENVIRONMENTS",
    "LoadResult",
    "current_environment",
    "environment_name_problem",
    "load_file",
    "load_paths",
]


@dataclass
class LoadResult:
    """Outcome of :func:`load_paths`: good workflows, every error, every file looked at."""

    workflows: list[Workflow]
    errors: list[ConfigError]
    files: list[Path]  # workflow files, defaults files read, and named paths that could not be read
    skipped: list[Path] = field(default_factory=list)  # YAML files in scanned folders that are not workflows

    @property
    def ok(self) -> bool:
        return not self.errors


def current_environment(env: str | None = None) -> str | None:
    """``env`` if given, else ``$HEVO_DAGFACTORY_ENV``; empty means none."""
    value = env if env is not None else os.environ.get(ENV_VAR, "")
    return value.strip() or None


#: (workflow, errors, (file, line, col, dag_id as written if a variable set it), broken defaults folders)
_Loaded = tuple[Workflow | None, list[ConfigError], tuple[str, int | None, int | None, str | None] | None, list[Path]]


def _load_one(
    path: Path,
    environment: str | None,
    osenv: Mapping[str, str],
    cache: DefaultsCache,
    source: Path | None = None,
    root: Path | None = None,
) -> _Loaded:
    """One workflow file with its defaults chain (``root`` down to its folder); see ``_Loaded``.

    A bug of ours must not become a traceback for the user nor hide the other files'
    results, so anything unexpected is turned into an ``internal`` error for this file
    (the test suite fails on any ``internal`` error).
    """
    try:
        return _load_one_unguarded(path, environment, osenv, cache, source or path.resolve(), root)
    except Exception as exc:  # noqa: BLE001 - last-resort guard, see docstring
        # The exception text is not shown: it may quote a value that came from a variable.
        error = ConfigError(
            f"internal error while checking this file ({type(exc).__name__})",
            display_path(path),
            1,
            1,
            None,
            "please report this together with the file",
            "internal",
        )
        return None, [error], None, []


def _load_one_unguarded(
    path: Path, environment: str | None, osenv: Mapping[str, str], cache: DefaultsCache, source: Path, root: Path | None
) -> _Loaded:
    layer, errors = read_layer(path, "workflow", environment, osenv)
    bases, broken = cache.chain(path.parent, root)
    if broken:
        return None, errors, None, broken
    if layer is None:
        return None, errors, None, []
    pos = Positions(layer.shown)
    merged: dict[str, Any] = {}
    stack: list[tuple[Layer, str]] = [(b, "") for b in bases] + [(layer, "")]
    if environment:
        stack += [(b, environment) for b in bases] + [(layer, environment)]
    for lay, env in stack:
        if env:
            overlay = lay.data.get("environments", {}).get(env)
            if overlay is None:
                continue
            merged = merge(merged, overlay)
            pos.add(lay.doc, lay.shown, f"/environments/{env}", "", lay.expansions.raw)
        else:
            merged = merge(merged, {k: v for k, v in lay.data.items() if k != "environments"})
            pos.add(lay.doc, lay.shown, raw=lay.expansions.raw)
    layers = [lay for lay, env in stack if not env]
    if environment:
        declared = {name for lay in layers for name in lay.data.get("environments", {})}
        env_error = unknown_environment(environment, declared, layer.shown, layer.doc.key_marks.get("/environments"))
        if env_error is not None:
            return None, [env_error], None, []
    workflow, build_errors = build_workflow(merged, source, pos, environment, origin(layer, bases, root))
    build_errors = scrub(build_errors, [lay.expansions for lay in layers])
    where = pos.at("/dag_id") if "dag_id" in merged else (layer.shown, 1, 1)
    return workflow, build_errors, (*where, pos.written("/dag_id")), []


def load_file(
    path: Path | str,
    *,
    env: str | None = None,
    root: Path | str | None = None,
    defaults: DefaultsCache | None = None,
) -> Workflow:
    """Load one workflow file with its defaults chain; raise ``ConfigErrors`` with every problem.

    ``root``: the config folder; every ``defaults.yaml`` from there down to the file's folder applies
    (None: only the file's own folder's). ``defaults``: a cache of the defaults files already read, shared by
    the calls of one loader run (made with :func:`defaults_cache` for the same ``env``); a new one if None.
    """
    environment = current_environment(env)
    cache = defaults if defaults is not None else DefaultsCache(environment, os.environ)
    path = Path(path)
    workflow, errors, _, broken = _load_one(path, environment, os.environ, cache, root=_root(root))
    errors = [e for folder in broken for e in cache.get(folder)[1]] + errors
    if workflow is None or errors:
        raise ConfigErrors(errors)
    return workflow


def defaults_cache(env: str | None = None) -> DefaultsCache:
    """A cache of defaults files for several :func:`load_file` calls of one run (each folder's file read once)."""
    return DefaultsCache(current_environment(env), os.environ)


def _root(root: Path | str | None) -> Path | None:
    return None if root is None else Path(root)


def _defaults_broken(path: Path, broken: list[Path], cache: DefaultsCache, reported: set[Path]) -> list[ConfigError]:
    """The errors of each broken defaults file in ``path``'s chain (once per load), and why ``path`` was not loaded."""
    errors: list[ConfigError] = []
    for folder in broken:
        if folder.resolve() not in reported:
            reported.add(folder.resolve())
            errors += cache.get(folder)[1]
    what = "the folder's defaults file has" if broken == [path.parent] else "defaults files of its folders have"
    hint = "fix the defaults file first"
    errors.append(ConfigError(f"not loaded because {what} errors", display_path(path), 1, 1, None, hint, "defaults"))
    return errors


def _duplicate(workflow: Workflow, path: Path, where: Any, first_path: Path) -> ConfigError:
    file, line, col, written = where or (display_path(path), 1, 1, None)
    return ConfigError(
        f"dag_id {(written or workflow.dag_id)!r} is already used by {display_path(first_path)}",
        file,
        line,
        col,
        "/dag_id",
        "give each workflow its own dag_id (or file name)",
        "duplicate_dag_id",
    )


def load_paths(
    paths: Iterable[Path | str],
    *,
    env: str | None = None,
    sniff_files: bool = False,
    root: Path | str | None = None,
    ignore_syntax: str | None = "glob",
) -> LoadResult:
    """Load every workflow under ``paths``: files, and folders searched recursively.

    Reports every error of every file, each defaults file's errors once, and ``dag_id`` clashes
    across all files (naming both). A folder is the config root of the files found in it (its
    ``defaults.yaml`` chain starts there); a file named on its own uses ``root`` (None: its own
    folder only). ``ignore_syntax`` reads ``.airflowignore`` files (``glob`` or ``regexp``, as
    Airflow's ``[core] dag_ignore_file_syntax``). Explicitly named ``defaults.yaml`` files are
    checked as defaults files. ``sniff_files=True`` applies the folder rules to named files too
    (for pre-commit, which passes every changed YAML file).
    """
    environment = current_environment(env)
    osenv = os.environ
    real = RealPaths()
    found = expand_paths(paths, sniff_files, real, root=_root(root), ignore_syntax=ignore_syntax)
    errors = list(found.errors)
    refused = [Path(e.file) for e in errors]  # looked at, so counted among the files checked
    cache = DefaultsCache(environment, osenv)
    workflows: list[Workflow] = []
    dag_ids: dict[str, Path] = {}
    reported_defaults: set[Path] = set()
    for d in found.defaults:
        reported_defaults.add(d.parent.resolve())
        errors += cache.get(d.parent)[1]
    for path, file_root in found.files:
        workflow, file_errors, where, broken = _load_one(path, environment, osenv, cache, real(path), file_root)
        errors += file_errors
        if broken:
            errors += _defaults_broken(path, broken, cache, reported_defaults)
        elif workflow is not None and workflow.dag_id in dag_ids:
            errors.append(_duplicate(workflow, path, where, dag_ids[workflow.dag_id]))
        elif workflow is not None:
            dag_ids[workflow.dag_id] = path
            workflows.append(workflow)
    errors.sort(key=ConfigError.sort_key)
    named = {real(d) for d in found.defaults}
    read_defaults = [d for d in cache.files() if real(d) not in named]
    files = [f for f, _ in found.files]
    return LoadResult(workflows, errors, files + found.defaults + read_defaults + refused, found.skipped)
