"""hevo-dagfactory: YAML workflow files → Airflow DAGs that sync Hevo pipelines, then run dbt and bash steps.

The package root stays light: importing it does not import Airflow. ``load_workflows`` is
resolved lazily from the factory layer.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "load_workflows"]


def __getattr__(name: str):
    if name == "load_workflows":
        from hevo_dagfactory.factory import load_workflows

        return load_workflows
    raise AttributeError(f"module 'hevo_dagfactory' has no attribute {name!r}")
