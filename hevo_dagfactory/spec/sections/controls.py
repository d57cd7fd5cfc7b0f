"""Execution controls: a task's pool, queue, priority and retry backoff, and the run's own limits.

Why one helper for three places: ``defaults``, ``sync_defaults``/a sync, and a step take the same keys
(``$defs/controls`` in the schema), so they are read the same way; a duration's error points at the
layer that wrote it. ``max_active_tasks`` and ``dagrun_timeout`` are settings of the whole DAG.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from hevo_dagfactory.spec import schema as S
from hevo_dagfactory.spec.model import TaskControls
from hevo_dagfactory.spec.sections.state import BuildState


def control_keys() -> tuple[str, ...]:
    """The keys of ``$defs/controls`` (pool, pool_slots, queue, ...), read from the schema."""
    return tuple(S.section("#/$defs/controls")["properties"])


def task_controls(state: BuildState, raw: Mapping[str, Any], where: Callable[[str], str]) -> TaskControls:
    """The controls set in ``raw``; ``where(key)`` is the pointer of a key (for error positions)."""
    values = {key: raw[key] for key in control_keys() if key in raw}
    if "max_retry_delay" in values:
        values["max_retry_delay"] = state.duration(where("max_retry_delay"), values["max_retry_delay"])
    return TaskControls(**values)


def dag_controls(state: BuildState) -> dict[str, Any]:
    """``max_active_tasks`` and ``dagrun_timeout`` of the DAG."""
    timeout = state.duration("/dagrun_timeout", state.top.get("dagrun_timeout"), null_means="no limit")
    return {"max_active_tasks": state.top.get("max_active_tasks"), "dagrun_timeout": timeout}
