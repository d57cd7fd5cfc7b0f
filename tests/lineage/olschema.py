"""Validate OpenLineage events with jsonschema against a schema derived from the OpenLineage client itself.

The client (openlineage-python) ships no JSON file of the spec; its event and facet classes are generated
from the spec's JSON Schema (each names its ``$defs`` entry in ``_get_schema()``). This module turns those
classes back into a JSON Schema: every attrs field a property of its type, a field without default
required, plus the fields the spec requires and the client always fills (``producer``, ``schemaURL`` of an
event, ``_producer``, ``_schemaURL`` of a facet). Facets of unknown keys are checked against the base
facet; our own ``hevoJob`` facet is checked against the schema the package ships (``HevoJobRunFacet.json``).
"""

from __future__ import annotations

import enum
import json
import types
import typing
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import attr
import jsonschema
from referencing import Registry, Resource

ALWAYS_FILLED = {"producer", "schemaURL", "_producer", "_schemaURL"}
SPEC = "https://openlineage.io/spec/2-0-2/OpenLineage.json"
FACET_SCHEMA = Path(__file__).resolve().parents[2] / "hevo_dagfactory" / "provider" / "lineage" / "HevoJobRunFacet.json"


def _schema(tp: Any, defs: dict[str, Any]) -> dict[str, Any]:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    simple = {str: "string", bool: "boolean", int: "integer", float: "number", type(None): "null"}
    if tp in simple:
        return {"type": simple[tp]}
    if tp is typing.Any:
        return {}
    if origin in (typing.Union, types.UnionType):
        return {"anyOf": [_schema(a, defs) for a in args]}
    if origin is list:
        return {"type": "array", "items": _schema(args[0], defs)}
    if origin is dict:
        return {"type": "object", "additionalProperties": _schema(args[1], defs)}
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return {"enum": [m.value for m in tp]}
    if isinstance(tp, type) and attr.has(tp):
        if tp.__name__ not in defs:
            defs[tp.__name__] = {}  # a placeholder first: classes refer to each other
            defs[tp.__name__] = _object(tp, defs)
        return {"$ref": f"#/$defs/{tp.__name__}"}
    raise TypeError(f"no JSON Schema for {tp!r}")


def _object(cls: type, defs: dict[str, Any]) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    props, required = {}, []
    for f in attr.fields(cls):
        props[f.name] = _schema(hints[f.name], defs)
        if f.default is attr.NOTHING or f.name in ALWAYS_FILLED:
            required.append(f.name)
    return {"type": "object", "properties": props, "required": required}


def event_schema() -> dict[str, Any]:
    from openlineage.client import event_v2

    defs: dict[str, Any] = {}
    root = _schema(event_v2.RunEvent, defs)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$defs": defs, **root}


def _facet_validator(schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    """Our facet's shipped schema, its ``$ref`` to the spec's RunFacet resolved from the derived schema."""
    spec = {"$schema": schema["$schema"], "$id": SPEC, "$defs": schema["$defs"]}
    registry = Registry().with_resource(SPEC, Resource.from_contents(spec))
    shipped = json.loads(FACET_SCHEMA.read_text())
    return jsonschema.Draft202012Validator(
        {**shipped["$defs"]["HevoJobRunFacet"], "$defs": shipped["$defs"]}, registry=registry
    )


def validation_errors(events: list[dict[str, Any]]) -> list[str]:
    """Every way ``events`` break the schema (empty when they are valid)."""
    schema = event_schema()
    validator = jsonschema.Draft202012Validator(schema)
    facet = _facet_validator(schema)
    errors = []
    for n, event in enumerate(events):
        where = f"event {n} ({event.get('eventType')} {event.get('job', {}).get('name')})"
        errors += [f"{where}: {e.json_path}: {e.message}" for e in validator.iter_errors(event)]
        if "hevoJob" in event.get("run", {}).get("facets", {}):
            errors += [
                f"{where}: hevoJob {e.json_path}: {e.message}"
                for e in facet.iter_errors(event["run"]["facets"]["hevoJob"])
            ]
        try:
            uuid.UUID(event["run"]["runId"])
            if "T" not in event["eventTime"]:
                raise ValueError("eventTime without a time")
            datetime.fromisoformat(event["eventTime"].replace("Z", "+00:00"))
        except (KeyError, ValueError) as exc:
            errors.append(f"{where}: {exc}")
    return errors
