"""What a task instance's state and try numbers mean on each line: user kills, restarts, retries vs clears, kill grace."""

from __future__ import annotations

from typing import Any

from hevo_dagfactory.provider.compat.names import conf
from hevo_dagfactory.provider.compat.version import AIRFLOW_3, TRIGGER_ON_KILL


# --- user kill of a deferred task before Airflow 3.3 -------------------------------------
async def task_left_deferred(trigger: Any) -> bool:
    """Whether a cancelled trigger's task instance is no longer DEFERRED (a user killed it).

    Why: Airflow 2.x has no trigger ``on_kill``; the triggerer cancels the trigger's asyncio task
    both when a user marks the deferred task failed/success or clears it AND when the triggerer
    restarts or hands the trigger to another triggerer. Only the first must cancel the Hevo job,
    and the task instance's state tells them apart: still DEFERRED means "restart, keep going".
    The lookup is a sync DB query, so it runs in a worker thread (``sync_to_async``).

    On Airflow >= 3.3 this always returns False: ``on_kill`` is called for exactly the user
    actions, so a ``CancelledError`` there never cancels anything. Unknown state (no task
    instance attached, lookup error) also returns False: cancelling a running sync by mistake
    is worse than leaving one running.
    """
    if TRIGGER_ON_KILL:
        return False
    ti = getattr(trigger, "task_instance", None)
    if ti is None:
        return False
    from asgiref.sync import sync_to_async

    def _state() -> Any:
        from airflow.models.taskinstance import TaskInstance as _TI

        found = _TI.get_task_instance(dag_id=ti.dag_id, run_id=ti.run_id, task_id=ti.task_id, map_index=ti.map_index)
        return None if found is None else found.state

    try:
        state = await sync_to_async(_state)()
    except Exception:  # noqa: BLE001 - unknown state: do not cancel
        return False
    if state is None:
        return True  # the task instance is gone (run deleted): nobody waits for the job
    return str(getattr(state, "value", state)) != "deferred"


def restarted_within_try(ti: Any) -> bool:
    """Whether this execution of a try follows an earlier, interrupted start of the same try.

    Why: Airflow 3 reschedules a task whose DAG cannot be loaded at start-up ("Dag not found during
    start up", e.g. a deploy in progress) and later runs ``execute`` again with the SAME try number,
    XComs cleared. For a deferred sync that resumes into such a start-up, the earlier execution has
    already started a Hevo job, so this execution must attach to it like a retry would. The server
    tells the task how many reschedules its try has had (``TIRunContext.task_reschedule_count``);
    our operator never asks for a reschedule itself, so any count means an interrupted start.
    Airflow 2 has no start-up reschedule (the task fails and retries with a new try number).
    """
    context = getattr(ti, "_ti_context_from_server", None)
    try:
        return int(getattr(context, "task_reschedule_count", 0) or 0) > 0
    except (TypeError, ValueError):
        return False


def retry_after_failed_try(ti: Any, retries: int | None) -> bool:
    """Whether this try follows a failed (or killed) try of the same task instance, in the same clear cycle.

    Why: a retry may adopt the COMPLETED job of the try that died after starting it, but a task a
    user cleared to force a re-sync must start a new one. Both arrive with ``try_number > 1``; what
    tells them apart is ``max_tries``, which Airflow sets to ``try_number + retries`` when a user
    clears a task instance (``clear_task_instances``, same formula on 2.11 and 3.3) and leaves alone
    when the scheduler retries a failed try. So the first try of the current cycle is
    ``max_tries - retries + 1`` (the formula Airflow's own sensors use on both lines to find the
    first try after a clear), and only a later try is a retry. A task cleared while RUNNING is
    killed and retried without a new cycle, so it counts as a retry (its job was cancelled by the
    kill when ours). Unknown (no ``max_tries``): False, i.e. no adoption; a second sync costs less
    than a re-sync silently skipped.
    """
    try:
        try_number = int(getattr(ti, "try_number", 1) or 1)
        max_tries = getattr(ti, "max_tries", None)
        if max_tries is None or int(max_tries) < 0:
            return False
        first_try_of_cycle = int(max_tries) - int(retries or 0) + 1
    except (TypeError, ValueError):
        return False
    return try_number > max(first_try_of_cycle, 1)


# --- how long a kill may take --------------------------------------------------------------
#: Seconds the framework lets a trigger's ``on_kill`` run before it gives up on it (Airflow 3.3:
#: ``[triggerer] on_kill_timeout``, default 30). Airflow 2.x has no trigger ``on_kill``; the same
#: bound is used for the cancel a killed trigger sends there.
TRIGGER_ON_KILL_TIMEOUT_S: float = float(conf.getint("triggerer", "on_kill_timeout", fallback=30))

if AIRFLOW_3:
    #: Seconds between the SIGTERM that runs a worker task's ``on_kill`` and the SIGKILL: Airflow 3's
    #: supervisor escalates after ``ActivitySubprocess.kill(escalation_delay=5.0)`` (not configurable).
    WORKER_KILL_GRACE_S: float = 5.0
else:  # pragma: no cover - Airflow 2.x: the LocalTaskJob waits [core] killed_task_cleanup_time after SIGTERM
    WORKER_KILL_GRACE_S = float(conf.getint("core", "killed_task_cleanup_time", fallback=60))
