"""``syncs:`` (with ``sync_defaults:`` under each) → ``Sync`` models.

``action`` stays as written; ``resync_mode`` and ``job_type`` are upper-cased for the Hevo API. A
duration's error points at the sync's own key, or at ``sync_defaults`` when the value came from there.
"""

from __future__ import annotations

from typing import Any

from hevo_dagfactory.spec import schema as S
from hevo_dagfactory.spec.model import Sync, TaskControls, pipeline_pool
from hevo_dagfactory.spec.sections.controls import task_controls
from hevo_dagfactory.spec.sections.state import BuildState
from hevo_dagfactory.spec.sections.waitonly import wait_only_keys


def syncs(state: BuildState) -> dict[str, Any]:
    base = {**S.defaults_of("#/$defs/sync"), **state.top.get("sync_defaults", {})}
    out = []
    for i, raw in enumerate(state.top["syncs"]):
        ptr = f"/syncs/{i}"
        state.claim(raw["id"], ptr)
        out.append(_sync(state, ptr, raw, {**base, **raw}))
    return {"syncs": tuple(out)}


def _sync(state: BuildState, ptr: str, raw: dict[str, Any], merged: dict[str, Any]) -> Sync:
    def where(key: str) -> str:
        return f"{ptr}/{key}" if key in raw else f"/sync_defaults/{key}"

    return Sync(
        id=merged["id"],
        pipeline_id=merged["pipeline_id"],
        action=merged["action"],
        resync_mode=merged["resync_mode"].upper(),
        job_type=merged["job_type"].upper() if merged["job_type"] else None,
        wait=merged["wait"],
        poll_interval=state.required_duration(where("poll_interval"), merged["poll_interval"]),
        timeout=state.duration(where("timeout"), merged["timeout"], null_means="the 7-day default"),
        on_completed_with_failures=merged["on_completed_with_failures"],
        if_running=merged["if_running"],
        completed_after=wait_only_keys(state, ptr, raw, merged),
        controls=_controls(state, ptr, raw, merged, where),
        exclusive=merged["exclusive"],
    )


def _controls(state: BuildState, ptr: str, raw: dict[str, Any], merged: dict[str, Any], where: Any) -> TaskControls:
    """The sync's controls; ``exclusive`` brings its own one-slot pool, so ``pool``/``pool_slots`` cannot join it."""
    controls = task_controls(state, merged, where)
    if merged["exclusive"]:
        for key in ("pool", "pool_slots"):
            if key in merged:
                state.error(
                    where(key),
                    f"'{key}' cannot be combined with 'exclusive: true' (the sync runs in the one-slot pool "
                    f"{pipeline_pool(merged['pipeline_id'])!r})",
                    f"remove '{key}', or set 'exclusive: false' to use your own pool",
                    "exclusive_pool",
                )
    return controls
