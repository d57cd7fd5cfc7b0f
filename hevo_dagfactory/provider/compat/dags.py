"""What a DAG means on each line: ``dag_run.run_after`` on 2.x, cron schedules, the DagBag's own checks."""

from __future__ import annotations

from typing import Any

from hevo_dagfactory.provider.compat.names import AirflowException
from hevo_dagfactory.provider.compat.version import AIRFLOW_3


# --- templates: ``dag_run.run_after`` on Airflow 2.x -------------------------------------
def _give_2x_dag_runs_run_after() -> None:
    """Let ``{{ dag_run.run_after }}`` render on Airflow 2.x as it does on 3.x.

    Why: the workflow format recommends ``{{ dag_run.run_after | ds }}`` (docs/format.md), because
    an Asset-triggered run has no logical date on Airflow 3. Airflow 2.x DAG runs have no
    ``run_after``, and its StrictUndefined templates would fail the task. On 2.x every run has a
    logical date, and with the cron/manual/Dataset timetables we build it IS the moment the run
    became due, i.e. what 3.x calls ``run_after``; so 2.x gets a read-only alias. The one change
    this module makes beyond imports, only on 2.x, and never over an existing attribute.
    """
    from airflow.models.dagrun import DagRun as _DagRun

    if not hasattr(_DagRun, "run_after"):
        _DagRun.run_after = property(lambda self: self.execution_date)  # type: ignore[attr-defined]


if not AIRFLOW_3:  # pragma: no cover - Airflow 2.x
    _give_2x_dag_runs_run_after()


# --- what a cron schedule means ----------------------------------------------------------
_CRON_TRIGGER_TIMETABLE: Any = None


def schedule_argument(schedule: Any, timezone_name: str) -> Any:
    """The DAG ``schedule`` for a workflow's cron/preset string, with the same meaning on both lines.

    Why a timetable object, not the string: a cron string means "one run at each cron time, in the
    workflow's ``timezone``". Given as a string, Airflow interprets it in the DAG's own timezone,
    which it takes from ``start_date`` (UTC without one), so ``timezone: Europe/Berlin`` with no
    ``start_date`` ran at UTC times; and the timetable class depends on the line (2.x: a run at
    the END of each interval, ``CronDataIntervalTimetable``; 3.x: ``CronTriggerTimetable`` unless
    ``[scheduler] create_cron_data_intervals`` says otherwise). So every cron/preset string
    becomes ``CronTriggerTimetable(schedule, timezone=timezone_name)`` explicitly. ``None``,
    ``@once``, ``@continuous`` and Asset conditions pass through unchanged.
    """
    if not isinstance(schedule, str) or schedule in ("@once", "@continuous"):
        return schedule
    global _CRON_TRIGGER_TIMETABLE
    if _CRON_TRIGGER_TIMETABLE is None:  # resolved once: a failing import is not cached by Python
        try:  # Airflow 3.x
            from airflow.sdk import CronTriggerTimetable
        except ImportError:  # pragma: no cover - Airflow 2.x
            from airflow.timetables.trigger import CronTriggerTimetable  # type: ignore[no-redef]
        _CRON_TRIGGER_TIMETABLE = CronTriggerTimetable
    import pendulum  # Airflow's own timezone type on both lines (3.x keeps a str as a str)

    return _CRON_TRIGGER_TIMETABLE(schedule, timezone=pendulum.timezone(timezone_name))


def needs_start_date(schedule: Any, start_date: Any) -> bool:
    """Whether this line refuses a DAG with this ``schedule`` for lack of a ``start_date``.

    Airflow 2.x raises "DAG is missing the start_date parameter" for any schedule (cron, preset or
    Datasets) without one; Airflow 3 schedules such a DAG from now. The factory asks first, so the
    user reads what to add instead of a constructor error.
    """
    return not AIRFLOW_3 and start_date is None and bool(schedule)


