"""The step kinds (``dbt``, ``bash``, ...): the registry, and the kinds that ship with the package.

Importing this package registers the built-in kinds; a new kind is one module here that calls
:func:`register_step_kind`, added to the import line below (see ``registry.py`` and
docs/architecture.md, "How to add a step kind").
"""

from __future__ import annotations

from hevo_dagfactory.spec.kinds import bash, dbt  # noqa: F401 - registers the built-in kinds
from hevo_dagfactory.spec.kinds.registry import (
    STEP_KINDS,
    BodyContext,
    Report,
    StepKind,
    kind_of,
    matching,
    register_step_kind,
    step_kind,
    string_env,
    strings,
)

__all__ = [
    "STEP_KINDS",
    "BodyContext",
    "Report",
    "StepKind",
    "kind_of",
    "matching",
    "register_step_kind",
    "step_kind",
    "string_env",
    "strings",
]
