"""The step kinds (``dbt``, ``bash``, ...): how each kind's YAML body becomes its model object.

Why a registry: a new kind (say ``airbyte``) must need only a schema branch (a property of
``$defs/step`` plus a ``oneOf`` entry), a parser registered here, and a builder registered in
``factory.steps``; nothing in the loader or the semantic checks names a kind. Each entry says
which of its strings land on a command line (so must be one line) and which are Airflow
templates rendered at run time (so are checked for logical-date variables in Asset-scheduled
workflows). No string anywhere may hold a NUL; ``yamlsafe`` refuses that for every value.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from hevo_dagfactory.spec import schema as S
from hevo_dagfactory.spec.model import BashStep, DbtStep

#: (json pointer, message, hint, error type)
Report = Callable[[str, str, str | None, str], None]


class BodyContext:
    """What a kind's parser gets besides its body: where the body is, and how to report."""

    def __init__(self, ptr: str, folder: Path, report: Report):
        self.ptr = ptr  # JSON pointer of the body, e.g. /steps/2/dbt
        self.folder = folder  # folder of the YAML file; relative paths start here
        self._report = report

    def at(self, rel: str) -> str:
        return f"{self.ptr}/{rel}" if rel else self.ptr

    def error(self, rel: str, message: str, hint: str | None, kind: str) -> None:
        self._report(self.at(rel), message, hint, kind)

    def path(self, rel: str, value: str | None) -> Path | None:
        """An absolute path: ``~`` expanded, relative paths against the YAML file's folder."""
        if value is None:
            return None
        text = os.path.expanduser(value) if value.startswith("~") else value
        if text.startswith("~"):
            user = text[1:].split("/", 1)[0]
            problem = "no such user on this machine" if user else "HOME is not set and the user has no home folder"
            self.error(
                rel,
                f"cannot expand '~{user}': {problem}",
                "write an absolute path, or a path relative to this file's folder",
                "path",
            )
            return None
        # Lexically normalised, symlinks kept: a link such as "current" is followed when the task runs,
        # not frozen to its target at parse time (and no file system call per file).
        return Path(os.path.normpath(os.path.join(self.folder, text)))


@dataclass(frozen=True)
class StepKind:
    """One step kind: its YAML key, its parser, and which of its strings get which check.

    Patterns are JSON pointers relative to the body, with ``*`` for one segment and a final
    ``**`` for everything below (or at) its parent; ``""`` is the body itself (a string body such
    as ``bash: echo``).
    """

    name: str
    parse: Callable[[Any, BodyContext], Any]
    single_line: tuple[str, ...] = ()
    templates: tuple[str, ...] = ("**",)


STEP_KINDS: dict[str, StepKind] = {}


def register_step_kind(kind: StepKind) -> StepKind:
    STEP_KINDS[kind.name] = kind
    return kind


def kind_of(raw_step: dict[str, Any]) -> StepKind:
    """The kind of a schema-valid step mapping (its one key that names a registered kind)."""
    for key in raw_step:
        if key in STEP_KINDS:
            return STEP_KINDS[key]
    extra = [k for k in raw_step if k not in ("id", "after")]
    raise LookupError(f"step kind {extra[0] if extra else '?'!r} is in the schema but has no parser in spec.kinds")


@cache
def _compiled(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    """One regex for a kind's patterns: ``*`` is one segment; a final ``**`` is anything below (or nothing)."""

    def one(pattern: str) -> str:
        segs = pattern.split("/") if pattern else []
        if "**" in segs[:-1]:
            raise ValueError(f"pattern {pattern!r}: '**' may only be the last segment")
        deep = bool(segs) and segs[-1] == "**"
        head = "/".join("[^/]*" if seg == "*" else re.escape(seg) for seg in (segs[:-1] if deep else segs))
        if not deep:
            return head
        return f"{head}(?:/.*)?" if head else ".*"

    return re.compile("|".join(f"(?:{one(p)})" for p in patterns)) if patterns else None


def strings(value: Any, rel: str = "") -> Iterator[tuple[str, str]]:
    """(pointer relative to the body, text) of every string in a body, keys excluded."""
    if isinstance(value, str):
        yield rel, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings(item, f"{rel}/{key}" if rel else str(key))
    elif isinstance(value, list):
        for j, item in enumerate(value):
            yield from strings(item, f"{rel}/{j}" if rel else str(j))


def matching(patterns: tuple[str, ...], body: Any) -> Iterator[tuple[str, str]]:
    """The strings of ``body`` whose relative pointer matches one of ``patterns``."""
    regex = _compiled(patterns)
    if regex is None:
        return
    for rel, text in strings(body):
        if regex.fullmatch(rel):
            yield rel, text


# --- dbt -------------------------------------------------------------------------------------


def _tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _env(raw: dict[str, Any] | None) -> dict[str, str]:
    return {
        key: value if isinstance(value, str) else (str(value).lower() if isinstance(value, bool) else str(value))
        for key, value in (raw or {}).items()
    }


def _dbt(raw: dict[str, Any], ctx: BodyContext) -> DbtStep:
    fields = {**S.defaults_of("#/$defs/dbt"), **raw}
    if fields["lineage"] and not fields.get("project_dir"):
        # dbt-ol reads the project from --project-dir only (not DBT_PROJECT_DIR), and a task's working
        # folder is a fresh temporary one: without it the wrapper fails before dbt starts.
        ctx.error(
            "lineage",
            "lineage: true needs project_dir: the OpenLineage wrapper dbt-ol finds the dbt project only through it",
            "add project_dir (relative to this file's folder), e.g. project_dir: dbt/analytics",
            "missing_project_dir",
        )
    return DbtStep(
        command=fields["command"],
        select=_tuple(fields.get("select")),
        exclude=_tuple(fields.get("exclude")),
        selector=fields.get("selector"),
        vars=dict(fields.get("vars") or {}),
        target=fields.get("target"),
        project_dir=ctx.path("project_dir", fields.get("project_dir")),
        profiles_dir=ctx.path("profiles_dir", fields.get("profiles_dir")),
        full_refresh=fields["full_refresh"],
        threads=fields.get("threads"),
        env=_env(fields.get("env")),
        lineage=fields["lineage"],
    )


# Every dbt value but ``vars`` is one argument of the command line; ``vars`` is passed as one JSON
# argument, where a line break is written ``\n``, so multi-line vars are fine.
DBT = register_step_kind(
    StepKind(
        "dbt",
        _dbt,
        single_line=(
            "command",
            "select",
            "select/*",
            "exclude",
            "exclude/*",
            "selector",
            "target",
            "project_dir",
            "profiles_dir",
            "env/*",
        ),
    )
)


# --- bash ------------------------------------------------------------------------------------


def _bash(raw: str | dict[str, Any], ctx: BodyContext) -> BashStep:
    if isinstance(raw, str):
        return BashStep(command=raw)
    return BashStep(command=raw["command"], env=_env(raw.get("env")), cwd=ctx.path("cwd", raw.get("cwd")))


# The command itself may span lines (a ``|`` block is a script); its working folder and
# environment values may not.
BASH = register_step_kind(StepKind("bash", _bash, single_line=("cwd", "env/*")))
