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
    from hevo_dagfactory.spec.model import Sync


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="workflow file(s)")
    parser.add_argument("--env", default=None, help="environment overlay to apply (default: $HEVO_DAGFACTORY_ENV)")


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


def render(workflow) -> str:
    """The text ``show`` prints for one workflow (also used by the demo and tests)."""
    from hevo_dagfactory.spec.graph import layers
    from hevo_dagfactory.spec.kinds import step_kind
    from hevo_dagfactory.spec.model import AssetSchedule

    w = workflow
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
        f"  task defaults: retries {d.retries}, retry_delay {_dur(d.retry_delay)}, execution_timeout {_dur(d.execution_timeout)}"
    )
    if w.syncs:
        lines.append(f"  emits: {', '.join(w.emitted_assets())}")

    describe: dict[str, str] = {}
    upstream: dict[str, tuple[str, ...]] = {}
    for s in w.syncs:
        describe[s.id] = _sync_line(s)
        upstream[s.id] = ()
    for st in w.steps:
        describe[st.id] = step_kind(st.kind).show(st.body)
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


def run(args: argparse.Namespace) -> int:
    from hevo_dagfactory.spec.errors import ConfigErrors
    from hevo_dagfactory.spec.loader import load_file

    status = 0
    for i, path in enumerate(args.files):
        try:
            workflow = load_file(path, env=args.env)
        except ConfigErrors as exc:
            for err in exc.errors:
                print(err, file=sys.stderr)
            status = 1
            continue
        if i:
            print()
        print(render(workflow))
    return status
