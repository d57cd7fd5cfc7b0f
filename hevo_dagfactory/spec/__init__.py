"""The ``spec`` layer: workflow YAML files → validated, typed ``Workflow`` models.

Never imports Airflow, requests or aiohttp: ``hevo-dagfactory validate`` and the
factory's parse-time loading both depend on it staying small and fast.
"""

from __future__ import annotations

from hevo_dagfactory.spec.discover import find_workflow_files
from hevo_dagfactory.spec.errors import ConfigError, ConfigErrors
from hevo_dagfactory.spec.loader import ENV_VAR, LoadResult, current_environment, load_file, load_paths
from hevo_dagfactory.spec.model import (
    AssetSchedule,
    BashStep,
    DbtStep,
    HevoSettings,
    Step,
    Sync,
    TaskDefaults,
    Workflow,
    asset_uri,
)
from hevo_dagfactory.spec.schema import load_schema, schema_path

__all__ = [
    "ENV_VAR",
    "AssetSchedule",
    "BashStep",
    "ConfigError",
    "ConfigErrors",
    "DbtStep",
    "HevoSettings",
    "LoadResult",
    "Step",
    "Sync",
    "TaskDefaults",
    "Workflow",
    "asset_uri",
    "current_environment",
    "find_workflow_files",
    "load_file",
    "load_paths",
    "load_schema",
    "schema_path",
]
