"""The JSON Schema: where it lives, the compiled validators, and schema-derived defaults.

Why here and compiled once: ``schemas/hevo-workflow.schema.json`` is the single source
of truth for the file format (editors use it through the ``yaml-language-server``
modeline, the docs are checked against it, and the model's defaults and enums are read
from it), and building a validator costs far more than using one, so each process
compiles it once and reuses it for every file.

Two validators with one meaning: ``fast_check`` (closures from ``fastcheck``, yes/no, no
jsonschema import) answers for valid files; ``validator`` (jsonschema) explains the errors
of the others. Both read ``integer`` as a YAML integer (``2``, never ``2.0``; JSON Schema
itself would accept ``2.0``, which Airflow then refuses) and ``pattern`` with ECMA-262
semantics (``patterns``), as editors do.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache, lru_cache
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
    raise FileNotFoundError(f"{SCHEMA_FILENAME} is missing from the installation; reinstall hevo-dagfactory")


_override: str | None = None  # schema text in use instead of the installed file (see using_schema)


@lru_cache(maxsize=1)
def _schema_text() -> str:
    if _override is not None:
        return _override
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


@cache
def section(pointer: str) -> dict[str, Any]:
    """The (ref-resolved) schema object at a ``#/...`` pointer, e.g. ``#/$defs/sync``."""
    return _resolve(pointer)


@cache
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


@cache
def enum_of(pointer: str) -> tuple[Any, ...]:
    return tuple(section(pointer)["enum"])


#: where each kind of file starts in the schema
_ROOTS = {"workflow": "#", "defaults": "#/$defs/folder_defaults"}


@lru_cache(maxsize=2)
def fast_check(kind: str = "workflow") -> Callable[[Any], bool] | None:
    """The compiled yes/no check (``fastcheck``) for ``kind``, or None if the schema needs jsonschema."""
    from hevo_dagfactory.spec.fastcheck import Unsupported, compile_schema

    try:
        return compile_schema(_shared_schema(), _ROOTS[kind])
    except Unsupported:
        return None


@lru_cache(maxsize=1)
def validator_class() -> Any:
    """Draft 2020-12 with our meaning of ``integer`` (a YAML integer, not 2.0) and ECMA-262 ``pattern``."""
    from jsonschema import Draft202012Validator, ValidationError, validators  # lazy: ~120 ms

    from hevo_dagfactory.spec.fastcheck import TYPES
    from hevo_dagfactory.spec.patterns import compiled

    def pattern(validator: Any, patrn: str, instance: Any, schema: dict) -> Iterator[ValidationError]:
        if validator.is_type(instance, "string") and not compiled(patrn).search(instance):
            yield ValidationError(f"{instance!r} does not match {patrn!r}")

    checker = Draft202012Validator.TYPE_CHECKER.redefine("integer", lambda _checker, x: TYPES["integer"](x))
    # jsonschema's stubs leave extend() untyped
    return validators.extend(  # type: ignore[no-untyped-call]
        Draft202012Validator, validators={"pattern": pattern}, type_checker=checker
    )


@lru_cache(maxsize=2)
def validator(kind: str = "workflow") -> Any:
    """Compiled jsonschema validator for ``workflow`` files or a folder's ``defaults`` file."""
    cls = validator_class()
    schema = _shared_schema()
    if kind == "workflow":
        return cls(schema)
    if kind == "defaults":
        from referencing import Registry, Resource

        resource = Resource.from_contents(schema)
        registry = Registry().with_resource(schema["$id"], resource)
        return cls({"$ref": schema["$id"] + _ROOTS["defaults"]}, registry=registry)
    raise ValueError(kind)


_CACHED = (_schema_text, _shared_schema, section, defaults_of, enum_of, fast_check, validator)


@contextmanager
def using_schema(schema: dict[str, Any]) -> Iterator[None]:
    """Load files against ``schema`` instead of the installed one while the block runs.

    For tests and for trying a schema change (such as a new step kind) before editing the file.
    """
    global _override
    previous = _override
    _override = json.dumps(schema)
    for fn in _CACHED:
        fn.cache_clear()
    try:
        yield
    finally:
        _override = previous
        for fn in _CACHED:
            fn.cache_clear()
