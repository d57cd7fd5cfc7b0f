"""Airflow names the factory needs that ``provider/compat.py`` does not export yet.

FOR THE LEAD: merge these into ``hevo_dagfactory/provider/compat.py`` (same try-newest-first
pattern) and point the imports in ``factory/`` at compat; this module then becomes a
re-export or disappears. It exists only so that the factory never imports an Airflow path
directly and an Airflow 2.x fallback costs one line here.
"""

from __future__ import annotations

try:  # Airflow 3.x: the Task SDK
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

try:
    from airflow.sdk.exceptions import AirflowFailException
except ImportError:  # pragma: no cover - Airflow 2.x
    from airflow.exceptions import AirflowFailException  # type: ignore[no-redef]

__all__ = ["DAG", "Asset", "AssetAll", "AssetAny", "AirflowFailException", "BashOperator", "get_parsing_context"]
