"""The deadline callback: Airflow 3.3's triggerer awaits it when a run's deadline passed.

The factory names it in the DAG's ``DeadlineAlert`` (``compat.deadlines.CALLBACK_PATH``) with plain
JSON ``kwargs``; Airflow adds ``context`` (the run as ``DAGRunResponse`` JSON and the deadline's time).
"""

from __future__ import annotations

from typing import Any

from hevo_dagfactory.provider.notify.message import build
from hevo_dagfactory.provider.notify.notifier import send_async


async def deadline_missed(
    *, workflow: str, when: str, targets: list[dict[str, Any]], context: dict[str, Any] | None = None
) -> str:
    """Tell every target that ``workflow``'s run missed its deadline (``when``: ``by 07:00 (Europe/Berlin)``)."""
    context = context or {}
    at = (context.get("deadline") or {}).get("deadline_time")
    detail = when + (f"; it passed at {at}" if at else "")
    message = build("deadline", workflow, context, detail=detail)
    await send_async(targets, message, context)
    return f"sent to {len(targets)} target(s)"
