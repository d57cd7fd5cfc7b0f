"""Airflow's OpenLineage provider, which is optional: imported only when a caller asks, never at parse time."""

from __future__ import annotations

from typing import Any


def openlineage_parent_ids(ti: Any) -> dict[str, str] | None:
    """``OPENLINEAGE_PARENT_ID`` and ``OPENLINEAGE_ROOT_PARENT_ID`` naming this task try's OpenLineage run.

    The values come from the provider's own macros (``namespace/job/run id``), so a child process such as
    ``dbt-ol`` links its events to the events the provider emits for the task. None when the provider is not
    installed; errors of the provider propagate (the caller decides how much lineage may cost).
    """
    try:
        from airflow.providers.openlineage.plugins.macros import lineage_parent_id, lineage_root_parent_id
    except ImportError:
        return None
    return {"OPENLINEAGE_PARENT_ID": lineage_parent_id(ti), "OPENLINEAGE_ROOT_PARENT_ID": lineage_root_parent_id(ti)}
