"""The pre-flight check: one GET of the pipeline before a sync-now/resync POST.

Why: Hevo refuses a sync on a pipeline that is not INITIALIZED (docs: "Pipeline must be in the
Initialized state"), and its Airflow guide asks for pipelines on Sync On Demand. Reading the
pipeline first turns a paused pipeline into a failure that says so and how to fix it, with no POST,
instead of a bare 400. The rules (pipeline statuses from hevo-api.md §3, MED confidence):

- paused or disabled (DISABLED, DISABLING, PAUSED...), being deleted or deleted, or a failed
  transition (INITIALIZE_FAILED, ENABLE_FAILED, RESTART_FAILED...): fail at once, no POST;
- settling (INITIALIZING, ENABLING, RESTARTING): look again up to the discovery attempts (Hevo's
  provider waits while RESTARTING), then fail if it has not settled;
- INITIALIZED (or ACTIVE, the classic spelling): go on; scheduled by Hevo rather than Sync On
  Demand: go on with a warning (a scheduled run that meets our sync is skipped by Hevo);
- anything else, and a pipeline answer without a status: go on (tolerant; if Hevo refuses, the POST
  says why);
- the GET itself failing (after the client's retries, inside the same rate budget): go on and say so
  in the log; an unreachable pre-flight never blocks a sync that would work.

:func:`assess` is pure, so ``validate --online`` judges a pipeline by the same rules.
"""

from __future__ import annotations

import logging
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

from . import endpoints as ep
from .errors import HevoError, HevoPipelineNotReady
from .flow import Op, Sleep

log = logging.getLogger(__name__)

PAUSED_STATUSES = frozenset({"DISABLED", "DISABLING", "PAUSED", "PAUSING"})
GONE_STATUSES = frozenset({"DELETING", "DELETED"})
FAILED_STATUSES = frozenset({"INITIALIZE_FAILED", "ENABLE_FAILED", "DISABLE_FAILED", "RESTART_FAILED", "DELETE_FAILED"})
SETTLING_STATUSES = frozenset({"INITIALIZING", "ENABLING", "RESTARTING"})
READY_STATUSES = frozenset({"INITIALIZED", "ACTIVE"})
ON_DEMAND = "ON_DEMAND"


@dataclass(frozen=True)
class Assessment:
    """What a pipeline's answer means for a sync: ``problem`` blocks it, ``settling`` may pass, ``notes`` warn."""

    status: str | None
    problem: str | None = None
    settling: bool = False
    scheduled: str | None = None  # a sentence about Hevo's own schedule, when the pipeline is not on Sync On Demand
    notes: tuple[str, ...] = field(default=())


def pipeline_status(pipeline: Any) -> str | None:
    """The pipeline's status, upper-cased (``status`` or ``state``); None when the answer has none."""
    if not isinstance(pipeline, dict):
        return None
    value = pipeline.get("status", pipeline.get("state"))
    if not isinstance(value, str):
        return None
    return value.strip().upper() or None


def schedule_note(pipeline: Any, pipeline_id: Any) -> str | None:
    """A sentence when Hevo itself schedules the pipeline (``schedule.sync_type`` other than ON_DEMAND)."""
    schedule = pipeline.get("schedule") if isinstance(pipeline, dict) else None
    if not isinstance(schedule, dict):
        return None
    sync_type = str(schedule.get("sync_type") or schedule.get("type") or "").strip().upper()
    if not sync_type or sync_type == ON_DEMAND:
        return None
    minutes = schedule.get("frequency_minutes")
    every = f" every {minutes} minutes" if isinstance(minutes, (int, float)) and not isinstance(minutes, bool) else ""
    return (
        f"Hevo pipeline {pipeline_id} is scheduled by Hevo ({sync_type}{every}), not on Sync On Demand as Hevo's "
        "Airflow guide asks: Hevo also runs it by itself, and a scheduled run that meets this sync is skipped. "
        "Set the pipeline's sync frequency to Sync On Demand in the Hevo UI if Airflow should be the only scheduler."
    )


def assess(pipeline: Any, pipeline_id: Any, action: str = "sync") -> Assessment:
    """Judge a pipeline answer by the rules of the module docstring (pure: no request, no log)."""
    status = pipeline_status(pipeline)
    what = f"Hevo pipeline {pipeline_id}"
    scheduled = schedule_note(pipeline, pipeline_id)
    if status in PAUSED_STATUSES:
        return Assessment(
            status,
            f"{what} is {status}{'' if status.startswith('PAUS') else ' (paused)'}, so Hevo would refuse the "
            f"{action}. Resume it in the Hevo UI (the "
            f"pipeline's Resume/Enable action) or with POST /api/v1/pipelines/{pipeline_id}/actions/enable, then "
            "run the sync again.",
            scheduled=scheduled,
        )
    if status in GONE_STATUSES:
        return Assessment(
            status,
            f"{what} is {status} in Hevo. Check the pipeline id (the number in the pipeline's Hevo URL) and the "
            "region; a deleted pipeline cannot sync.",
        )
    if status in FAILED_STATUSES:
        return Assessment(
            status,
            f"{what} is {status} in Hevo, a state in which it cannot sync. Open the pipeline in the Hevo UI, fix what "
            "it reports (source or destination credentials, permissions), and run the sync again once it is "
            "INITIALIZED.",
            scheduled=scheduled,
        )
    if status in SETTLING_STATUSES:
        return Assessment(
            status,
            f"{what} is still {status} in Hevo; it needs to be INITIALIZED before it can sync. Wait until the Hevo UI "
            "shows it ready (or fix what it reports), then run the sync again.",
            settling=True,
            scheduled=scheduled,
        )
    notes = () if status is None or status in READY_STATUSES else (_unknown_status_note(what, status),)
    return Assessment(status, scheduled=scheduled, notes=notes)


def _unknown_status_note(what: str, status: str) -> str:
    return (
        f"{what} reports status {status}; Hevo documents that a sync needs INITIALIZED. Going on; if Hevo refuses, "
        "its answer says why."
    )


def check_pipeline(
    pipeline_id: Any, action: str, attempts: int, interval_s: float
) -> Generator[Op, Any, dict[str, Any] | None]:
    """The pre-flight flow: the pipeline's answer, or None when it could not be read (logged).

    Raises :class:`HevoPipelineNotReady` for a pipeline that cannot sync (no POST is made).
    """
    verdict: Assessment | None = None
    for attempt in range(max(1, attempts)):
        if attempt:
            yield Sleep(interval_s)
        try:
            pipeline = yield ep.get_pipeline(pipeline_id)
        except HevoError as exc:
            log.warning(
                "Pre-flight check of Hevo pipeline %s failed, going on with the %s without it: %s",
                pipeline_id,
                action,
                exc,
            )
            return None
        verdict = assess(pipeline, pipeline_id, action)
        if not verdict.settling:
            break
        log.info("Hevo pipeline %s is %s; looking again in %.1fs.", pipeline_id, verdict.status, interval_s)
    assert verdict is not None
    if verdict.problem:
        raise HevoPipelineNotReady(verdict.problem, pipeline_status=verdict.status)
    for note in (verdict.scheduled, *verdict.notes):
        if note:
            log.warning("%s", note)
    return pipeline if isinstance(pipeline, dict) else None
