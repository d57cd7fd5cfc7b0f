"""Airflow names whose import path differs between 2.11 and 3.3, imported newest-first with a fallback."""

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
    from airflow.sdk import DAG, Asset, AssetAlias, AssetAll, AssetAny, Param, get_parsing_context
except ImportError:  # pragma: no cover - Airflow 2.10/2.11
    from airflow.datasets import Dataset as Asset  # type: ignore[no-redef]
    from airflow.datasets import DatasetAlias as AssetAlias  # type: ignore[no-redef]
    from airflow.datasets import DatasetAll as AssetAll  # type: ignore[no-redef]
    from airflow.datasets import DatasetAny as AssetAny  # type: ignore[no-redef]
    from airflow.models.dag import DAG  # type: ignore[no-redef]
    from airflow.models.param import Param  # type: ignore[no-redef]
    from airflow.utils.dag_parsing_context import get_parsing_context  # type: ignore[no-redef]

# --- notifiers (the base class of Airflow's notifier classes, e.g. Slack's and SMTP's) ---------
try:  # Airflow 3.x
    from airflow.sdk import BaseNotifier
except ImportError:  # pragma: no cover - Airflow 2.x
    from airflow.notifications.basenotifier import BaseNotifier  # type: ignore[no-redef]

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


def get_current_context() -> Any:
    """The running task's context, on either line; imported on first call (2.x's module is heavy for a parse)."""
    try:
        from airflow.sdk import get_current_context as current
    except ImportError:  # pragma: no cover - Airflow 2.x
        from airflow.operators.python import get_current_context as current  # type: ignore[no-redef]
    return current()


def get_xcom_value(ti_key: Any, key: str) -> Any:
    """Read one XCom of a task instance (used by extra links, which run outside the task)."""
    return XCom.get_value(ti_key=ti_key, key=key)
