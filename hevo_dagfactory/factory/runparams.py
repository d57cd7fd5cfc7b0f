"""``params:`` → the DAG's ``params``: Airflow ``Param`` objects, shown in the trigger form.

Why built from the model: the spec layer checked types, defaults, enums and ranges already; this only
states them in Airflow's terms (JSON-schema keywords). The built-ins are a drop-down (``resync``) and
a checkbox (``dbt_full_refresh``); the operators read them through templates
(``{{ params.resync }}``, ``{{ params.dbt_full_refresh }}``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hevo_dagfactory.provider.compat import Param

if TYPE_CHECKING:
    from hevo_dagfactory.spec.model import Workflow


def dag_params(workflow: Workflow) -> dict[str, Any]:
    """``{name: Param}`` for the built-ins switched on and the user's parameters (empty: no ``params``)."""
    from hevo_dagfactory.spec.model import RESYNC_CHOICES

    p = workflow.params
    out: dict[str, Any] = {}
    if p.resync:
        out["resync"] = Param(
            "off",
            type="string",
            enum=list(RESYNC_CHOICES),
            title="Resync",
            description="Run this run's Hevo syncs as resyncs in this mode (off: each sync's own action).",
        )
    if p.dbt_full_refresh:
        out["dbt_full_refresh"] = Param(
            False,
            type="boolean",
            title="dbt full refresh",
            description="Run every dbt step of this run with --full-refresh.",
        )
    for rp in p.user:
        schema: dict[str, Any] = {"type": rp.type}
        for key in ("description", "minimum", "maximum"):
            if getattr(rp, key) is not None:
                schema[key] = getattr(rp, key)
        if rp.enum is not None:
            schema["enum"] = list(rp.enum)
        out[rp.name] = Param(rp.default, **schema) if rp.has_default else Param(**schema)
    return out
