"""``steps:`` → ``Step`` models, each body parsed by its kind (``spec.kinds``).

Nothing here names a kind: the registry says which strings of a body must be one line (they land
on a command line) and parses the body into the kind's model object.
"""

from __future__ import annotations

import functools
from typing import Any

from hevo_dagfactory.spec.kinds import BodyContext, kind_of, matching
from hevo_dagfactory.spec.model import Step
from hevo_dagfactory.spec.sections.controls import task_controls
from hevo_dagfactory.spec.sections.state import BuildState


def steps(state: BuildState) -> dict[str, Any]:
    folder = state.source.parent
    out = []
    for i, raw in enumerate(state.top["steps"]):
        ptr = f"/steps/{i}"
        state.claim(raw["id"], ptr)
        after = tuple(raw["after"]) if "after" in raw else None
        kind = kind_of(raw)
        body_ptr = f"{ptr}/{kind.name}"
        for rel, text in matching(kind.single_line, raw[kind.name]):
            if "\n" in text or "\r" in text:
                state.error(
                    f"{body_ptr}/{rel}" if rel else body_ptr,
                    "the value contains a line break",
                    "write it on one line; check for a '|' block or a \\n escape",
                    "unsafe_value",
                )
        body = kind.parse(raw[kind.name], BodyContext(body_ptr, folder, state.error))
        controls = task_controls(state, raw, functools.partial(_key_ptr, ptr))
        out.append(Step(raw["id"], kind.name, body, after, controls))
    return {"steps": tuple(out)}


def _key_ptr(ptr: str, key: str) -> str:
    """The pointer of ``key`` inside the step at ``ptr``."""
    return f"{ptr}/{key}"
