"""The ``spec`` layer: workflow YAML files → validated, typed ``Workflow`` models.

Never imports Airflow, requests or aiohttp: ``hevo-dagfactory validate`` and the
factory's parse-time loading both depend on it staying small and fast.

Why the public names resolve lazily (PEP 562 ``__getattr__``): the factory's model cache
unpickles ``Workflow`` objects, which imports ``hevo_dagfactory.spec.model`` and therefore
this package. An eager ``__init__`` would drag in the whole validator (YAML reader, schema
checks, merge and interpolation code) on every cache hit, in every parse process, although a
cache hit needs only the frozen dataclasses of ``model.py``. Each name below is imported from
its module the first time it is used; ``from hevo_dagfactory.spec import load_file`` works as
before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hevo_dagfactory._lazy import lazy_exports

if TYPE_CHECKING:  # for type checkers and IDEs only; at runtime see __getattr__
    from hevo_dagfactory.spec.discover import find_workflow_files
    from hevo_dagfactory.spec.errors import ConfigError, ConfigErrors
    from hevo_dagfactory.spec.kinds.bash import BashStep
    from hevo_dagfactory.spec.kinds.dbt import DbtStep
    from hevo_dagfactory.spec.loader import ENV_VAR, LoadResult, current_environment, load_file, load_paths
    from hevo_dagfactory.spec.model import (
        AssetSchedule,
        HevoSettings,
        Step,
        Sync,
        TaskDefaults,
        Workflow,
        asset_uri,
    )
    from hevo_dagfactory.spec.schema import load_schema, schema_path

#: public name → the module that defines it
_LAZY: dict[str, str] = {
    "find_workflow_files": "discover",
    "ConfigError": "errors",
    "ConfigErrors": "errors",
    "ENV_VAR": "loader",
    "LoadResult": "loader",
    "current_environment": "loader",
    "load_file": "loader",
    "load_paths": "loader",
    "AssetSchedule": "model",
    "BashStep": "kinds.bash",
    "DbtStep": "kinds.dbt",
    "HevoSettings": "model",
    "Step": "model",
    "Sync": "model",
    "TaskDefaults": "model",
    "Workflow": "model",
    "asset_uri": "model",
    "load_schema": "schema",
    "schema_path": "schema",
}

#: Submodules the eager ``__init__`` used to import as a side effect; ``spec.loader`` etc. stay
#: reachable as attributes of the package without an explicit ``import``.
_SUBMODULES = frozenset(
    {
        "build",
        "discover",
        "environments",
        "errors",
        "fastcheck",
        "graph",
        "interpolate",
        "kinds",
        "loader",
        "model",
        "patterns",
        "positions",
        "schema",
        "schema_errors",
        "sections",
        "values",
        "yamlsafe",
    }
)

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


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, _SUBMODULES, __all__)
