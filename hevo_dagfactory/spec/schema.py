"""The JSON Schema: where it lives, the compiled validators, and schema-derived defaults.

Why here and compiled once: ``schemas/hevo-workflow.schema.json`` is the single source
of truth for the file format (editors use it through the ``yaml-language-server``
modeline, the docs are checked against it, and the model's defaults and enums are read
from it), and building a jsonschema validator costs far more than using one, so each
process compiles it once and reuses it for every file.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

SCHEMA_FILENAME = "hevo-workflow.schema.json"
_PKG = Path(__file__).resolve().parent.parent  # hevo_dagfactory/


def schema_path() -> Path:
    """Path of the schema file: inside the installed package, else the repository's ``schemas/``.

    A wheel carries it at ``hevo_dagfactory/schemas/`` (pyproject force-includes it); an
    editable install reads the repository copy, so there is only ever one file to edit.
    """
    for candidate in (_PKG / "schemas" / SCHEMA_FILENAME, _PKG.parent / "schemas" / SCHEMA_FILENAME):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        f"{SCHEMA_FILENAME} is missing from the installation; reinstall hevo-dagfactory"
    )


@lru_cache(maxsize=1)
def _schema_text() -> str:
    return schema_path().read_text(encoding="utf-8")


def load_schema() -> dict[str, Any]:
    """A fresh copy of the schema as a dict (callers may mutate it)."""
    return json.loads(_schema_text())


@lru_cache(maxsize=1)
def _shared_schema() -> dict[str, Any]:
    return json.loads(_schema_text())


def _resolve(pointer: str) -> dict[str, Any]:
    node: Any = _shared_schema()
    for part in pointer.lstrip("#/").split("/") if pointer.strip("#/") else ():
        node = node[part.replace("~1", "/").replace("~0", "~")]
    while isinstance(node, dict) and "$ref" in node and len(node) <= 3:
        node = _resolve(node["$ref"])
    return node


@lru_cache(maxsize=None)
def section(pointer: str) -> dict[str, Any]:
    """The (ref-resolved) schema object at a ``#/...`` pointer, e.g. ``#/$defs/sync``."""
    return _resolve(pointer)


@lru_cache(maxsize=None)
def defaults_of(pointer: str) -> dict[str, Any]:
    """``{property: default}`` for the object schema at ``pointer`` (only those with a default)."""
    props = section(pointer).get("properties", {})
    out = {}
    for name, prop in props.items():
        if "$ref" in prop and "default" not in prop:
            prop = _resolve(prop["$ref"])
        if "default" in prop:
            out[name] = prop["default"]
    return out


@lru_cache(maxsize=None)
def enum_of(pointer: str) -> tuple[Any, ...]:
    return tuple(section(pointer)["enum"])


@lru_cache(maxsize=2)
def validator(kind: str = "workflow"):
    """Compiled validator for ``workflow`` files or a folder's ``defaults`` file."""
    from jsonschema import Draft202012Validator  # lazy: ~80 ms, only for commands that validate

    schema = _shared_schema()
    if kind == "workflow":
        return Draft202012Validator(schema)
    if kind == "defaults":
        from referencing import Registry, Resource

        resource = Resource.from_contents(schema)
        registry = Registry().with_resource(schema["$id"], resource)
        return Draft202012Validator({"$ref": schema["$id"] + "#/$defs/folder_defaults"}, registry=registry)
    raise ValueError(kind)
