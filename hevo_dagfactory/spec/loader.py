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
from hevo_dagfactory.spec.discover import (
    DEFAULTS_NAMES,
    defaults_file,
    find_workflow_files,
    is_candidate_name,
    looks_like_workflow,
)
from hevo_dagfactory.spec.environments import (
    ENV_VAR,
    STANDARD_ENVIRONMENTS,
    environment_name_problem,
    unknown_environment,
)
from hevo_dagfactory.spec.errors import ConfigError, ConfigErrors, display_path
from hevo_dagfactory.spec.interpolate import Expansions, expand, has_unresolved, scrub
from hevo_dagfactory.spec.model import Workflow
from hevo_dagfactory.spec.positions import Positions
from hevo_dagfactory.spec.schema_errors import schema_errors
from hevo_dagfactory.spec.yamlsafe import Document, file_kind, load_document

#: top-level keys whose mappings are merged key by key; every other key is replaced whole
MERGED_KEYS = ("hevo", "defaults", "sync_defaults")
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


@dataclass
class _Layer:
    path: Path
    shown: str
    doc: Document
    data: dict[str, Any]
    expansions: Expansions = field(default_factory=Expansions)


def _other_env(environment: str | None) -> Any:
    selected = f"/environments/{environment}" if environment else None

    def skip(ptr: str) -> bool:
        return ptr.startswith("/environments/") and ptr.count("/") == 2 and ptr != selected

    def under_other(ptr: str) -> bool:
        if not ptr.startswith("/environments/"):
            return False
        head = "/".join(ptr.split("/", 3)[:3])
        return head != selected

    return skip, under_other


def _read_layer(
    path: Path, kind: str, environment: str | None, osenv: Mapping[str, str]
) -> tuple[_Layer | None, list[ConfigError]]:
    """One file checked on its own: syntax, top-level shape, variables, schema."""
    shown = display_path(path)
    doc, errors = load_document(path, shown)
    if doc is None:
        return None, errors
    if doc.data is None:
        if kind == "defaults":
            return _Layer(path, shown, doc, {}), []
        return None, [
            ConfigError(
                "the file is empty",
                shown,
                1,
                1,
                None,
                "write a workflow; hevo-dagfactory new NAME writes a starter",
                "empty",
            )
        ]
    if not isinstance(doc.data, dict):
        line, col = doc.marks.get("", (1, 1))
        what = "a list" if isinstance(doc.data, list) else "a single value"
        return None, [
            ConfigError(
                f"the top level is {what}, not a mapping of settings",
                shown,
                line,
                col,
                None,
                "start with 'key: value' lines such as 'syncs:' and 'steps:'",
                "not_mapping",
            )
        ]
    pos = Positions(shown)
    used = Expansions()
    pos.add(doc, shown, raw=used.raw)  # filled by expand() below
    skip, under_other = _other_env(environment)
    found: list[ConfigError] = []

    def report(ptr: str, message: str, hint: str) -> None:
        file, line, col = pos.at(ptr)
        found.append(ConfigError(message, file, line, col, ptr, hint, "env_var"))

    data = expand(doc.data, osenv, "", report, skip, used)
    unset = {e.pointer for e in found}  # a value left as '${NAME}' is already reported; its type error is noise
    found += schema_errors(
        data,
        "defaults" if kind == "defaults" else "workflow",
        pos,
        ignore=lambda ptr, inst: ptr in unset or (under_other(ptr) and has_unresolved(inst)),
    )
    if found:
        return None, scrub(found, [used])
    return _Layer(path, shown, doc, data, used), []


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if key in MERGED_KEYS and isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    return out


class _DefaultsCache:
    """Each folder's defaults file is read and checked once per load."""

    def __init__(self, environment: str | None, osenv: Mapping[str, str]):
        self.environment = environment
        self.osenv = osenv
        self.entries: dict[Path, tuple[_Layer | None, list[ConfigError]]] = {}
        self.read: list[Path] = []

    def get(self, folder: Path) -> tuple[_Layer | None, list[ConfigError]]:
        if folder not in self.entries:
            errors: list[ConfigError] = []
            layer = None
            path = defaults_file(folder)
            if path is not None:
                if all((folder / n).is_file() for n in DEFAULTS_NAMES):
                    errors.append(
                        ConfigError(
                            f"both {DEFAULTS_NAMES[0]} and {DEFAULTS_NAMES[1]} exist",
                            display_path(folder / DEFAULTS_NAMES[1]),
                            1,
                            1,
                            None,
                            "keep one defaults file per folder",
                            "defaults",
                        )
                    )
                layer, more = _read_layer(path, "defaults", self.environment, self.osenv)
                errors += more
            self.entries[folder] = (layer, errors)
            if path is not None:
                self.read.append(path)
        return self.entries[folder]

    def files(self) -> list[Path]:
        """The defaults files read so far."""
        return list(self.read)


