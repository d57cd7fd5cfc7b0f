"""Asset-scheduled workflows may not use logical-date template variables (``{{ ds }}`` ...).

Why: Airflow 3 starts Asset-triggered runs without a logical date, so a step using one fails at
render time in exactly the runs the schedule is for. Each step kind says which of its strings are
templates (``StepKind.templates``); a wait-only sync's ``completed_after`` is one too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from hevo_dagfactory.spec.kinds import kind_of, matching
from hevo_dagfactory.spec.model import AssetSchedule
from hevo_dagfactory.spec.sections.state import BuildState

_JINJA_EXPR = re.compile(r"\{\{(.*?)\}\}", re.S)
_DATED_NAME = re.compile(
    r"(?<![.\w])(ds|ds_nodash|ts|ts_nodash|ts_nodash_with_tz|logical_date|execution_date"
    r"|data_interval_start|data_interval_end|prev_ds|next_ds|prev_ds_nodash|next_ds_nodash"
    r"|prev_data_interval_start_success|prev_data_interval_end_success)\b"
)


def asset_templates(state: BuildState) -> dict[str, Any]:
    if not isinstance(state.fields["schedule"], AssetSchedule):
        return {}
    for ptr, text in [*_template_strings(state.top["steps"]), *_wait_references(state)]:
        name = _dated_variable(text)
        if name:
            state.error(
                ptr,
                f"'{{{{ {name} }}}}' is undefined in runs started by an Asset event "
                "(Airflow 3 gives them no logical date)",
                "use the run's start time instead, e.g. '{{ dag_run.run_after | ds }}'",
                "template_date",
            )
    return {}


def _dated_variable(text: str) -> str | None:
    """The first logical-date variable a ``{{ ... }}`` expression reads (filters such as ``| ds`` excluded)."""
    for expr in _JINJA_EXPR.findall(text):
        found = _DATED_NAME.search(expr.split("|", 1)[0])
        if found:
            return found.group(1)
    return None


def _template_strings(steps: list[dict[str, Any]]) -> Iterator[tuple[str, str]]:
    """(pointer, text) of every step string Airflow renders as a template (each kind says which)."""
    for i, raw in enumerate(steps):
        kind = kind_of(raw)
        for rel, text in matching(kind.templates, raw[kind.name]):
            yield (f"/steps/{i}/{kind.name}/{rel}" if rel else f"/steps/{i}/{kind.name}"), text


def _wait_references(state: BuildState) -> Iterator[tuple[str, str]]:
    """(pointer, text) of every ``completed_after`` template of a wait-only sync (sync_defaults included)."""
    default = state.top.get("sync_defaults", {}).get("completed_after")
    if isinstance(default, str):
        yield "/sync_defaults/completed_after", default
    for i, raw in enumerate(state.top["syncs"]):
        if isinstance(raw.get("completed_after"), str):
            yield f"/syncs/{i}/completed_after", raw["completed_after"]
