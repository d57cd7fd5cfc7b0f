"""``.airflowignore`` with Airflow's own rules, for the folders of workflow files.

Why a port and not Airflow's function: ``hevo-dagfactory validate`` and the spec layer never import
Airflow, yet they must skip exactly the files the loader skips. This is Airflow 3.3's
``airflow._shared.module_loading.file_discovery`` (``find_path_from_directory``), rule for rule:

- the syntax is ``[core] dag_ignore_file_syntax``: ``glob`` (gitignore rules, through ``pathspec``,
  the library Airflow uses) or ``regexp`` (``re.search`` on the path relative to the folder searched);
- an ``.airflowignore`` applies to its own folder and every folder below it; a folder's patterns are
  added after its parent's, and later patterns win (``!pattern`` re-includes in ``glob``);
- a glob pattern with a ``/`` at its start or in its middle is relative to the ignore file's folder,
  other patterns match a name at any depth; a trailing ``/`` matches folders only;
- ``#`` starts a comment; an invalid pattern is logged and skipped.

Two differences, both on purpose: a symlink loop is not followed a second time (Airflow raises and
stops listing the whole folder), and folders whose names start with ``.`` or ``_`` (``.git``,
``__pycache__``, drafts) are not searched, as workflow files with such names are not read.
``tests/spec/test_spec_airflowignore.py`` compares this module with Airflow's own function.
"""

from __future__ import annotations

import logging
import os
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

IGNORE_FILE = ".airflowignore"
SYNTAXES = ("glob", "regexp")
_COMMENT = re.compile(r"\s*#.*")


class _Regexp:
    """A ``regexp`` rule: searched in the path relative to the folder the walk started at."""

    def __init__(self, pattern: re.Pattern[str], base_dir: Path):
        self.pattern, self.base_dir = pattern, base_dir

    @staticmethod
    def compile(pattern: str, base_dir: Path, definition_file: Path) -> _Regexp | None:
        try:
            return _Regexp(re.compile(pattern), base_dir)
        except re.error as exc:
            log.warning("Ignoring invalid regex '%s' from %s: %s", pattern, definition_file, exc)
            return None

    @staticmethod
    def match(path: Path, rules: list[Any]) -> bool:
        return any(rule.pattern.search(str(path.relative_to(rule.base_dir))) is not None for rule in rules)


class _Glob:
    """A ``glob`` rule: gitignore semantics, as in Airflow 3.3's ``_GlobIgnoreRule``."""

    def __init__(self, wild: Any, relative_to: Path | None, dir_only: bool):
        self.wild, self.relative_to, self.dir_only = wild, relative_to, dir_only

    @staticmethod
    def compile(pattern: str, base_dir: Path, definition_file: Path) -> _Glob | None:
        from pathspec.patterns import GitWildMatchPattern  # type: ignore[attr-defined]  # Airflow's own dependency, imported only when needed

        if pattern.strip() == "/":
            log.warning("Ignoring no-op glob pattern '/' from %s", definition_file)
            return None
        relative_to = definition_file.parent if pattern.startswith("/") or "/" in pattern.rstrip("/") else None
        raw = pattern.lstrip("!")
        dir_only = raw.rstrip() != raw.rstrip().rstrip("/")
        with warnings.catch_warnings():  # pathspec 1.x deprecates the class; Airflow 3.3 still matches with it
            warnings.simplefilter("ignore", DeprecationWarning)
            return _Glob(GitWildMatchPattern(pattern), relative_to, dir_only)

    @staticmethod
    def match(path: Path, rules: list[Any]) -> bool:
        matched = False
        for rule in rules:
            is_dir = path.is_dir()
            if rule.dir_only and not is_dir:
                continue
            rel = path.relative_to(rule.relative_to) if rule.relative_to else Path(path.name)
            text = f"{rel.as_posix()}/" if is_dir else rel.as_posix()
            if rule.wild.include is not None and rule.wild.match_file(text) is not None:
                matched = rule.wild.include
        return matched


def rule_type(syntax: str | None) -> type[_Glob] | type[_Regexp]:
    """The rule class for a ``dag_ignore_file_syntax`` value (empty means ``glob``, as in Airflow)."""
    if syntax in (None, "", "glob"):
        return _Glob
    if syntax == "regexp":
        return _Regexp
    raise ValueError(f"unsupported .airflowignore syntax {syntax!r}: use one of {', '.join(SYNTAXES)}")


def _read_rules(ignore_file: Path, base_dir: Path, kind: Any) -> list[Any]:
    try:
        text = ignore_file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    lines = (_COMMENT.sub("", line) for line in text.split("\n"))
    rules = (kind.compile(line, base_dir, ignore_file) for line in lines if line)
    return [r for r in rules if r is not None]


def _searched(name: str) -> bool:
    return not name.startswith((".", "_"))


def walk(base_dir: Path, syntax: str | None = "glob") -> Iterator[tuple[Path, list[str]]]:
    """(folder, names of its files that are not ignored), for ``base_dir`` and every folder below it."""
    kind = rule_type(syntax)
    by_dir: dict[Path, list[Any]] = {}
    seen: set[Path] = {Path(base_dir).resolve()}
    for root, dirs, files in os.walk(base_dir, followlinks=True):
        here = Path(root)
        rules = list(by_dir.get(here.resolve(), []))
        if IGNORE_FILE in files and (here / IGNORE_FILE).is_file():
            rules += _read_rules(here / IGNORE_FILE, base_dir, kind)
        kept = []
        for sub in dirs:
            if not _searched(sub) or (rules and kind.match(here / sub, rules)):
                continue
            real = (here / sub).resolve()
            if real in seen:  # a symlink loop (Airflow raises here): list it once
                log.warning("not searching %s again: a symlink leads back to it", here / sub)
                continue
            seen.add(real)
            by_dir[real] = rules
            kept.append(sub)
        dirs[:] = kept
        names = [f for f in files if f != IGNORE_FILE]
        if rules:
            names = [f for f in names if not kind.match(here / f, rules)]
        yield here, names
