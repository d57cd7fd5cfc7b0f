"""Configuration errors with a position in the user's YAML file.

Why a dedicated type: every mistake in a workflow file must reach the user as
``path:line:col: message [pointer]`` plus a hint that says what to do, never as a
traceback. The attribute names mirror Airflow 3.3's
``airflow.dag_processing.importers.base.DagImportError`` (``file_path``, ``message``,
``error_type``, ``line_number``, ``column_number``, ``suggestion``) so that a native
YAML importer can hand our errors to Airflow one-to-one once Airflow lets third
parties register importers. Nothing here imports Airflow.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class ConfigError:
    """One problem in one file, with a 1-based line/column when known.

    ``pointer`` is the JSON pointer of the offending value in the merged workflow
    (``/syncs/0/action``); ``hint`` tells the user what to do (did-you-mean, allowed
    values...). ``error_type`` is a short machine-readable kind such as ``yaml``,
    ``unknown_key`` or ``cycle``.
    """

    message: str
    file: str
    line: int | None = None
    col: int | None = None
    pointer: str | None = None
    hint: str | None = None
    error_type: str = "config"

    # --- DagImportError-compatible names -------------------------------------------------
    @property
    def file_path(self) -> str:
        return self.file

    @property
    def line_number(self) -> int | None:
        return self.line

    @property
    def column_number(self) -> int | None:
        return self.col

    @property
    def suggestion(self) -> str | None:
        return self.hint

    # --- rendering -------------------------------------------------------------------------
    @property
    def location(self) -> str:
        """``path:line:col`` (or less when the position is unknown)."""
        loc = self.file
        if self.line is not None:
            loc += f":{self.line}"
            if self.col is not None:
                loc += f":{self.col}"
        return loc

    def format(self, *, with_hint: bool = True) -> str:
        """One line: control characters (a key such as ``"prod\\n"``) are shown escaped."""
        text = f"{self.location}: {self.message}"
        if self.pointer:
            text += f" [{_one_line(self.pointer)}]"
        if with_hint and self.hint:
            text += f"; {self.hint}"
        return text

    def __str__(self) -> str:
        return self.format()

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form used by ``validate --format json``."""
        return {
            "file": self.file,
            "line": self.line,
            "col": self.col,
            "pointer": self.pointer,
            "message": self.message,
            "hint": self.hint,
            "error_type": self.error_type,
        }

    def sort_key(self) -> tuple:
        return (self.file, self.line or 0, self.col or 0, self.message)


def _one_line(text: str) -> str:
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class ConfigErrors(Exception):
    """Raised by :func:`hevo_dagfactory.spec.load_file`; holds every error of the file."""

    def __init__(self, errors: list[ConfigError]):
        self.errors: list[ConfigError] = sorted(errors, key=ConfigError.sort_key)
        super().__init__("\n".join(str(e) for e in self.errors) or "invalid workflow")


def display_path(path: Path | str) -> str:
    """Path shown in messages: relative to the working directory when below it.

    Why: ``configs/sales.yaml:3:5`` is what editors and CI annotations expect; an
    absolute path would leak machine layout into CI logs.
    """
    p = Path(path)
    try:
        cwd = os.getcwd()
        absolute = os.path.abspath(p)  # no file system calls: the common case, a path below cwd
        if absolute.startswith(cwd.rstrip(os.sep) + os.sep):
            return absolute[len(cwd.rstrip(os.sep)) + 1 :]
        return str(p.resolve().relative_to(_real(cwd)))  # a path through a symlink into cwd
    except (ValueError, OSError):
        return str(p)


@lru_cache(maxsize=8)
def _real(cwd: str) -> Path:
    return Path(cwd).resolve()
