"""The workflow's identity and plain DAG settings: ``dag_id``, ``description``, ``owner``, ``tags``, ...

Why one small section for many keys: these keys need no check beyond the schema's, so each is one
line here. Only ``dag_id`` has a semantic check: when it is not written, the file name must be a
valid dag_id.
"""

from __future__ import annotations

import re
from typing import Any

from hevo_dagfactory.spec.sections.state import BuildState

_DAG_ID = re.compile(r"[A-Za-z0-9_.-]{1,200}")  # used with fullmatch: "$" would allow a final "\n"


def header(state: BuildState) -> dict[str, Any]:
    top = state.top
    dag_id = top.get("dag_id") or state.source.stem
    if "dag_id" not in state.data and not _DAG_ID.fullmatch(dag_id):
        state.error(
            "",
            f"the file name {state.source.name!r} is not a valid dag_id",
            "rename the file or set 'dag_id:'",
            "dag_id",
        )
    return {
        "dag_id": dag_id,
        "source": state.source,
        "environment": state.environment,
        "description": top.get("description"),
        "catchup": top["catchup"],
        "max_active_runs": top["max_active_runs"],
        "owner": top["owner"],
        "tags": tuple(top["tags"]),
        "show_source": top["show_source"],
        "origin": state.origin,
    }
