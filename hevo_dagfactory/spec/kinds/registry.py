"""The step-kind registry: what a kind is, how its body is found and checked, and the registry itself.

Why a registry: everything kind-specific comes from a kind's :class:`StepKind` entry, so nothing
else in the package names a kind. The loader parses a body with ``parse``; the semantic checks
read ``single_line`` and ``templates``; ``hevo-dagfactory show`` prints ``show_line``; the DAG docs
print ``doc_summary``; the factory builds ``operator`` with ``task_args`` (or a builder registered
with ``factory.register_step_builder`` for a kind that is more than one operator); and
``Step.<kind>`` (``step.dbt``) is the body of a step of that kind. A new kind is one module that
registers its entry (see ``dbt.py``, ``bash.py``), listed in ``kinds/__init__.py``, plus its schema
branch (docs/architecture.md, "How to add a step kind").

The operator is named by its import path (``"package.module:Class"``), as Airflow's own provider
info names classes: the spec layer never imports Airflow, and the factory imports the class only
when it builds a DAG. No string anywhere may hold a NUL; ``yamlsafe`` refuses that for every value.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

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
    """One step kind: its YAML key, its parser, its checks, how it is shown and what it runs as.

    Patterns (``single_line``, ``templates``) are JSON pointers relative to the body, with ``*``
    for one segment and a final ``**`` for everything below (or at) its parent; ``""`` is the body
    itself (a string body such as ``bash: echo``).

    - ``doc_summary(body)``: the "what" of the step in the DAG's docs, shown in the Airflow UI.
      Show only values that cannot hold secrets (no env values, commands or vars); without one
      the docs show the kind's name.
    - ``show_line(body)``: the step in ``hevo-dagfactory show`` (the user's own terminal).
    - ``operator`` and ``task_args(body, folder)``: the task is ``operator(task_id=<id>,
      **task_args(body, folder))``; ``folder`` is the workflow file's folder. The arguments must be
      picklable plain data (they are recorded in the DAG's build plan).
    - ``param_args``: built-in run parameters the kind takes (``dbt_full_refresh``) → the extra
      operator arguments that read it when the workflow switches it on.
    """

    name: str
    parse: Callable[[Any, BodyContext], Any]
    single_line: tuple[str, ...] = ()
    templates: tuple[str, ...] = ("**",)
    doc_summary: Callable[[Any], str] | None = None
    show_line: Callable[[Any], str] | None = None
    operator: str | None = None
    task_args: Callable[[Any, Path], dict[str, Any]] | None = None
    param_args: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def summary(self, body: Any) -> str:
        return self.doc_summary(body) if self.doc_summary is not None else self.name

    def show(self, body: Any) -> str:
        return self.show_line(body) if self.show_line is not None else f"{self.name}: {body}"


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


def step_kind(name: str) -> StepKind:
    """The registered kind called ``name``; a model with an unregistered kind is a programming error."""
    try:
        return STEP_KINDS[name]
    except KeyError:
        known = ", ".join(sorted(STEP_KINDS))
        raise LookupError(f"step kind {name!r} is not registered in spec.kinds (known: {known})") from None


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


def string_env(raw: Mapping[str, Any] | None) -> dict[str, str]:
    """An ``env:`` mapping as strings, the way a shell sees it (``true``, not ``True``)."""
    return {
        key: value if isinstance(value, str) else (str(value).lower() if isinstance(value, bool) else str(value))
        for key, value in (raw or {}).items()
    }
