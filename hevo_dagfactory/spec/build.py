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
from hevo_dagfactory.spec.model import (
    AssetSchedule,
    BashStep,
    DbtStep,
    HevoSettings,
    Step,
    Sync,
    TaskDefaults,
    Workflow,
)
from hevo_dagfactory.spec.positions import Positions
from hevo_dagfactory.spec.schema_errors import did_you_mean
from hevo_dagfactory.spec.values import cron_problem, parse_datetime, parse_duration, zone

_DAG_ID = re.compile(r"^[A-Za-z0-9_.-]{1,200}$")
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


def _dur(value: Any) -> timedelta | None:
    return None if value is None else parse_duration(value)


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def build_workflow(data: dict[str, Any], source: Path, pos: Positions, environment: str | None) -> tuple[Workflow | None, list[ConfigError]]:
    """Check and convert one merged workflow; returns ``(None, errors)`` when anything is wrong."""
    ctx = _Ctx(pos)
    top = {**S.defaults_of("#"), **data}

    dag_id = top.get("dag_id") or source.stem
    if "dag_id" not in data and not _DAG_ID.match(dag_id):
        ctx.error("", f"the file name {source.name!r} is not a valid dag_id", "rename the file or set 'dag_id:'", "dag_id")

    tz_name = "UTC" if top["timezone"].upper() == "UTC" else top["timezone"]
    tz = None
    try:
        tz = zone(tz_name)
    except ValueError:
        import zoneinfo

        hint = did_you_mean(tz_name, zoneinfo.available_timezones()) or "use an IANA name such as Europe/Berlin or UTC"
        ctx.error("/timezone", f"unknown time zone {tz_name!r}", hint, "timezone")

    schedule: Any = top["schedule"]
    if isinstance(schedule, str) and not schedule.startswith("@"):
        problem = cron_problem(schedule)
        if problem:
            ctx.error("/schedule", f"invalid cron expression {schedule!r}: {problem}",
                      "use 5 fields: minute hour day-of-month month day-of-week, e.g. '0 6 * * *'", "cron")
    elif isinstance(schedule, dict):
        schedule = AssetSchedule(tuple(schedule["assets"]), bool(schedule.get("any", False)))

    dates: dict[str, datetime | None] = {"start_date": None, "end_date": None}
    for key in dates:
        if top.get(key) is not None and tz is not None:
            try:
                dates[key] = parse_datetime(str(top[key]), tz)
            except (ValueError, OverflowError) as exc:
                ctx.error(f"/{key}", f"{key} {top[key]!r} is not a valid date: {exc}", "write an existing date such as 2026-01-31", "date")
    if dates["start_date"] and dates["end_date"] and dates["start_date"] >= dates["end_date"]:
        ctx.error("/end_date", f"end_date {top['end_date']} is not after start_date {top['start_date']}",
                  "move end_date later or remove it", "date_range")

    hevo = HevoSettings(**{**S.defaults_of("#/properties/hevo"), **top.get("hevo", {})})
    td = {**S.defaults_of("#/properties/defaults"), **top.get("defaults", {})}
    defaults = TaskDefaults(
        retries=td["retries"], retry_delay=parse_duration(td["retry_delay"]), execution_timeout=_dur(td["execution_timeout"])
    )

    seen: dict[str, str] = {}  # id -> pointer of its first definition

    def claim(task_id: str, ptr: str) -> None:
        if task_id in seen:
            first = pos.at(seen[task_id])
            ctx.error(f"{ptr}/id", f"duplicate id {task_id!r} (first used at line {first[1]})",
                      "give every sync and step its own id", "duplicate_id")
        else:
            seen[task_id] = ptr

    sync_base = {**S.defaults_of("#/$defs/sync"), **top.get("sync_defaults", {})}
    syncs = []
    for i, raw in enumerate(top["syncs"]):
        claim(raw["id"], f"/syncs/{i}")
        merged = {**sync_base, **raw}
        syncs.append(
            Sync(
                id=merged["id"],
                pipeline_id=merged["pipeline_id"],
                action=merged["action"],
                resync_mode=merged["resync_mode"].upper(),
                job_type=merged["job_type"].upper() if merged["job_type"] else None,
                wait=merged["wait"],
                poll_interval=parse_duration(merged["poll_interval"]),
                timeout=_dur(merged["timeout"]),
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
        if "dbt" in raw:
            steps.append(Step(raw["id"], "dbt", dbt=_dbt(raw["dbt"], f"{ptr}/dbt", folder, ctx), after=after))
        else:
            steps.append(Step(raw["id"], "bash", bash=_bash(raw["bash"], f"{ptr}/bash", folder, ctx), after=after))

    if not syncs and not steps:
        ctx.error("", "the workflow has no syncs and no steps", "add a 'syncs:' list, and 'steps:' to run after them", "empty")

    ids = list(seen)
    for i, step in enumerate(steps):
        for j, ref in enumerate(step.after or ()):
            if ref not in seen:
                hint = did_you_mean(ref, ids) or f"known ids: {', '.join(ids)}"
                ctx.error(f"/steps/{i}/after/{j}", f"step {step.id!r} runs after unknown id {ref!r}", hint, "unknown_reference")
    step_index = {s.id: i for i, s in enumerate(steps)}
    cycle = find_cycle({s.id: [a for a in (s.after or ()) if a in step_index] for s in steps})
    if cycle:
        first = step_index[cycle[0]]
        ctx.error(f"/steps/{first}/after", f"dependency cycle: {' -> '.join(cycle)} (each runs after the next)",
                  "remove one of these 'after' entries", "cycle")

    if isinstance(schedule, AssetSchedule):
        for ptr, text in _step_strings(top["steps"]):
            name = _dated_variable(text)
            if name:
                ctx.error(ptr, f"'{{{{ {name} }}}}' is undefined in runs started by an Asset event "
                          "(Airflow 3 gives them no logical date)",
                          "use the run's start time instead, e.g. '{{ dag_run.run_after | ds }}'", "template_date")

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


def _step_strings(steps: list[dict[str, Any]]):
    """(pointer, text) of every string a step renders as a template: commands, env values, dbt vars."""

    def walk(value: Any, ptr: str):
        if isinstance(value, str):
            yield ptr, value
        elif isinstance(value, dict):
            for key, item in value.items():
                yield from walk(item, f"{ptr}/{key}")
        elif isinstance(value, list):
            for j, item in enumerate(value):
                yield from walk(item, f"{ptr}/{j}")

    for i, raw in enumerate(steps):
        for kind in ("bash", "dbt"):
            if kind in raw:
                yield from walk(raw[kind], f"/steps/{i}/{kind}")


def _clean(ctx: _Ctx, ptr: str, value: str, *, newline_ok: bool = False) -> str:
    """Refuse NUL everywhere and line breaks where a value lands on a command line."""
    if "\x00" in value:
        ctx.error(ptr, "the value contains a NUL character", "remove the \\0 escape", "unsafe_value")
    elif not newline_ok and ("\n" in value or "\r" in value):
        ctx.error(ptr, "the value contains a line break", "write it on one line; check for a '|' block or a \\n escape", "unsafe_value")
    return value


def _path(value: str | None, folder: Path) -> Path | None:
    if value is None:
        return None
    p = Path(value).expanduser()
    return p if p.is_absolute() else (folder / p).resolve()


def _env(raw: dict[str, Any] | None, ptr: str, ctx: _Ctx) -> dict[str, str]:
    out = {}
    for key, value in (raw or {}).items():
        text = value if isinstance(value, str) else (str(value).lower() if isinstance(value, bool) else str(value))
        out[key] = _clean(ctx, f"{ptr}/{key}", text)
    return out


def _dbt(raw: dict[str, Any], ptr: str, folder: Path, ctx: _Ctx) -> DbtStep:
    fields = {**S.defaults_of("#/$defs/dbt"), **raw}
    for key in ("select", "exclude"):
        if isinstance(raw.get(key), str):
            _clean(ctx, f"{ptr}/{key}", raw[key])
        else:
            for j, item in enumerate(raw.get(key) or ()):
                _clean(ctx, f"{ptr}/{key}/{j}", item)
    for key in ("selector", "target", "project_dir", "profiles_dir"):
        if raw.get(key) is not None:
            _clean(ctx, f"{ptr}/{key}", raw[key])
    return DbtStep(
        command=fields["command"],
        select=_strings(fields.get("select")),
        exclude=_strings(fields.get("exclude")),
        selector=fields.get("selector"),
        vars=dict(fields.get("vars") or {}),
        target=fields.get("target"),
        project_dir=_path(fields.get("project_dir"), folder),
        profiles_dir=_path(fields.get("profiles_dir"), folder),
        full_refresh=fields["full_refresh"],
        threads=fields.get("threads"),
        env=_env(fields.get("env"), f"{ptr}/env", ctx),
    )


def _bash(raw: str | dict[str, Any], ptr: str, folder: Path, ctx: _Ctx) -> BashStep:
    if isinstance(raw, str):
        return BashStep(command=_clean(ctx, ptr, raw, newline_ok=True))
    cwd = raw.get("cwd")
    if cwd is not None:
        _clean(ctx, f"{ptr}/cwd", cwd)
    return BashStep(
        command=_clean(ctx, f"{ptr}/command", raw["command"], newline_ok=True),
        env=_env(raw.get("env"), f"{ptr}/env", ctx),
        cwd=_path(cwd, folder),
    )
