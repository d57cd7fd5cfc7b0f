"""Load workflow files: read → YAML with marks → ``${VAR}`` → schema → merge → model.

Why this order: variables are expanded before the schema check so ``region: ${REGION}``
is checked as the value it becomes; each file is checked on its own (so positions
are the file's own) before layers are merged; the merge order is
``defaults.yaml`` < the workflow file < ``defaults.yaml``'s ``environments[env]`` <
the file's ``environments[env]``, with ``env`` from ``HEVO_DAGFACTORY_ENV``.
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
from hevo_dagfactory.spec.layers import DefaultsCache, Layer, merge, read_layer
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


#: Where a file's dag_id is written: (file, line, col, the dag_id as written if a variable set it).
Where = tuple[str, "int | None", "int | None", "str | None"]


def _load_one(
    path: Path, environment: str | None, osenv: Mapping[str, str], cache: DefaultsCache, source: Path | None = None
) -> tuple[Workflow | None, list[ConfigError], Where | None, bool]:
    """Returns (workflow, errors, (file, line, col, dag_id as written if a variable set it), defaults_broken).

    A bug of ours must not become a traceback for the user nor hide the other files'
    results, so anything unexpected is turned into an ``internal`` error for this file
    (the test suite fails on any ``internal`` error).
    """
    try:
        return _load_one_unguarded(path, environment, osenv, cache, source or path.resolve())
    except Exception as exc:  # noqa: BLE001 - last-resort guard, see docstring
        # The exception text is not shown: it may quote a value that came from a variable.
        return (
            None,
            [
                ConfigError(
                    f"internal error while checking this file ({type(exc).__name__})",
                    display_path(path),
                    1,
                    1,
                    None,
                    "please report this together with the file",
                    "internal",
                )
            ],
            None,
            False,
        )


def _load_one_unguarded(
    path: Path, environment: str | None, osenv: Mapping[str, str], cache: DefaultsCache, source: Path
) -> tuple[Workflow | None, list[ConfigError], Where | None, bool]:
    layer, errors = read_layer(path, "workflow", environment, osenv)
    base, base_errors = cache.get(path.parent)
    if base_errors:
        return None, errors, None, True
    if layer is None:
        return None, errors, None, False
    pos = Positions(layer.shown)
    merged: dict[str, Any] = {}
    stack: list[tuple[Layer, str]] = []
    if base is not None:
        stack.append((base, ""))
    stack.append((layer, ""))
    if environment:
        if base is not None:
            stack.append((base, environment))
        stack.append((layer, environment))
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
            return None, [env_error], None, False
    workflow, build_errors = build_workflow(merged, source, pos, environment)
    build_errors = scrub(build_errors, [lay.expansions for lay in layers])
    where = pos.at("/dag_id") if "dag_id" in merged else (layer.shown, 1, 1)
    return workflow, build_errors, (*where, pos.written("/dag_id")), False


def load_file(path: Path | str, *, env: str | None = None) -> Workflow:
    """Load one workflow file (with its folder's defaults); raise ``ConfigErrors`` with every problem."""
    environment = current_environment(env)
    cache = DefaultsCache(environment, os.environ)
    workflow, errors, _, broken = _load_one(Path(path), environment, os.environ, cache)
    if broken:
        errors = cache.get(Path(path).parent)[1] + errors
    if workflow is None or errors:
        raise ConfigErrors(errors)
    return workflow


def load_paths(paths: Iterable[Path | str], *, env: str | None = None, sniff_files: bool = False) -> LoadResult:
    """Load every workflow under ``paths`` (files or folders, not recursive).

    Reports every error of every file, each folder's defaults errors once, and
    ``dag_id`` clashes across all files. Explicitly named ``defaults.yaml`` files are
    checked as defaults files. ``sniff_files=True`` applies the folder rules to named
    files too (for pre-commit, which passes every changed YAML file).
    """
    environment = current_environment(env)
    osenv = os.environ
    real = RealPaths()
    files, explicit_defaults, skipped, errors = expand_paths(paths, sniff_files, real)
    refused = [Path(e.file) for e in errors]  # looked at, so counted among the files checked
    cache = DefaultsCache(environment, osenv)
    workflows: list[Workflow] = []
    dag_ids: dict[str, Path] = {}  # dag_id -> the file that has it
    reported_defaults: set[Path] = set()
    for d in explicit_defaults:
        reported_defaults.add(d.parent.resolve())
        errors += cache.get(d.parent)[1]
    for path in files:
        workflow, file_errors, where, broken = _load_one(path, environment, osenv, cache, real(path))
        errors += file_errors
        if broken:
            errors += _defaults_broken(path, cache, reported_defaults)
        elif workflow is not None and workflow.dag_id in dag_ids:
            errors.append(_duplicate_dag_id(path, workflow, where, dag_ids[workflow.dag_id]))
        elif workflow is not None:
            dag_ids[workflow.dag_id] = path
            workflows.append(workflow)
    errors.sort(key=ConfigError.sort_key)
    named = {real(d) for d in explicit_defaults}
    read_defaults = [d for d in cache.files() if real(d) not in named]
    return LoadResult(workflows, errors, files + explicit_defaults + read_defaults + refused, skipped)


def _defaults_broken(path: Path, cache: DefaultsCache, reported: set[Path]) -> list[ConfigError]:
    """The folder's defaults errors (once per folder) and why ``path`` was not loaded."""
    errors: list[ConfigError] = []
    folder_key = path.parent.resolve()
    if folder_key not in reported:
        reported.add(folder_key)
        errors += cache.get(path.parent)[1]
    errors.append(
        ConfigError(
            "not loaded because the folder's defaults file has errors",
            display_path(path),
            1,
            1,
            None,
            "fix the defaults file first",
            "defaults",
        )
    )
    return errors


def _duplicate_dag_id(path: Path, workflow: Workflow, where: Where | None, first_path: Path) -> ConfigError:
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
