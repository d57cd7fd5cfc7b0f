"""Every import and call that differs between Airflow 2.11 and 3.3, in one place.

Why: nothing else in the package may branch on the Airflow version (tests/test_layers.py).
Names are imported newest-first with a fallback (maintainers prefer try/except over version
checks); where behaviour differs rather than a name, a function here hides it
(``schedule_argument``, ``task_left_deferred``, ``stack_profile``, ``sync_dag_bag_to_db``) and
the few facts callers need are flags (``AIRFLOW_3``, ``TRIGGER_ON_KILL``, ``ASSET_WORD``) and the
kill grace periods (``TRIGGER_ON_KILL_TIMEOUT_S``, ``WORKER_KILL_GRACE_S``).
The table of differences is docs/compatibility.md. Import-time work is the imports plus, on
2.x only, one read-only ``DagRun.run_after`` alias (see ``_give_2x_dag_runs_run_after``).
"""

from __future__ import annotations

from typing import Any

from airflow import __version__ as _AIRFLOW_VERSION

# --- which Airflow line this is (the ONLY version check in the package) -----------------
AIRFLOW_VERSION: str = _AIRFLOW_VERSION
"""The installed Airflow version string, e.g. ``"2.11.2"`` or ``"3.3.2"``."""


def _version_tuple(text: str) -> tuple[int, int]:
    parts = []
    for piece in text.split(".")[:2]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits or 0))
    return (parts + [0, 0])[0], (parts + [0, 0])[1]


AIRFLOW_MAJOR_MINOR: tuple[int, int] = _version_tuple(_AIRFLOW_VERSION)
AIRFLOW_3: bool = AIRFLOW_MAJOR_MINOR >= (3, 0)
"""True on Airflow 3.x (Task SDK, Assets, api-server + dag-processor); False on 2.10/2.11."""
TRIGGER_ON_KILL: bool = AIRFLOW_MAJOR_MINOR >= (3, 3)
"""Airflow >= 3.3 calls ``async on_kill`` of a trigger whose deferred task a user killed."""
ASSET_WORD: str = "Asset" if AIRFLOW_3 else "Dataset"
"""What this Airflow line calls a data-aware scheduling object (for messages and docs)."""

# --- operators, sensors, hooks, links, context ---------------------------------------
try:  # Airflow 3.x: the Task SDK
    from airflow.sdk import (
        BaseHook,
        BaseOperator,
        BaseOperatorLink,
        BaseSensorOperator,
        Context,
        PokeReturnValue,
    )
except ImportError:  # pragma: no cover - Airflow 2.10/2.11
    from airflow.hooks.base import BaseHook  # type: ignore[no-redef]
    from airflow.models import BaseOperator  # type: ignore[no-redef]
    from airflow.models.baseoperatorlink import BaseOperatorLink  # type: ignore[no-redef]
    from airflow.sensors.base import BaseSensorOperator, PokeReturnValue  # type: ignore[no-redef]
    from airflow.utils.context import Context  # type: ignore[no-redef]

# --- DAG authoring names the factory needs (DAG, assets, parsing context, BashOperator) ----
try:  # Airflow 3.x
    from airflow.sdk import DAG, Asset, AssetAll, AssetAny, get_parsing_context
except ImportError:  # pragma: no cover - Airflow 2.10/2.11
    from airflow.datasets import Dataset as Asset  # type: ignore[no-redef]
    from airflow.datasets import DatasetAll as AssetAll  # type: ignore[no-redef]
    from airflow.datasets import DatasetAny as AssetAny  # type: ignore[no-redef]
    from airflow.models.dag import DAG  # type: ignore[no-redef]
    from airflow.utils.dag_parsing_context import get_parsing_context  # type: ignore[no-redef]

try:  # the standard provider (Airflow 3 and recent 2.x)
    from airflow.providers.standard.operators.bash import BashOperator
