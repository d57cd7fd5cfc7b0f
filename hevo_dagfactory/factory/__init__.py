"""Factory layer: validated ``Workflow`` models → Airflow DAGs, and the dags-folder loader.

Public: :func:`load_workflows` (also re-exported lazily as ``hevo_dagfactory.load_workflows``),
:func:`build_dag` for one workflow, and :func:`register_step_builder` / ``STEP_BUILDERS`` for
new step kinds. Importing this package imports Airflow; the spec layer does not.

Why the names resolve lazily (PEP 562 ``__getattr__``): a worker about to run one task parses
the loader file, which needs ``load_workflows`` and the DAG builders but, on a cache hit of a
good file, not the placeholder machinery for broken files. Each name is imported from its
module on first use; ``from hevo_dagfactory.factory import build_dag`` works as before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hevo_dagfactory._lazy import lazy_exports

if TYPE_CHECKING:  # for type checkers and IDEs only; at runtime see __getattr__
    from hevo_dagfactory.factory.dag import build_dag
    from hevo_dagfactory.factory.loader import CONFIG_DIR_ENV, load_workflows, resolve_config_folder
    from hevo_dagfactory.factory.placeholder import CONFIG_ERROR_TAG, WorkflowConfigErrorOperator
    from hevo_dagfactory.factory.steps import STEP_BUILDERS, BuildContext, register_step_builder

#: public name → the module that defines it
_LAZY: dict[str, str] = {
    "build_dag": "dag",
    "CONFIG_DIR_ENV": "loader",
    "load_workflows": "loader",
    "resolve_config_folder": "loader",
    "CONFIG_ERROR_TAG": "placeholder",
    "WorkflowConfigErrorOperator": "placeholder",
    "STEP_BUILDERS": "steps",
    "BuildContext": "steps",
    "register_step_builder": "steps",
}

#: Submodules the eager ``__init__`` used to import as a side effect; they stay reachable as
#: attributes of the package without an explicit ``import``.
_SUBMODULES = frozenset(
    {
        "bundles",
        "cache",
        "cachedir",
        "checked",
        "dag",
        "dagindex",
        "fileresults",
        "folderrun",
        "docs",
        "loader",
        "operators",
        "placeholder",
        "plan",
        "steps",
    }
)

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


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, _SUBMODULES, __all__)
