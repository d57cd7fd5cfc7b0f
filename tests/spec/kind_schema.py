"""The shipped schema plus one more step kind, for tests that register a kind of their own."""

from __future__ import annotations

from typing import Any

from hevo_dagfactory.spec import load_schema


def schema_with_kind(name: str, definition: dict[str, Any]) -> dict[str, Any]:
    """A ``$defs`` entry, a step property and a ``oneOf`` branch: the schema part of a new kind."""
    schema = load_schema()
    schema["$defs"][name] = definition
    step = schema["$defs"]["step"]
    step["properties"][name] = {"$ref": f"#/$defs/{name}"}
    step["oneOf"].append({"required": [name]})
    return schema