except ImportError:  # pragma: no cover - Airflow 2.x without the standard provider
    from airflow.operators.bash import BashOperator  # type: ignore[no-redef]

# --- triggers (same path on 2.x and 3.x today; kept here so a move costs one line) ---
from airflow.triggers.base import BaseTrigger, TriggerEvent

# --- exceptions ---------------------------------------------------------------------
try:
    from airflow.sdk.exceptions import (
        AirflowException,
        AirflowFailException,
        AirflowNotFoundException,
        AirflowTaskTimeout,
        TaskDeferred,
    )
except ImportError:  # pragma: no cover - Airflow 2.x
    from airflow.exceptions import (  # type: ignore[no-redef]
        AirflowException,
        AirflowFailException,
        AirflowNotFoundException,
        AirflowTaskTimeout,
        TaskDeferred,
    )

# --- configuration and time --------------------------------------------------------
try:
    from airflow.sdk import conf
except ImportError:  # pragma: no cover - Airflow 2.x
    from airflow.configuration import conf  # type: ignore[no-redef]

try:
    from airflow.sdk import timezone
except ImportError:  # pragma: no cover - Airflow 2.x
    from airflow.utils import timezone  # type: ignore[no-redef]

# --- XCom access for extra links ------------------------------------------------------
try:
    from airflow.sdk.execution_time.xcom import XCom
except ImportError:  # pragma: no cover - Airflow 2.x
    from airflow.models.xcom import XCom  # type: ignore[no-redef]


def get_xcom_value(ti_key: Any, key: str) -> Any:
    """Read one XCom of a task instance (used by extra links, which run outside the task)."""
    return XCom.get_value(ti_key=ti_key, key=key)


# --- async connection lookup ------------------------------------------------------------
async def aget_connection(conn_id: str) -> Any:
    """Look a connection up without blocking the event loop.

    Airflow >= 3.1 has ``BaseHook.aget_connection``; outside a Task-SDK context (a bare test, or
    an older triggerer) it may raise instead of finding the connection, so we fall back to the
    sync lookup run in a worker thread by ``sync_to_async`` — never a sync lookup on the loop.
    A missing connection is re-raised as is (``AirflowNotFoundException``).
    """
    from asgiref.sync import sync_to_async

    aget = getattr(BaseHook, "aget_connection", None)
    if aget is not None:
        try:
            return await aget(conn_id)
        except AirflowNotFoundException:
            raise
        except Exception:  # noqa: BLE001 - no supervisor to ask: try the thread fallback
            pass
    return await sync_to_async(BaseHook.get_connection)(conn_id)


async def aget_extra_dejson(conn: Any) -> dict[str, Any]:
    """``conn.extra_dejson`` without the sync secret masker on the loop (3.3.2+ has ``aextra_dejson``)."""
    aextra = getattr(conn, "aextra_dejson", None)
    if aextra is not None:
        return await aextra()
    from asgiref.sync import sync_to_async

    return await sync_to_async(lambda: conn.extra_dejson)()


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
    from airflow import settings
    from airflow.exceptions import (
        AirflowClusterPolicyError,
        AirflowClusterPolicySkipDag,
        AirflowClusterPolicyViolation,
    )

    tasks = list(dag.tasks)
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
    except Exception as exc:  # noqa: BLE001 - the DagBag's own wrapping
        raise AirflowClusterPolicyError(exc) from exc
    return True


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

        found = _TI.get_task_instance(
            dag_id=ti.dag_id, run_id=ti.run_id, task_id=ti.task_id, map_index=ti.map_index
        )
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


