"""Settings blocks merged key by key over the schema's defaults: ``hevo:`` and ``defaults:``."""

from __future__ import annotations

from typing import Any

from hevo_dagfactory.spec import schema as S
from hevo_dagfactory.spec.model import HevoSettings, TaskDefaults
from hevo_dagfactory.spec.sections.controls import task_controls
from hevo_dagfactory.spec.sections.state import BuildState


def hevo(state: BuildState) -> dict[str, Any]:
    """Which Hevo connection and region the syncs use."""
    return {"hevo": HevoSettings(**{**S.defaults_of("#/properties/hevo"), **state.top.get("hevo", {})})}


def task_defaults(state: BuildState) -> dict[str, Any]:
    """Retries, retry delay, execution timeout and the execution controls of every task."""
    td = {**S.defaults_of("#/properties/defaults"), **state.top.get("defaults", {})}
    defaults = TaskDefaults(
        retries=td["retries"],
        retry_delay=state.required_duration("/defaults/retry_delay", td["retry_delay"]),
        execution_timeout=state.duration("/defaults/execution_timeout", td["execution_timeout"], null_means="no limit"),
        controls=task_controls(state, td, lambda key: f"/defaults/{key}"),
    )
    return {"defaults": defaults}
