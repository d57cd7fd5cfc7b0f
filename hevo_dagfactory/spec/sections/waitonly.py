"""The keys of a wait-only sync (``action: wait``): which ones make no sense, and ``completed_after``.

Why here: a wait-only sync starts nothing, so keys about starting (``resync_mode``, ``if_running``)
and ``wait: none`` (start and succeed at once) are mistakes worth a clear error, and
``completed_after`` means nothing on a sync that starts its own job. Only keys written on the sync
itself are refused: ``sync_defaults`` apply to every sync, so there they simply do not apply.
A ``completed_after`` without ``{{`` is a fixed time: it must parse, and is stored with its offset
(read in the workflow's time zone when it has none); a template is left for Airflow to render.
"""

from __future__ import annotations

from typing import Any

from hevo_dagfactory.spec.sections.state import BuildState
from hevo_dagfactory.spec.values import parse_datetime, zone

WAIT = "wait"
#: Keys a wait-only sync refuses when written on the sync, with what to do instead.
NOT_FOR_WAIT = {
    "resync_mode": "a wait-only sync starts no resync; remove resync_mode, or use action: resync",
    "if_running": "a wait-only sync starts nothing, so there is nothing to attach to; remove if_running",
}


def wait_only_keys(state: BuildState, ptr: str, raw: dict[str, Any], merged: dict[str, Any]) -> str | None:
    """Check a sync's action-specific keys; returns ``completed_after`` as the model keeps it."""
    if merged["action"] != WAIT:
        if "completed_after" in raw:
            state.error(
                f"{ptr}/completed_after",
                f"completed_after applies to action: wait only (this sync's action is {merged['action']})",
                "remove completed_after, or set action: wait to wait for a job Hevo runs on its own schedule",
                "not_for_action",
                key=True,
            )
        return None
    for key, hint in NOT_FOR_WAIT.items():
        if key in raw:
            state.error(f"{ptr}/{key}", f"{key} makes no sense with action: wait", hint, "not_for_action", key=True)
    if merged["wait"] == "none":
        where = f"{ptr}/wait" if "wait" in raw else "/sync_defaults/wait"
        state.error(
            where,
            "wait: none makes no sense with action: wait (it would start nothing and wait for nothing)",
            "use wait: deferrable or wait: poll for this sync",
            "not_for_action",
        )
    return _reference(
        state,
        f"{ptr}/completed_after" if "completed_after" in raw else "/sync_defaults/completed_after",
        merged.get("completed_after"),
    )


def _reference(state: BuildState, ptr: str, value: str | None) -> str | None:
    if value is None or "{{" in value:
        return value
    try:
        tz = zone(state.fields.get("timezone", "UTC"))
    except ValueError:
        return value  # the unknown time zone is reported already
    try:
        return parse_datetime(value, tz).isoformat()
    except (ValueError, OverflowError):
        state.error(
            ptr,
            f"completed_after {state.q(ptr, value)} is neither a template nor a date and time",
            "write a template such as '{{ data_interval_start }}' or a time such as 2026-01-31T06:00:00+01:00",
            "date",
        )
        return None
