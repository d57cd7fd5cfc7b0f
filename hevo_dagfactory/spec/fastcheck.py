"""A yes/no schema check compiled to plain Python closures: the fast path of ``validate``.

Why: almost every file a run checks is valid, and for a valid file all we need is "valid".
jsonschema answers that by walking the schema and re-creating a validator for every value
(about 1 ms per workflow, plus ~120 ms to import it with its format checkers). The closures
built here give the same answer in a few microseconds, so a run over valid files never
imports jsonschema; a file the fast check rejects is handed to jsonschema, which finds and
explains every error. The two agree by construction and by test (a property-based test
compares them on random documents).

Same meaning as ``schema.validator``: Draft 2020-12 keywords, with our two deliberate
choices: ``integer`` is a YAML integer (``2``, not ``2.0``; never a boolean) and ``pattern``
is matched with ECMA-262 semantics (``patterns.compiled``). Only the keywords the shipped
schema uses are compiled; any other keyword raises :class:`Unsupported` at compile time, and
the loader then uses jsonschema for every file, so a schema edit can make ``validate``
slower but never wrong. A value the compiled check cannot judge exactly raises
:class:`Unsure` while checking (the caller falls back to jsonschema for that file).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hevo_dagfactory.spec.patterns import compiled as ecma_regex

Check = Callable[[Any], bool]

#: keywords that never affect validity
ANNOTATIONS = frozenset(
    {
        "$schema",
        "$id",
        "$comment",
        "$defs",
        "title",
        "description",
        "examples",
        "default",
        "errorMessage",
        "deprecated",
        "readOnly",
        "writeOnly",
    }
)


class Unsupported(Exception):
    """The schema uses a keyword (or a form of one) this compiler does not implement."""


class Unsure(Exception):
    """This value is outside what the compiled check judges exactly; ask jsonschema."""


def _is_integer(x: Any) -> bool:
    return type(x) is int  # bool is a subclass of int; 2.0 is not a YAML integer


def _is_number(x: Any) -> bool:
    return type(x) in (int, float)


TYPES: dict[str, Check] = {
    "string": lambda x: type(x) is str,
    "integer": _is_integer,
    "number": _is_number,
    "boolean": lambda x: type(x) is bool,
    "null": lambda x: x is None,
    "array": lambda x: type(x) is list,
    "object": lambda x: type(x) is dict,
}


def compile_schema(root: dict[str, Any], pointer: str = "#") -> Check:
    """A predicate for the (sub)schema of ``root`` at ``pointer``; raises ``Unsupported``."""
    return _Compiler(root).at(pointer)


def _all(checks: list[Check]) -> Check:
    """One check that passes when every check passes (unrolled: this runs for every value)."""
    if not checks:
        return lambda x: True
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        a, b = checks
        return lambda x: a(x) and b(x)
    if len(checks) == 3:
        a, b, c = checks
        return lambda x: a(x) and b(x) and c(x)
    head, rest = checks[0], _all(checks[1:])
    return lambda x: head(x) and rest(x)


class _Compiler:
    def __init__(self, root: dict[str, Any]):
        self.root = root
        self.by_ref: dict[str, Check] = {}

    def at(self, ref: str) -> Check:
        if not ref.startswith("#"):
            raise Unsupported(f"only local $ref is compiled, not {ref!r}")
        if ref not in self.by_ref:
            slot: list[Check] = []
            self.by_ref[ref] = lambda x: slot[0](x)  # used only by a schema that refers to itself
            node: Any = self.root
            for part in ref[1:].lstrip("/").split("/") if ref.strip("#/") else ():
                node = node[part.replace("~1", "/").replace("~0", "~")]
            slot.append(self.node(node))
            self.by_ref[ref] = slot[0]  # later users call the check directly
        return self.by_ref[ref]

    def node(self, schema: Any) -> Check:
        if schema is True:
            return lambda x: True
        if schema is False:
            return lambda x: False
        if not isinstance(schema, dict):
            raise Unsupported(f"schema must be an object or a boolean, not {schema!r}")
        checks: list[Check] = []
        for key, value in schema.items():
            if key in ANNOTATIONS or key in ("properties",):
                continue  # "properties" is compiled together with additionalProperties below
            build = getattr(self, "k_" + key.lstrip("$"), None)
            if build is None:
                raise Unsupported(f"keyword {key!r} is not compiled")
            checks.append(build(value, schema))
        if "properties" in schema and "additionalProperties" not in schema:
            checks.append(self.k_additionalProperties(True, schema))
        return _all(checks)

    # --- keywords, each with jsonschema's meaning --------------------------------------------
    def k_ref(self, ref: str, schema: dict) -> Check:
        return self.at(ref)

    def k_type(self, types: Any, schema: dict) -> Check:
        names = [types] if isinstance(types, str) else list(types)
        try:
            preds = [TYPES[t] for t in names]
        except KeyError as exc:
            raise Unsupported(f"unknown type {exc}") from None
        if len(preds) == 1:
            return preds[0]
        return lambda x: any(p(x) for p in preds)

    def k_enum(self, values: list, schema: dict) -> Check:
        if not all(type(v) is str for v in values):
            raise Unsupported("enum of non-strings")
        allowed = frozenset(values)
        return lambda x: type(x) is str and x in allowed

    def k_pattern(self, pattern: str, schema: dict) -> Check:
        try:
            search = ecma_regex(pattern).search
        except ValueError as exc:
            raise Unsupported(str(exc)) from None
        return lambda x: type(x) is not str or search(x) is not None

    def k_minLength(self, n: int, schema: dict) -> Check:
        return lambda x: type(x) is not str or len(x) >= n

    def k_maxLength(self, n: int, schema: dict) -> Check:
        return lambda x: type(x) is not str or len(x) <= n

    def k_minimum(self, n: Any, schema: dict) -> Check:
        return lambda x: not _is_number(x) or x >= n

    def k_maximum(self, n: Any, schema: dict) -> Check:
        return lambda x: not _is_number(x) or x <= n

    def k_required(self, names: list, schema: dict) -> Check:
        wanted = tuple(names)
        return lambda x: type(x) is not dict or all(n in x for n in wanted)

    def k_additionalProperties(self, extra: Any, schema: dict) -> Check:
        if "patternProperties" in schema:
            raise Unsupported("patternProperties")
        props = {name: self.node(sub) for name, sub in schema.get("properties", {}).items()}
        rest = self.node(extra)

        get = props.get

        def check(x: Any) -> bool:
            if type(x) is not dict:
                return True
            for key, value in x.items():
                if not get(key, rest)(value):
                    return False
            return True

        return check

    def k_propertyNames(self, sub: Any, schema: dict) -> Check:
        names = self.node(sub)
        return lambda x: type(x) is not dict or all(names(k) for k in x)

    def k_items(self, sub: Any, schema: dict) -> Check:
        if "prefixItems" in schema:
            raise Unsupported("prefixItems")
        item = self.node(sub)

        def check(x: Any) -> bool:
            if type(x) is not list:
                return True
            for v in x:
                if not item(v):
                    return False
            return True

        return check

    def k_minItems(self, n: int, schema: dict) -> Check:
        return lambda x: type(x) is not list or len(x) >= n

    def k_uniqueItems(self, unique: bool, schema: dict) -> Check:
        if not unique:
            return lambda x: True

        def check(x: Any) -> bool:
            if type(x) is not list:
                return True
            if not all(type(v) is str for v in x):
                raise Unsure("uniqueItems over non-strings")  # jsonschema's equality rules; rare
            return len(set(x)) == len(x)

        return check

    def k_oneOf(self, subs: list, schema: dict) -> Check:
        branches = [self.node(s) for s in subs]
        return lambda x: sum(1 for b in branches if b(x)) == 1

    def k_anyOf(self, subs: list, schema: dict) -> Check:
        branches = [self.node(s) for s in subs]
        return lambda x: any(b(x) for b in branches)

    def k_allOf(self, subs: list, schema: dict) -> Check:
        branches = [self.node(s) for s in subs]
        return lambda x: all(b(x) for b in branches)
