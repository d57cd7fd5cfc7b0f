"""hevo-dagfactory: YAML workflow files → Airflow DAGs that sync Hevo pipelines, then run dbt and bash steps.

The package root stays light: importing it does not import Airflow. ``load_workflows`` (from the
factory layer) and ``__version__`` (``version.py``) are resolved on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hevo_dagfactory._lazy import lazy_exports

if TYPE_CHECKING:  # for type checkers and IDEs only; at runtime see __getattr__
    from hevo_dagfactory.factory import load_workflows
    from hevo_dagfactory.version import __version__

#: public name → the module that defines it
_LAZY: dict[str, str] = {"__version__": "version", "load_workflows": "factory"}

__all__ = ["__version__", "load_workflows"]

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, (), __all__)
