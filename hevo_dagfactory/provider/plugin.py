"""The Airflow plugin of hevo-dagfactory: registers the custom deadline reference of ``deadline: {by: ...}``.

Why a plugin: Airflow 3.3's scheduler evaluates a DAG's deadline when it creates a run, and finds a
custom reference class only among the ``deadline_references`` of loaded plugins. It is installed with
the package as an ``airflow.plugins`` entry point (pyproject.toml), so every component that has
hevo-dagfactory installed has it; it adds nothing else (no views, no listeners). On Airflow 2.11,
which has no Deadline Alerts, the list is empty.
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from hevo_dagfactory.provider.compat.deadlines import REFERENCE_CLASSES


class HevoDagFactoryPlugin(AirflowPlugin):
    name = "hevo_dagfactory"
    deadline_references = list(REFERENCE_CLASSES)