# --- how a local stack of this line is run (the demo and the e2e harness) -----------------
def stack_profile() -> dict[str, Any]:
    """How to run a local Airflow stack of this line, as JSON-able data the harness follows blindly.

    Why here: the harness (hevo_dagfactory/demo) must not import Airflow in its own process (that
    would read the caller's configuration), so it runs ``python -m hevo_dagfactory.provider.compat``
    with the stack's interpreter and reads this dict; it never asks which line it is on.
    ``processes``: name -> ``airflow`` argv, started in order after ``db migrate`` and the one-shot
    ``setup`` commands; ``ui`` serves the UI and REST API; ``healthy``: what its health endpoint
    must report. ``password_file``: where the simple auth manager reads the admin's password (None:
    the login is a Flask-AppBuilder user made by ``setup``). ``api``: REST prefix, health path,
    ``token_path`` (None: basic auth), body fields sent absent rather than null, and the 2.x field
    names and run types mapped onto the 3.x ones. ``env``: ``{section: {key: value}}`` for
    ``AIRFLOW__SECTION__KEY``. Values may use ``{api_url} {api_port} {home} {logs_dir} {user}
    {password} {password_file} {random}`` (a fresh random secret per value).

    - Airflow 3: api-server (``/api/v2``, bearer token from the simple auth manager), a separate
      dag-processor, LocalExecutor on SQLite (tasks talk to the Execution API, not the DB).
    - Airflow 2: webserver (Flask, ``/api/v1`` with basic auth against a FAB user), the scheduler
      parses DAGs itself, and SQLite allows only the SequentialExecutor.
    """
    parsing = {"MIN_FILE_PROCESS_INTERVAL": "30", "PARSING_PROCESSES": "1", "PRINT_STATS_INTERVAL": "300"}
    scheduler, triggerer = ["scheduler", "--skip-serve-logs"], ["triggerer", "--skip-serve-logs"]
    if AIRFLOW_3:
        return {
            "airflow_version": AIRFLOW_VERSION, "executor": "LocalExecutor", "ui": "api-server", "setup": {},
            "processes": {
                "api-server": ["api-server", "--host", "127.0.0.1", "--port", "{api_port}", "--workers", "1"],
                "scheduler": scheduler,
                "dag-processor": ["dag-processor"],
                "triggerer": triggerer,
            },
            "healthy": ["scheduler", "triggerer", "dag_processor"],
            "password_file": "simple_auth_manager_passwords.json",
            "api": {"prefix": "/api/v2", "health_path": "/api/v2/monitor/health", "token_path": "/auth/token",
                    "omit_null": [], "dag_fields": {}, "run_types": {}},
            "env": {
                "CORE": {
                    "EXECUTION_API_SERVER_URL": "{api_url}/execution/",
                    "AUTH_MANAGER": "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
                    "SIMPLE_AUTH_MANAGER_USERS": "{user}:admin",
                    "SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": "{password_file}",
                },
                "API": {"HOST": "127.0.0.1", "PORT": "{api_port}", "BASE_URL": "{api_url}", "WORKERS": "1",
                        "SECRET_KEY": "{random}"},
                "API_AUTH": {"JWT_SECRET": "{random}"},
                "DAG_PROCESSOR": {**parsing, "REFRESH_INTERVAL": "5", "BUNDLE_REFRESH_CHECK_INTERVAL": "2"},
                "LOGGING": {"DAG_PROCESSOR_CHILD_PROCESS_LOG_DIRECTORY": "{logs_dir}/dag_processor"},
            },
        }
    return {
        "airflow_version": AIRFLOW_VERSION, "executor": "SequentialExecutor", "ui": "webserver",
        # ``--password=...`` in one piece: a random password may start with "-", which argparse reads as an option.
        "setup": {"users-create": ["users", "create", "--username", "{user}", "--password={password}",
                                   "--role", "Admin", "--firstname", "Demo", "--lastname", "Admin",
                                   "--email", "admin@example.invalid"]},
        "processes": {
            "webserver": ["webserver", "--hostname", "127.0.0.1", "--port", "{api_port}", "--workers", "1"],
            "scheduler": scheduler,
            "triggerer": triggerer,
        },
        "healthy": ["metadatabase", "scheduler", "triggerer"],
        "password_file": None,
        "api": {"prefix": "/api/v1", "health_path": "/api/v1/health", "token_path": None,
                "omit_null": ["logical_date"],
                "dag_fields": {"next_dagrun_create_after": "next_dagrun_run_after"},
                "run_types": {"dataset_triggered": "asset_triggered"}},
        "env": {
            "WEBSERVER": {"WEB_SERVER_HOST": "127.0.0.1", "WEB_SERVER_PORT": "{api_port}", "BASE_URL": "{api_url}",
                          "WORKERS": "1", "SECRET_KEY": "{random}", "WARN_DEPLOYMENT_EXPOSURE": "False"},
            "API": {"AUTH_BACKENDS": "airflow.api.auth.backend.basic_auth", "ENABLE_XCOM_DESERIALIZE_SUPPORT": "True"},
            "SCHEDULER": {**parsing, "DAG_DIR_LIST_INTERVAL": "5", "STANDALONE_DAG_PROCESSOR": "False"},
        },
    }


