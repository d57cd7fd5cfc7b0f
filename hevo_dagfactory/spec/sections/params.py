"""``params:``: run-time parameters of the trigger form, and the steps' ``{{ params.<name> }}`` references.

Why these checks: Airflow checks a Param's default against its JSON schema only when the DAG is
parsed or a run is created, and a scheduled run has nobody to fill the form; here every mistake is a
``path:line:col`` error before the file reaches Airflow: a default of the wrong type, outside its
``enum`` or range, a range on a non-number, a parameter without a default in a scheduled workflow,
and a step reading a parameter that is not declared (with a did-you-mean).

The built-ins (``resync: true``, ``dbt_full_refresh: true``) are switched on per workflow and added
only where they apply: ``resync`` to a workflow with syncs, ``dbt_full_refresh`` to one with a step
whose kind takes it (``StepKind.param_args``), so a folder's ``defaults.yaml`` can switch them on
for a whole team.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from hevo_dagfactory.spec.kinds import STEP_KINDS, kind_of, matching
from hevo_dagfactory.spec.model import BUILTIN_PARAMS, Params, RunParam
from hevo_dagfactory.spec.schema_errors import did_you_mean
from hevo_dagfactory.spec.sections.state import BuildState

#: JSON type → does a YAML value have it (bool is not a number, 2.0 is not an integer)
_JSON_TYPES: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: type(v) is int,
    "number": lambda v: type(v) in (int, float),
    "boolean": lambda v: isinstance(v, bool),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}
_NUMERIC = ("integer", "number")
#: ``params.x``, ``params['x']``, ``params["x"]`` inside a Jinja expression
_REFERENCE = re.compile(r"""\bparams\s*(?:\.\s*([A-Za-z_]\w*)|\[\s*['"]([^'"]+)['"]\s*\])""")
_JINJA = re.compile(r"\{\{(.*?)\}\}|\{%(.*?)%\}", re.S)


def params(state: BuildState) -> dict[str, Any]:
    raw = state.top.get("params") or {}
    user = tuple(_param(state, name, spec) for name, spec in raw.items() if name not in BUILTIN_PARAMS)
    steps = state.fields["steps"]
    full_refresh_kinds = {s.kind for s in steps if "dbt_full_refresh" in STEP_KINDS[s.kind].param_args}
    return {
        "params": Params(
            user=user,
            resync=bool(raw.get("resync")) and bool(state.fields["syncs"]),
            dbt_full_refresh=bool(raw.get("dbt_full_refresh")) and bool(full_refresh_kinds),
        )
    }


def _param(state: BuildState, name: str, spec: dict[str, Any]) -> RunParam:
    ptr = f"/params/{name}"
    kind = spec["type"]
    ok = _JSON_TYPES[kind]
    enum = spec.get("enum")
    for j, value in enumerate(enum or ()):
        if not ok(value):
            state.error(f"{ptr}/enum/{j}", f"{state.q(f'{ptr}/enum/{j}', value)} is not of type {kind}", None, "param")
    if enum is not None and len({repr(v) for v in enum}) != len(enum):
        state.error(f"{ptr}/enum", "the enum lists the same value twice", "remove the duplicate", "param")
    _range(state, ptr, spec)
    if "default" in spec:
        _check_default(state, ptr, spec)
    elif state.fields["schedule"] is not None:
        state.error(
            ptr,
            f"parameter {name!r} has no default, but the workflow is scheduled (a scheduled run has nobody to fill the form)",
            "add 'default: ...'",
            "param",
        )
    return RunParam(
        name,
        kind,
        spec.get("default"),
        "default" in spec,
        spec.get("description"),
        tuple(enum) if enum is not None else None,
        spec.get("minimum"),
        spec.get("maximum"),
    )


def _range(state: BuildState, ptr: str, spec: dict[str, Any]) -> None:
    for bound in ("minimum", "maximum"):
        if bound in spec and spec["type"] not in _NUMERIC:
            state.error(
                f"{ptr}/{bound}", f"'{bound}' applies to integer and number parameters only", "remove it", "param"
            )
    if "minimum" in spec and "maximum" in spec and spec["minimum"] > spec["maximum"]:
        state.error(f"{ptr}/maximum", "maximum is below minimum", "swap them", "param")


def _check_default(state: BuildState, ptr: str, spec: dict[str, Any]) -> None:
    value, kind = spec["default"], spec["type"]
    at = f"{ptr}/default"
    if not _JSON_TYPES[kind](value):
        hint = "write it without quotes" if isinstance(value, str) and kind != "string" else None
        state.error(at, f"the default {state.q(at, value)} is not of type {kind}", hint, "param")
        return
    if "enum" in spec and value not in spec["enum"]:
        shown = ", ".join(map(repr, spec["enum"]))
        state.error(at, f"the default {state.q(at, value)} is not one of the enum values ({shown})", None, "param")
    if kind in _NUMERIC:
        if "minimum" in spec and value < spec["minimum"]:
            state.error(at, f"the default {value} is below the minimum {spec['minimum']}", None, "param")
        if "maximum" in spec and value > spec["maximum"]:
            state.error(at, f"the default {value} is above the maximum {spec['maximum']}", None, "param")


def references(state: BuildState) -> dict[str, Any]:
    """Every ``params.<name>`` a step template reads must be declared (or an enabled built-in)."""
    known = state.fields["params"].names()
    for i, raw in enumerate(state.top["steps"]):
        kind = kind_of(raw)
        for rel, text in matching(kind.templates, raw[kind.name]):
            ptr = f"/steps/{i}/{kind.name}/{rel}" if rel else f"/steps/{i}/{kind.name}"
            for name in _read_params(text):
                if name not in known:
                    hint = did_you_mean(name, known) or (
                        f"declared here: {', '.join(known)}" if known else "declare it under 'params:'"
                    )
                    state.error(ptr, f"the step reads {{{{ params.{name} }}}}, which is not declared", hint, "param")
    return {}


def _read_params(text: str) -> list[str]:
    names = []
    for expr in _JINJA.findall(text):
        for dotted, quoted in _REFERENCE.findall(expr[0] or expr[1]):
            names.append(dotted or quoted)
    return list(dict.fromkeys(names))
