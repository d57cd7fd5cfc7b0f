"""Every import and call that differs between Airflow 2.11 and 3.3, in one package.

Why: nothing else in hevo_dagfactory may branch on the Airflow version (tests/test_layers.py).
Callers import every name from here (``from hevo_dagfactory.provider.compat import BaseOperator``);
the submodules group them by concept:

- ``version``: the ONLY version check, and the flags callers need (``AIRFLOW_3``,
  ``TRIGGER_ON_KILL``, ``ASSET_WORD``);
- ``names``: Airflow names whose import path differs, newest first with a fallback (maintainers
  prefer try/except over version checks);
- ``connections``: connection lookups that never block the triggerer's event loop;
- ``dags``: what a DAG means on each line (``schedule_argument``, ``needs_start_date``,
  ``check_dag_like_dagbag``, the
  2.x ``dag_run.run_after`` alias — the one change made beyond imports, on 2.x only);
- ``taskstate``: user kills, restarts, retries vs clears, and the kill grace periods;
- ``stack``: how a local stack of this line runs (``python -m hevo_dagfactory.provider.compat``
  prints it as JSON for the demo harness);
- ``testing``: the DagBag and writing DAGs to the metadata DB;
- ``openlineage``: the optional OpenLineage provider, imported only when asked.

The table of differences is docs/compatibility.md.
"""

from __future__ import annotations

from typing import Any

from hevo_dagfactory.provider.compat.connections import aget_connection, aget_extra_dejson
from hevo_dagfactory.provider.compat.dags import (
    check_dag_like_dagbag,
    needs_start_date,
    retry_backoff,
    schedule_argument,
)
from hevo_dagfactory.provider.compat.names import (
    DAG,
    AirflowException,
    AirflowFailException,
    AirflowNotFoundException,
    AirflowTaskTimeout,
    Asset,
    AssetAlias,
    AssetAll,
    AssetAny,
    BaseHook,
    BaseNotifier,
    BaseOperator,
    BaseOperatorLink,
    BaseSensorOperator,
    BaseTrigger,
    BashOperator,
    Context,
    Param,
    PokeReturnValue,
    TaskDeferred,
    TriggerEvent,
    XCom,
    conf,
    get_current_context,
    get_parsing_context,
    get_xcom_value,
    timezone,
)
from hevo_dagfactory.provider.compat.openlineage import openlineage_parent_ids
from hevo_dagfactory.provider.compat.stack import stack_profile
from hevo_dagfactory.provider.compat.taskstate import (
    TRIGGER_ON_KILL_TIMEOUT_S,
    WORKER_KILL_GRACE_S,
    restarted_within_try,
    retry_after_failed_try,
    task_left_deferred,
)
from hevo_dagfactory.provider.compat.testing import (
    add_dag_to_bag,
    asset_events,
    dag_bag_class,
    dags_due_on_assets,
    sync_dag_bag_to_db,
    task_xcoms,
    unpause,
)
from hevo_dagfactory.provider.compat.version import (
    AIRFLOW_3,
    AIRFLOW_MAJOR_MINOR,
    AIRFLOW_VERSION,
    ASSET_WORD,
    TRIGGER_ON_KILL,
)


def __getattr__(name: str) -> Any:
    """``DagBag`` on demand (tests, bench): importing it eagerly would slow every DAG parse."""
    if name == "DagBag":
        return dag_bag_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "AIRFLOW_3",
    "AIRFLOW_MAJOR_MINOR",
    "AIRFLOW_VERSION",
    "ASSET_WORD",
    "DAG",
    "TRIGGER_ON_KILL",
    "TRIGGER_ON_KILL_TIMEOUT_S",
    "WORKER_KILL_GRACE_S",
    "AirflowException",
    "AirflowFailException",
    "AirflowNotFoundException",
    "AirflowTaskTimeout",
    "Asset",
    "AssetAlias",
    "AssetAll",
    "AssetAny",
    "BaseHook",
    "BaseNotifier",
    "BaseOperator",
    "BaseOperatorLink",
    "BaseSensorOperator",
    "BaseTrigger",
    "BashOperator",
    "Context",
    "DagBag",
    "Param",
    "PokeReturnValue",
    "TaskDeferred",
    "TriggerEvent",
    "XCom",
    "add_dag_to_bag",
    "aget_connection",
    "aget_extra_dejson",
    "asset_events",
    "check_dag_like_dagbag",
    "conf",
    "dag_bag_class",
    "dags_due_on_assets",
    "get_current_context",
    "get_parsing_context",
    "get_xcom_value",
    "needs_start_date",
    "openlineage_parent_ids",
    "restarted_within_try",
    "retry_after_failed_try",
    "retry_backoff",
    "schedule_argument",
    "stack_profile",
    "sync_dag_bag_to_db",
    "task_left_deferred",
    "task_xcoms",
    "timezone",
    "unpause",
]