# --- test support: the DagBag and writing DAGs to the metadata DB -------------------------
def add_dag_to_bag(bag: Any, dag: Any) -> None:
    """``bag.bag_dag(dag)``; Airflow 2.x also wants the root DAG (the DAG itself: no SubDAGs here)."""
    if AIRFLOW_3:
        bag.bag_dag(dag)
    else:
        bag.bag_dag(dag, root_dag=dag)


def sync_dag_bag_to_db(bag: Any) -> None:
    """Make ``dag.test()`` possible for the DAGs of ``bag`` on either line.

    Airflow 3 runs a test DAG run from its serialized version (needs the bundle and a
    DagVersion row); Airflow 2 writes DagModel/SerializedDagModel rows with ``bag.sync_to_db()``.
    """
    if AIRFLOW_3:
        from airflow.dag_processing.bundles.manager import DagBundlesManager
        from airflow.dag_processing.dagbag import sync_bag_to_db

        DagBundlesManager().sync_bundles_to_db()
        sync_bag_to_db(bag, "dags-folder", None)
    else:
        bag.sync_to_db()


def __getattr__(name: str) -> Any:
    """``DagBag`` on demand (tests, bench): importing it eagerly would slow every DAG parse."""
    if name == "DagBag":
        try:
            from airflow.dag_processing.dagbag import DagBag
        except ImportError:  # Airflow 2.x
            from airflow.models.dagbag import DagBag  # type: ignore[no-redef]
        return DagBag
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "AIRFLOW_3",
    "AIRFLOW_MAJOR_MINOR",
    "AIRFLOW_VERSION",
    "ASSET_WORD",
    "TRIGGER_ON_KILL",
    "TRIGGER_ON_KILL_TIMEOUT_S",
    "WORKER_KILL_GRACE_S",
    "DagBag",
    "add_dag_to_bag",
    "schedule_argument",
    "stack_profile",
    "sync_dag_bag_to_db",
    "task_left_deferred",
    "restarted_within_try",
    "retry_after_failed_try",
    "DAG",
    "AirflowException",
    "AirflowFailException",
    "Asset",
    "AssetAll",
    "AssetAny",
    "BashOperator",
    "get_parsing_context",
    "AirflowNotFoundException",
    "AirflowTaskTimeout",
    "BaseHook",
    "BaseOperator",
    "BaseOperatorLink",
    "BaseSensorOperator",
    "BaseTrigger",
    "Context",
    "PokeReturnValue",
    "TaskDeferred",
    "TriggerEvent",
    "XCom",
    "aget_connection",
    "aget_extra_dejson",
    "conf",
    "get_xcom_value",
    "timezone",
]


if __name__ == "__main__":  # ``python -m hevo_dagfactory.provider.compat``: the stack profile as JSON
    import json as _json

    print(_json.dumps(stack_profile()))