def retry_backoff(on: bool) -> Any:
    """The operator's ``retry_exponential_backoff`` for ``retry_exponential_backoff: true|false``.

    Why: Airflow 2.11 takes a bool (the wait doubles after each try); 3.3 takes a multiplier, where
    ``True`` counts as 1.0 and silently turns the backoff OFF. The workflow format keeps the 2.x
    meaning, so on 3.3 ``true`` becomes ``2.0`` (doubling, as on 2.11) and ``false`` ``0``.
    """
    if AIRFLOW_3:
        return 2.0 if on else 0
    return bool(on)  # pragma: no cover - Airflow 2.x


def check_dag_like_dagbag(dag: Any, *, structure: bool = True) -> bool:
    """Run on ``dag`` the checks Airflow's DagBag runs before bagging it; False if a policy skips it.

    Why: Airflow records a rejected DAG as an import error against the ``.py`` file that made it,
    and in a running Airflow 3.3 that marks every DAG of the file stale. The hevo-dagfactory
    loader makes many DAGs from one file, so it runs these checks per DAG first and shows a
    rejected one as a placeholder. The checks, in the DagBag's order (3.3: ``DagBag.process_file``
    and ``bag_dag`` in airflow/dag_processing/dagbag.py; 2.11: ``_process_modules`` and
    ``_bag_dag`` in airflow/models/dagbag.py): ``dag.validate()`` (on 2.x it also checks task
    executors; 3.x does that in ``_validate_executor_fields``), the cycle check, the cluster
    ``dag_policy``, then per task the end_from_trigger-with-listeners rule and ``task_policy``.

    Raises what the DagBag would raise (``AirflowClusterPolicyViolation`` from a policy; any other
    exception a policy raises is wrapped in ``AirflowClusterPolicyError``, as the DagBag does).
    Returns False for ``AirflowClusterPolicySkipDag`` (the DagBag drops such a DAG silently).
    The DagBag runs the policies again when it bags the DAG, so a policy that changes DAGs (sets a
    queue, adds a tag) must be idempotent, which Airflow already expects of a re-parsed file.

    ``structure=False`` skips ``validate()`` and the cycle check, which depend only on the DAG's
    own structure: for a DAG replayed from arguments that already passed them with this Airflow
    (the loader's build plans). The executor check and the policies depend on the configuration
    and always run.
    """
    tasks = list(dag.tasks)
    _check_structure(dag, tasks, structure)
    return _apply_policies(dag, tasks)


def _check_structure(dag: Any, tasks: list[Any], structure: bool) -> None:
    """``validate()``, the task-executor check and the cycle check, as this line's DagBag runs them."""
    if structure or not AIRFLOW_3:  # 2.x: validate() also holds the executor check
        dag.validate()
    if AIRFLOW_3 and any(getattr(t, "executor", None) for t in tasks):
        from airflow.dag_processing.dagbag import _validate_executor_fields

        _validate_executor_fields(dag)  # no bundle name at parse time: a team-less lookup
    if structure and AIRFLOW_3:
        dag.check_cycle()
    elif structure:  # pragma: no cover - Airflow 2.x
        from airflow.utils.dag_cycle_tester import check_cycle

        check_cycle(dag)


def _apply_policies(dag: Any, tasks: list[Any]) -> bool:
    """The cluster ``dag_policy`` and, per task, the listener rule and ``task_policy``; False = skip the DAG."""
    from airflow import settings
    from airflow.exceptions import (
        AirflowClusterPolicyError,
        AirflowClusterPolicySkipDag,
        AirflowClusterPolicyViolation,
    )

    try:
        settings.dag_policy(dag)
        for task in tasks:
            if getattr(task, "end_from_trigger", False):
                from airflow.listeners.listener import get_listener_manager

                if get_listener_manager().has_listeners:
                    raise AirflowException(
                        f"Listeners are not supported with end_from_trigger=True for deferrable operators "
                        f"(task {task.task_id} in DAG {dag.dag_id}); set end_from_trigger=False to use listeners."
                    )
            settings.task_policy(task)
    except AirflowClusterPolicySkipDag:
        return False
    except AirflowClusterPolicyViolation:
        raise
    except Exception as exc:
        raise AirflowClusterPolicyError(exc) from exc
    return True
