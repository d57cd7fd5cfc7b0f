"""Every import that differs between Airflow 2.x and 3.x, in one place.

Why: the rest of the provider must never branch on the Airflow version. Each name is
imported newest-first with a fallback (maintainers prefer try/except over version checks),
so adding Airflow 2.11 support later means touching only this module. Nothing here
does work at import time beyond the imports themselves.
"""

from __future__ import annotations

from typing import Any

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
        TaskDeferred,
    )
except ImportError:  # pragma: no cover - Airflow 2.x
    from airflow.exceptions import (  # type: ignore[no-redef]
        AirflowException,
        AirflowFailException,
        AirflowNotFoundException,
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


__all__ = [
    "DAG",
    "AirflowException",
    "AirflowFailException",
    "Asset",
    "AssetAll",
    "AssetAny",
    "BashOperator",
    "get_parsing_context",
    "AirflowNotFoundException",
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
