"""Which try of a task instance this is, and whether the Hevo job it waits for is its own.

Why one module: three decisions hang on it and must agree.

- **Attach or start.** Any try after the first (a retry, a user's clear, a restart within the
  try) attaches to a job of the pipeline that is still running: an earlier execution may have
  started it, and a second sync must never run alongside.
- **Adopt a COMPLETED job.** Only a retry after a failed or killed try, or a restart within the
  try, adopts a job that already COMPLETED since the DAG run started (our earlier execution's
  job succeeded at Hevo but the task died). A task a user cleared starts a new sync: clearing a
  finished sync task is how users ask for a re-sync (``compat.retry_after_failed_try``).
- **Cancel on timeout or kill.** Only a job this task instance owns is cancelled: one it
  started, or one a later try of it adopted that was created since the DAG run started. A job
  attached through ``if_running="attach"`` on a first try (a Hevo-scheduled sync, another DAG's
  job) is left running.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hevo_dagfactory.provider.compat import restarted_within_try, retry_after_failed_try

FIRST, RETRY, CLEARED, RESTARTED = "first", "retry", "cleared", "restarted"


@dataclass(frozen=True)
class TryKind:
    """``first`` | ``retry`` (after a failed/killed try) | ``cleared`` (by a user) | ``restarted`` (same try)."""

    name: str

    @property
    def resumed(self) -> bool:
        """An earlier execution of this task instance may have started a job that still runs."""
        return self.name != FIRST

    @property
    def adopts_completed(self) -> bool:
        """An earlier execution's job that already COMPLETED counts as this try's result."""
        return self.name in (RETRY, RESTARTED)


def which_try(ti: Any, retries: int | None) -> TryKind:
    """Classify the running try from what the task instance carries (see the module docstring)."""
    if restarted_within_try(ti):
        return TryKind(RESTARTED)
    try:
        try_number = int(getattr(ti, "try_number", 1) or 1)
    except (TypeError, ValueError):
        try_number = 1
    if try_number <= 1:
        return TryKind(FIRST)
    return TryKind(RETRY if retry_after_failed_try(ti, retries) else CLEARED)


def owns_job(
    *, attached: bool, kind: TryKind, created_ms: int | None, run_started_ms: int | None, skew_ms: int
) -> tuple[bool, str]:
    """Whether this task instance may cancel the job, and why (for the log)."""
    if not attached:
        return True, "started by this task"
    if not kind.resumed:
        return False, "already running when this task started (if_running=attach): not this task's to cancel"
    if created_ms is not None and run_started_ms is not None and created_ms >= run_started_ms - skew_ms:
        return True, f"adopted by this {kind.name} try from an earlier execution of this task"
    return False, (
        f"found running by this {kind.name} try but not created during this DAG run: not this task's to cancel"
    )
