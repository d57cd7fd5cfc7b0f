"""How the tasks connect: there is at least one, every ``after`` names one, and no cycle.

Runs after the syncs and steps sections, on the ids they claimed (``BuildState.task_ids``).
Messages show ids as written (``${VAR}``), and a did-you-mean never suggests an id a variable supplied.
"""

from __future__ import annotations

from typing import Any

from hevo_dagfactory.spec.graph import find_cycle
from hevo_dagfactory.spec.schema_errors import did_you_mean
from hevo_dagfactory.spec.sections.state import BuildState


def not_empty(state: BuildState) -> dict[str, Any]:
    if not state.fields["syncs"] and not state.fields["steps"]:
        state.error(
            "", "the workflow has no syncs and no steps", "add a 'syncs:' list, and 'steps:' to run after them", "empty"
        )
    return {}


def references(state: BuildState) -> dict[str, Any]:
    ids = list(state.task_ids)
    for i, step in enumerate(state.fields["steps"]):
        for j, ref in enumerate(step.after or ()):
            if ref in state.task_ids:
                continue
            ref_ptr = f"/steps/{i}/after/{j}"
            plain = [t for t in ids if state.id_text(t) == t]  # never suggest an id a variable supplied
            hint = did_you_mean(ref, plain) if state.pos.written(ref_ptr) is None else None
            hint = hint or f"known ids: {', '.join(state.id_text(t) for t in ids)}"
            state.error(
                ref_ptr,
                f"step {state.id_text(step.id)!r} runs after unknown id {state.q(ref_ptr, ref)}",
                hint,
                "unknown_reference",
            )
    return {}


def cycles(state: BuildState) -> dict[str, Any]:
    steps = state.fields["steps"]
    step_index = {s.id: i for i, s in enumerate(steps)}
    cycle = find_cycle({s.id: [a for a in (s.after or ()) if a in step_index] for s in steps})
    if cycle:
        path = " -> ".join(state.id_text(t) for t in cycle)
        state.error(
            f"/steps/{step_index[cycle[0]]}/after",
            f"dependency cycle: {path} (each runs after the next)",
            "remove one of these 'after' entries",
            "cycle",
        )
    return {}