def _load_one(
    path: Path, environment: str | None, osenv: Mapping[str, str], cache: _DefaultsCache, source: Path | None = None
) -> tuple[Workflow | None, list[ConfigError], tuple[str, int | None, int | None, str | None] | None, bool]:
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
    path: Path, environment: str | None, osenv: Mapping[str, str], cache: _DefaultsCache, source: Path
) -> tuple[Workflow | None, list[ConfigError], tuple[str, int | None, int | None, str | None] | None, bool]:
    layer, errors = _read_layer(path, "workflow", environment, osenv)
    base, base_errors = cache.get(path.parent)
    if base_errors:
        return None, errors, None, True
    if layer is None:
        return None, errors, None, False
    pos = Positions(layer.shown)
    merged: dict[str, Any] = {}
    stack: list[tuple[_Layer, str]] = []
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
            merged = _merge(merged, overlay)
            pos.add(lay.doc, lay.shown, f"/environments/{env}", "", lay.expansions.raw)
        else:
            merged = _merge(merged, {k: v for k, v in lay.data.items() if k != "environments"})
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
    cache = _DefaultsCache(environment, os.environ)
    workflow, errors, _, broken = _load_one(Path(path), environment, os.environ, cache)
    if broken:
        errors = cache.get(Path(path).parent)[1] + errors
    if workflow is None or errors:
        raise ConfigErrors(errors)
    return workflow


class _RealPaths:
    """``Path.resolve()`` for many files of few folders: each folder is resolved once per load.

    Why: resolving costs an ``lstat`` per path component; for a thousand files of one folder
    that was a measurable part of ``validate``. A file that is itself a symlink is resolved fully.
    """

    def __init__(self) -> None:
        self.known: dict[Path, Path] = {}

    def __call__(self, path: Path) -> Path:
        found = self.known.get(path)
        if found is None:
            if path.is_symlink():
                found = path.resolve()
            else:
                folder = path.parent
                if folder not in self.known:
                    self.known[folder] = folder.resolve()
                found = self.known[folder] / path.name
            self.known[path] = found
        return found


def _expand_paths(
    paths: Iterable[Path | str], sniff_files: bool = False, real: _RealPaths | None = None
) -> tuple[list[Path], list[Path], list[Path], list[ConfigError]]:
    """(workflow files, explicit defaults files, skipped files, errors for paths that are no file or folder)."""
    files: list[Path] = []
    defaults: list[Path] = []
    skipped: list[Path] = []
    errors: list[ConfigError] = []
    seen: set[Path] = set()
    real = real or _RealPaths()

    def add(target: list[Path], p: Path) -> None:
        key = real(p)
        if key not in seen:
            seen.add(key)
            target.append(p)

    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = find_workflow_files(p)
            for f in found:
                add(files, f)
            found_set = set(found)
            skipped += sorted(
                (c for c in p.iterdir() if is_candidate_name(c) and c not in found_set and c.is_file()),
                key=lambda c: c.name,
            )
        elif p.is_file():
            if p.name in DEFAULTS_NAMES:
                add(defaults, p)
            elif sniff_files and not (is_candidate_name(p) and looks_like_workflow(p)):
                skipped.append(p)
            else:
                add(files, p)
        else:
            try:
                message = f"cannot read {file_kind(p.stat().st_mode)}: workflow files must be regular files"
            except OSError:
                message = "no such file or folder"
            errors.append(ConfigError(message, display_path(p), 1, 1, None, "check the path", "io"))
    return files, defaults, skipped, errors


def load_paths(paths: Iterable[Path | str], *, env: str | None = None, sniff_files: bool = False) -> LoadResult:
    """Load every workflow under ``paths`` (files or folders, not recursive).

    Reports every error of every file, each folder's defaults errors once, and
    ``dag_id`` clashes across all files. Explicitly named ``defaults.yaml`` files are
    checked as defaults files. ``sniff_files=True`` applies the folder rules to named
    files too (for pre-commit, which passes every changed YAML file).
    """
    environment = current_environment(env)
    osenv = os.environ
    real = _RealPaths()
    files, explicit_defaults, skipped, errors = _expand_paths(paths, sniff_files, real)
    refused = [Path(e.file) for e in errors]  # looked at, so counted among the files checked
    cache = _DefaultsCache(environment, osenv)
    workflows: list[Workflow] = []
    dag_ids: dict[str, tuple[Path, Any]] = {}
    reported_defaults: set[Path] = set()
    for d in explicit_defaults:
        reported_defaults.add(d.parent.resolve())
        errors += cache.get(d.parent)[1]
    for path in files:
        workflow, file_errors, where, broken = _load_one(path, environment, osenv, cache, real(path))
        errors += file_errors
        if broken:
            folder_key = path.parent.resolve()
            if folder_key not in reported_defaults:
                reported_defaults.add(folder_key)
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
            continue
        if workflow is None:
            continue
        if workflow.dag_id in dag_ids:
            first_path, _ = dag_ids[workflow.dag_id]
            file, line, col, written = where or (display_path(path), 1, 1, None)
            errors.append(
                ConfigError(
                    f"dag_id {(written or workflow.dag_id)!r} is already used by {display_path(first_path)}",
                    file,
                    line,
                    col,
                    "/dag_id",
                    "give each workflow its own dag_id (or file name)",
                    "duplicate_dag_id",
                )
            )
            continue
        dag_ids[workflow.dag_id] = (path, where)
        workflows.append(workflow)
    errors.sort(key=ConfigError.sort_key)
    named = {real(d) for d in explicit_defaults}
    read_defaults = [d for d in cache.files() if real(d) not in named]
    return LoadResult(workflows, errors, files + explicit_defaults + read_defaults + refused, skipped)
