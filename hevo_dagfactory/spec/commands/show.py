"""``hevo-dagfactory show FILE...``: print a workflow's task graph as text.

Why: reviewers of a YAML change want to see what Airflow will run — which syncs run
in parallel, what waits for what, which assets are emitted — without starting Airflow.
"""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta
from typing import TYPE_CHECKING

from hevo_dagfactory.spec.errors import display_path

if TYPE_CHECKING:
    from hevo_dagfactory.spec.model import NotifyTarget, Sync, TaskControls, Workflow


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from hevo_dagfactory.spec.commands.folder_args import add_folder_arguments

    parser.add_argument("files", nargs="+", metavar="FILE", help="workflow file(s)")
    parser.add_argument("--env", default=None, help="environment overlay to apply (default: $HEVO_DAGFACTORY_ENV)")
    add_folder_arguments(parser)


def _dur(value: timedelta | None) -> str:
    if value is None:
        return "none"
    total = int(value.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if total >= size:
            parts.append(f"{total // size}{unit}")
            total %= size
    return "".join(parts) or "0s"


def _sync_line(s: Sync) -> str:
    """A sync's line: what it starts (or, for ``action: wait``, which job it waits for) and how it waits."""
    extra = (
        f"wait {s.wait}, poll {_dur(s.poll_interval)}, timeout {_dur(s.timeout)}, "
        f"with failures: {s.on_completed_with_failures}"
    )
    if s.action == "wait":
        after = s.completed_after or "the data interval end"
        job = f"a {s.job_type or 'INCREMENTAL'} job Hevo runs, completing after {after}"
        return f"hevo wait for pipeline {s.pipeline_id}: {job}; starts nothing ({extra})"
    action = s.action if s.action == "sync_now" else f"resync ({s.resync_mode})"
    return f"hevo {action} pipeline {s.pipeline_id} ({extra}, if running: {s.if_running})"


def render(workflow: Workflow) -> str:
    """The text ``show`` prints for one workflow (also used by the demo and tests)."""
    from hevo_dagfactory.spec.graph import layers
    from hevo_dagfactory.spec.kinds import step_kind

    w = workflow
    lines = _header(w) + _operating(w)
    if w.syncs:
        lines.append(f"  emits: {', '.join(w.emitted_assets())}")

    describe: dict[str, str] = {}
    upstream: dict[str, tuple[str, ...]] = {}
    for s in w.syncs:
        describe[s.id] = _sync_line(s) + _controls(s.effective_controls())
        upstream[s.id] = ()
    for st in w.steps:
        describe[st.id] = step_kind(st.kind).show(st.body) + _controls(st.controls)
        upstream[st.id] = w.upstream_of(st)
    order = [s.id for s in w.syncs] + [s.id for s in w.steps]
    width = max((len(i) for i in order), default=0)
    lines.append("")
    lines.append("tasks (level: tasks on one level may run in parallel):")
    for level, ids in enumerate(layers(order, upstream), start=1):
        for task_id in ids:
            after = f"  <- after {', '.join(upstream[task_id])}" if upstream[task_id] else ""
            lines.append(f"  [{level}] {task_id.ljust(width)}  {describe[task_id]}{after}")
    return "\n".join(lines)


def _header(w: Workflow) -> list[str]:
    """Identity, schedule, owner and Hevo settings."""
    from hevo_dagfactory.spec.model import AssetSchedule

    lines = [f"{w.dag_id}  ({display_path(w.source)})"]
    if w.description:
        lines.append(f"  {w.description}")
    if isinstance(w.schedule, AssetSchedule):
        sched = ("any of " if w.schedule.any else "all of ") + ", ".join(w.schedule.uris)
        sched = f"on asset updates: {sched}"
    else:
        sched = w.schedule or "manual only (schedule: null)"
    span = ""
    if w.start_date:
        span = f", from {w.start_date.isoformat()}"
    if w.end_date:
        span += f" until {w.end_date.isoformat()}"
    lines.append(f"  schedule: {sched} [{w.timezone}]{span}")
    lines.append(f"  owner: {w.owner}; tags: {', '.join(w.tags) or '-'}; env: {w.environment or '-'}")
    lines.append(f"  hevo: region {w.hevo.region}, connection {w.hevo.connection_id}")
    d = w.defaults
    lines.append(
        f"  task defaults: retries {d.retries}, retry_delay {_dur(d.retry_delay)}, "
        f"execution_timeout {_dur(d.execution_timeout)}{_controls(d.controls)}"
    )
    return lines


def _operating(w: Workflow) -> list[str]:
    """Run limits, notifications, the deadline, run parameters and where the defaults came from."""
    runs = f"  runs: max_active_runs {w.max_active_runs}, max_active_tasks {w.max_active_tasks or 'Airflow default'}"
    lines = [runs + f", dagrun_timeout {_dur(w.dagrun_timeout)}"]
    for t in w.notify:
        lines.append(f"  notify {_target(t)} on {', '.join(t.on)}")
    if w.deadline is not None:
        dl = w.deadline
        when = f"by {dl.by} [{dl.timezone}]" if dl.by else f"{_dur(dl.after)} after the run is queued"
        lines.append(f"  deadline: {when}; tell {'; '.join(_target(t) for t in dl.notify)}")
    for name in w.params.names():
        lines.append(f"  param {_param(w, name)}")
    if w.origin is not None and w.origin.defaults_files:
        lines.append(f"  defaults from: {' < '.join(w.origin.defaults_files)}")
    if not w.show_source:
        lines.append("  DAG docs: without the source file (show_source: false)")
    return lines


def _target(t: NotifyTarget) -> str:
    if t.kind == "slack":
        return f"slack via connection {t.connection_id}"
    sender = f" from {t.from_email}" if t.from_email else ""
    return f"email {', '.join(t.to)}{sender} via connection {t.connection_id}"


def _param(w: Workflow, name: str) -> str:
    from hevo_dagfactory.spec.model import RESYNC_CHOICES

    if name == "resync":
        return f"resync (built-in): {' | '.join(RESYNC_CHOICES)}, default off: run the syncs as resyncs"
    if name == "dbt_full_refresh":
        return "dbt_full_refresh (built-in): boolean, default false: add --full-refresh to the dbt steps"
    p = next(p for p in w.params.user if p.name == name)
    parts = [p.type]
    if p.enum is not None:
        parts.append("one of " + ", ".join(map(repr, p.enum)))
    if p.minimum is not None or p.maximum is not None:
        parts.append(
            f"range {p.minimum if p.minimum is not None else '-inf'}..{p.maximum if p.maximum is not None else 'inf'}"
        )
    parts.append(f"default {p.default!r}" if p.has_default else "no default (required in the trigger form)")
    return f"{name}: {', '.join(parts)}" + (f" ({p.description})" if p.description else "")


def _controls(c: TaskControls) -> str:
    """``; pool x (2 slots), queue q, ...`` for the controls that are set, else ''."""
    shown = []
    for key, value in c.items():
        shown.append(f"{key} {_dur(value) if key == 'max_retry_delay' else value}")
    return ("; " + ", ".join(shown)) if shown else ""


def run(args: argparse.Namespace) -> int:
    from hevo_dagfactory.spec.errors import ConfigErrors
    from hevo_dagfactory.spec.loader import load_file

    status = 0
    for i, path in enumerate(args.files):
        try:
            workflow = load_file(path, env=args.env, root=args.root)
        except ConfigErrors as exc:
            for err in exc.errors:
                print(err, file=sys.stderr)
            status = 1
            continue
        if i:
            print()
        print(render(workflow))
    return status
