"""What the sections of one workflow share while it is built: its data, positions, errors and task ids.

Why one object: every section reports errors at a JSON pointer (mapped to file, line and column
by ``Positions``), quotes values as the user wrote them (``${VAR}``, never its value), and syncs
and steps share one id space that the reference and cycle checks read. ``fields`` holds what the
sections produced so far, so a later check can read an earlier one's result (the schedule, the steps).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from hevo_dagfactory.spec import schema as S
from hevo_dagfactory.spec.errors import ConfigError
from hevo_dagfactory.spec.model import Origin
from hevo_dagfactory.spec.positions import Positions
from hevo_dagfactory.spec.values import MAX_DURATION_DAYS, parse_duration


class BuildState:
    """One merged, schema-valid workflow being checked and converted."""

    def __init__(
        self, data: dict[str, Any], source: Path, pos: Positions, environment: str | None, origin: Origin | None = None
    ):
        self.data = data  # the merged data as written (without schema defaults)
        self.origin = origin  # the file as written and its defaults, for the DAG docs
        self.top = {**S.defaults_of("#"), **data}  # with the schema's top-level defaults
        self.source = source
        self.pos = pos
        self.environment = environment
        self.errors: list[ConfigError] = []
        self.fields: dict[str, Any] = {}  # Workflow fields made by the sections so far
        self.task_ids: dict[str, str] = {}  # sync/step id -> pointer of its first definition

    # --- reporting ------------------------------------------------------------------------
    def error(self, ptr: str, message: str, hint: str | None, kind: str, *, key: bool = False) -> None:
        file, line, col = self.pos.at(ptr, key=key)
        self.errors.append(ConfigError(message, file, line, col, ptr or None, hint, kind))

    def q(self, ptr: str, value: Any) -> str:
        """The value for a message: quoted, or as written (``'${VAR}'``) if a variable supplied it."""
        return self.pos.quote(ptr, value)

    def duration(self, ptr: str, value: Any, *, null_means: str | None = None) -> timedelta | None:
        if value is None:
            return None
        try:
            return parse_duration(value)
        except ValueError as exc:
            hint = f"write at most {MAX_DURATION_DAYS}d" + (f", or null for {null_means}" if null_means else "")
            self.error(ptr, f"invalid duration {self.q(ptr, value)}: {exc}", hint, "duration")
            return None

    def required_duration(self, ptr: str, value: Any) -> timedelta:
        """A duration the model cannot do without (the schema gives it a default).

        After an error (reported here) zero stands in: no ``Workflow`` is built from a file with errors.
        """
        found = self.duration(ptr, value)
        return found if found is not None else timedelta(0)

    # --- task ids -------------------------------------------------------------------------
    def claim(self, task_id: str, ptr: str) -> None:
        """Record a sync's or step's id defined at ``ptr``; a second use is an error."""
        if task_id in self.task_ids:
            first = self.pos.at(self.task_ids[task_id])
            self.error(
                f"{ptr}/id",
                f"duplicate id {self.q(f'{ptr}/id', task_id)} (first used at line {first[1]})",
                "give every sync and step its own id",
                "duplicate_id",
            )
        else:
            self.task_ids[task_id] = ptr

    def id_text(self, task_id: str) -> str:
        """An id as messages show it: as written (``${VAR}``) when a variable supplied it."""
        written = self.pos.written(f"{self.task_ids[task_id]}/id") if task_id in self.task_ids else None
        return task_id if written is None else written
