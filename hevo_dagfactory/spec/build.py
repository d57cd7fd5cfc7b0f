"""Merged, schema-valid workflow data → ``Workflow``, with the checks a schema cannot do.

Why a separate stage: the JSON Schema proves shapes and types; this module proves
meaning — the time zone exists, the cron parses, dates are in order, every ``after``
names a task, ids are unique, the step graph has no cycle, dbt values cannot break a
command line — and normalises values for the factory (durations, tz-aware dates,
absolute paths, upper-case API enums). Defaults come from the schema, not from code.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from hevo_dagfactory.spec import schema as S
from hevo_dagfactory.spec.errors import ConfigError
from hevo_dagfactory.spec.graph import find_cycle
from hevo_dagfactory.spec.kinds import BodyContext, kind_of, matching
from hevo_dagfactory.spec.model import AssetSchedule, HevoSettings, Step, Sync, TaskDefaults, Workflow
from hevo_dagfactory.spec.positions import Positions
from hevo_dagfactory.spec.schema_errors import did_you_mean
from hevo_dagfactory.spec.values import MAX_DURATION_DAYS, cron_problem, parse_datetime, parse_duration, zone

_DAG_ID = re.compile(r"[A-Za-z0-9_.-]{1,200}")  # used with fullmatch: "$" would allow a final "\n"
# Template variables that need a logical date. Airflow 3 starts Asset-triggered runs without one,
# so a step using them fails at render time in exactly the runs the schedule is for.
_JINJA_EXPR = re.compile(r"\{\{(.*?)\}\}", re.S)
_DATED_NAME = re.compile(
    r"(?<![.\w])(ds|ds_nodash|ts|ts_nodash|ts_nodash_with_tz|logical_date|execution_date"
    r"|data_interval_start|data_interval_end|prev_ds|next_ds|prev_ds_nodash|next_ds_nodash"
    r"|prev_data_interval_start_success|prev_data_interval_end_success)\b"
)


def _dated_variable(text: str) -> str | None:
    """The first logical-date variable a ``{{ ... }}`` expression reads (filters such as ``| ds`` excluded)."""
    for expr in _JINJA_EXPR.findall(text):
        found = _DATED_NAME.search(expr.split("|", 1)[0])
        if found:
            return found.group(1)
    return None


class _Ctx:
    def __init__(self, pos: Positions):
        self.pos = pos
        self.errors: list[ConfigError] = []

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


def build_workflow(
    data: dict[str, Any], source: Path, pos: Positions, environment: str | None
) -> tuple[Workflow | None, list[ConfigError]]:
    """Check and convert one merged workflow; returns ``(None, errors)`` when anything is wrong."""
    ctx = _Ctx(pos)
    top = {**S.defaults_of("#"), **data}

    dag_id = top.get("dag_id") or source.stem
    if "dag_id" not in data and not _DAG_ID.fullmatch(dag_id):
        ctx.error(
            "", f"the file name {source.name!r} is not a valid dag_id", "rename the file or set 'dag_id:'", "dag_id"
        )

    tz_name = "UTC" if top["timezone"].upper() == "UTC" else top["timezone"]
    tz = None
    try:
        tz = zone(tz_name)
    except ValueError:
        import zoneinfo

        close = did_you_mean(tz_name, zoneinfo.available_timezones()) if pos.written("/timezone") is None else None
        hint = close or "use an IANA name such as Europe/Berlin or UTC"
        ctx.error("/timezone", f"unknown time zone {ctx.q('/timezone', tz_name)}", hint, "timezone")

    schedule: Any = top["schedule"]
    if isinstance(schedule, str) and not schedule.startswith("@"):
        problem = cron_problem(schedule)
        if problem:
            # croniter's complaint quotes the expression, which must not show a variable's value
            detail = f": {problem}" if pos.written("/schedule") is None else ""
            ctx.error(
                "/schedule",
                f"invalid cron expression {ctx.q('/schedule', schedule)}{detail}",
                "use 5 fields: minute hour day-of-month month day-of-week, e.g. '0 6 * * *'",
                "cron",
            )
    elif isinstance(schedule, dict):
        schedule = AssetSchedule(tuple(schedule["assets"]), bool(schedule.get("any", False)))

    dates: dict[str, datetime | None] = {"start_date": None, "end_date": None}
    for key in dates:
        if top.get(key) is not None and tz is not None:
            try:
                dates[key] = parse_datetime(str(top[key]), tz)
            except (ValueError, OverflowError) as exc:
                detail = f": {exc}" if pos.written(f"/{key}") is None else ""
                ctx.error(
                    f"/{key}",
                    f"{key} {ctx.q(f'/{key}', top[key])} is not a valid date{detail}",
                    "write an existing date such as 2026-01-31",
                    "date",
                )
    if dates["start_date"] and dates["end_date"] and dates["start_date"] >= dates["end_date"]:
        shown = {k: pos.written(f"/{k}") or top[k] for k in dates}
        ctx.error(
            "/end_date",
            f"end_date {shown['end_date']} is not after start_date {shown['start_date']}",
            "move end_date later or remove it",
            "date_range",
        )

    hevo = HevoSettings(**{**S.defaults_of("#/properties/hevo"), **top.get("hevo", {})})
    td = {**S.defaults_of("#/properties/defaults"), **top.get("defaults", {})}
    defaults = TaskDefaults(
        retries=td["retries"],
        retry_delay=ctx.duration("/defaults/retry_delay", td["retry_delay"]),
        execution_timeout=ctx.duration("/defaults/execution_timeout", td["execution_timeout"], null_means="no limit"),
    )

    seen: dict[str, str] = {}  # id -> pointer of its first definition

    def claim(task_id: str, ptr: str) -> None:
        if task_id in seen:
            first = pos.at(seen[task_id])
            ctx.error(
                f"{ptr}/id",
                f"duplicate id {ctx.q(f'{ptr}/id', task_id)} (first used at line {first[1]})",
                "give every sync and step its own id",
                "duplicate_id",
            )
        else:
            seen[task_id] = ptr

    def id_text(task_id: str) -> str:
        """An id as messages show it: as written (``${VAR}``) when a variable supplied it."""
        written = pos.written(f"{seen[task_id]}/id") if task_id in seen else None
        return task_id if written is None else written

    sync_base = {**S.defaults_of("#/$defs/sync"), **top.get("sync_defaults", {})}
    syncs = []
    for i, raw in enumerate(top["syncs"]):
        ptr = f"/syncs/{i}"
        claim(raw["id"], ptr)
        merged = {**sync_base, **raw}

        def where(key: str) -> str:
            return f"{ptr}/{key}" if key in raw else f"/sync_defaults/{key}"  # noqa: B023 - used at once

        syncs.append(
            Sync(
                id=merged["id"],
                pipeline_id=merged["pipeline_id"],
                action=merged["action"],
                resync_mode=merged["resync_mode"].upper(),
                job_type=merged["job_type"].upper() if merged["job_type"] else None,
                wait=merged["wait"],
                poll_interval=ctx.duration(where("poll_interval"), merged["poll_interval"]),
                timeout=ctx.duration(where("timeout"), merged["timeout"], null_means="the 7-day default"),
                on_completed_with_failures=merged["on_completed_with_failures"],
                if_running=merged["if_running"],
            )
        )

    folder = source.parent
    steps = []
    for i, raw in enumerate(top["steps"]):
        ptr = f"/steps/{i}"
        claim(raw["id"], ptr)
        after = tuple(raw["after"]) if "after" in raw else None
        kind = kind_of(raw)
        body_ptr = f"{ptr}/{kind.name}"
        for rel, text in matching(kind.single_line, raw[kind.name]):
            if "\n" in text or "\r" in text:
                ctx.error(
                    f"{body_ptr}/{rel}" if rel else body_ptr,
                    "the value contains a line break",
                    "write it on one line; check for a '|' block or a \\n escape",
                    "unsafe_value",
                )
        body = kind.parse(raw[kind.name], BodyContext(body_ptr, folder, ctx.error))
        steps.append(Step(raw["id"], kind.name, body, after))

    if not syncs and not steps:
        ctx.error(
            "", "the workflow has no syncs and no steps", "add a 'syncs:' list, and 'steps:' to run after them", "empty"
        )

    ids = list(seen)
    for i, step in enumerate(steps):
        for j, ref in enumerate(step.after or ()):
            if ref not in seen:
                ref_ptr = f"/steps/{i}/after/{j}"
                plain = [t for t in ids if id_text(t) == t]  # never suggest an id a variable supplied
                hint = did_you_mean(ref, plain) if pos.written(ref_ptr) is None else None
                hint = hint or f"known ids: {', '.join(id_text(t) for t in ids)}"
                ctx.error(
                    ref_ptr,
                    f"step {id_text(step.id)!r} runs after unknown id {ctx.q(ref_ptr, ref)}",
                    hint,
                    "unknown_reference",
                )
    step_index = {s.id: i for i, s in enumerate(steps)}
    cycle = find_cycle({s.id: [a for a in (s.after or ()) if a in step_index] for s in steps})
    if cycle:
        first = step_index[cycle[0]]
        path = " -> ".join(id_text(t) for t in cycle)
        ctx.error(
            f"/steps/{first}/after",
            f"dependency cycle: {path} (each runs after the next)",
            "remove one of these 'after' entries",
            "cycle",
        )

    if isinstance(schedule, AssetSchedule):
        for ptr, text in _template_strings(top["steps"]):
            name = _dated_variable(text)
            if name:
                ctx.error(
                    ptr,
                    f"'{{{{ {name} }}}}' is undefined in runs started by an Asset event "
                    "(Airflow 3 gives them no logical date)",
                    "use the run's start time instead, e.g. '{{ dag_run.run_after | ds }}'",
                    "template_date",
                )

    if ctx.errors:
        return None, ctx.errors
    return (
        Workflow(
            dag_id=dag_id,
            source=source,
            description=top.get("description"),
            schedule=schedule,
            start_date=dates["start_date"],
            end_date=dates["end_date"],
            timezone=tz_name,
            catchup=top["catchup"],
            max_active_runs=top["max_active_runs"],
            owner=top["owner"],
            tags=tuple(top["tags"]),
            hevo=hevo,
            defaults=defaults,
            syncs=tuple(syncs),
            steps=tuple(steps),
            environment=environment,
        ),
        [],
    )


def _template_strings(steps: list[dict[str, Any]]):
    """(pointer, text) of every step string Airflow renders as a template (each kind says which)."""
    for i, raw in enumerate(steps):
        kind = kind_of(raw)
        for rel, text in matching(kind.templates, raw[kind.name]):
            yield (f"/steps/{i}/{kind.name}/{rel}" if rel else f"/steps/{i}/{kind.name}"), text
