"""Factory layer: validated ``Workflow`` models → Airflow DAGs, and the dags-folder loader.

Public: :func:`load_workflows` (also re-exported lazily as ``hevo_dagfactory.load_workflows``),
:func:`build_dag` for one workflow, and :func:`register_step_builder` / ``STEP_BUILDERS`` for
new step kinds. Importing this package imports Airflow; the spec layer does not.
"""

from __future__ import annotations

from hevo_dagfactory.factory.dag import build_dag
from hevo_dagfactory.factory.loader import CONFIG_DIR_ENV, load_workflows, resolve_config_folder
from hevo_dagfactory.factory.placeholder import CONFIG_ERROR_TAG, WorkflowConfigErrorOperator
from hevo_dagfactory.factory.steps import STEP_BUILDERS, BuildContext, register_step_builder

__all__ = [
    "CONFIG_DIR_ENV",
    "CONFIG_ERROR_TAG",
    "STEP_BUILDERS",
    "BuildContext",
    "WorkflowConfigErrorOperator",
    "build_dag",
    "load_workflows",
    "register_step_builder",
    "resolve_config_folder",
]
