"""Merged, schema-valid workflow data → ``Workflow``, with the checks a schema cannot do.

Why a separate stage: the JSON Schema proves shapes and types; this stage proves meaning — the
time zone exists, the cron parses, dates are in order, every ``after`` names a task, ids are
unique, the step graph has no cycle, dbt values cannot break a command line — and normalises
values for the factory (durations, tz-aware dates, absolute paths, upper-case API enums).
Defaults come from the schema, not from code.

Why sections: each concept of the file is one function in ``spec/sections/`` that turns its keys
into ``Workflow`` fields and reports its own errors; this module only runs them in order and
assembles the model. A new top-level key is a new section (or a line in ``sections/header.py``)
plus its ``Workflow`` field and schema property. The order below is the order errors are reported
in, and later sections may read earlier ones' fields (``state.fields``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from hevo_dagfactory.spec.errors import ConfigError
from hevo_dagfactory.spec.model import Origin, Workflow
from hevo_dagfactory.spec.positions import Positions
from hevo_dagfactory.spec.sections import (
    alerts,
    controls,
    header,
    links,
    params,
    settings,
    steps,
    syncs,
    templates,
    timing,
)
from hevo_dagfactory.spec.sections.state import BuildState

Section = Callable[[BuildState], dict[str, Any]]

SECTIONS: tuple[Section, ...] = (
    header.header,  # dag_id, description, owner, tags, catchup, max_active_runs
    timing.timing,  # timezone, schedule, start_date, end_date
    settings.hevo,
    settings.task_defaults,
    controls.dag_controls,  # max_active_tasks, dagrun_timeout
    alerts.notify,
    alerts.deadline,  # after notify: its targets default to the workflow's
    syncs.syncs,
    steps.steps,
    params.params,  # after syncs and steps: a built-in applies only where it can
    links.not_empty,  # checks only, on the fields above
    links.references,
    links.cycles,
    templates.asset_templates,
    params.references,  # steps read only declared parameters
)


def build_workflow(
    data: dict[str, Any], source: Path, pos: Positions, environment: str | None, origin: Origin | None = None
) -> tuple[Workflow | None, list[ConfigError]]:
    """Check and convert one merged workflow; returns ``(None, errors)`` when anything is wrong."""
    state = BuildState(data, source, pos, environment, origin)
    for section in SECTIONS:
        state.fields.update(section(state))
    if state.errors:
        return None, state.errors
    return Workflow(**state.fields), []
