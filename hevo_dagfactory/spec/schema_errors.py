"""Turn jsonschema's errors into ``ConfigError``s a person can act on.

Why: jsonschema's messages quote whole instances and regexes ("... does not match
'^(\\d+|(?=...'"). Users need the key that is wrong, where it is, and what to write
instead: unknown keys point at the key itself with a did-you-mean, enums list the
allowed values, patterns use the schema's ``errorMessage`` (the same text editors
show through yaml-language-server).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from typing import Any

from hevo_dagfactory.spec.errors import ConfigError
from hevo_dagfactory.spec.positions import Positions
from hevo_dagfactory.spec.yamlsafe import pointer_escape

_TYPE_NAMES = {
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping",
    "null": "null",
}


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """``did you mean 'x'?`` for the closest choice, if any is close enough."""
    match = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f"did you mean {match[0]!r}?" if match else None


def describe(value: Any, written: str | None = None) -> str:
    """How a message names a value; ``written`` is the text as written when ``${VAR}`` made it."""
    if written is not None:
        return f"{written!r} (a string once expanded)"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"number {value}"
    if isinstance(value, str):
        return f"string {value!r}" if len(value) < 60 else "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _name(path: list[Any]) -> str:
    """How a message names the value: its key, or ``entry 2 of syncs`` for list items."""
    if not path:
        return "the file"
    last = path[-1]
    if isinstance(last, int):
        parent = next((p for p in reversed(path[:-1]) if isinstance(p, str)), "the list")
        return f"entry {last + 1} of {parent}"
    return str(last)


def _ptr(path: Iterable[Any]) -> str:
    return "".join("/" + pointer_escape(str(p)) for p in path)


def schema_errors(
    data: Any,
    kind: str,
    pos: Positions,
    *,
    ignore: Callable[[str, Any], bool] | None = None,
) -> list[ConfigError]:
    """Every schema violation in ``data`` (a ``workflow`` or ``defaults`` file) as a positioned ``ConfigError``.

    The compiled check answers for valid files; only a file it rejects (or cannot judge)
    pays for jsonschema, which explains each error.
    """
    from hevo_dagfactory.spec import schema as S
    from hevo_dagfactory.spec.fastcheck import Unsure

    fast = S.fast_check(kind)
    if fast is not None:
        try:
            if fast(data):
                return []
        except Unsure:
            pass
    out: list[ConfigError] = []
    for err in S.validator(kind).iter_errors(data):
        out.extend(_convert(err, pos, ignore))
    return out


def _convert(err: Any, pos: Positions, ignore: Callable[[str, Any], bool] | None) -> list[ConfigError]:
    found = _Found(err, pos)
    if ignore is not None and ignore(found.ptr, err.instance):
        return []
    kw = err.validator
    explain = _BY_KEYWORD.get(kw)
    if explain is not None:
        result = explain(found)
        if result is not None:
            return result
    return [found.generic()]


class _Found:
    """One jsonschema error with what every message needs: pointer, name, the value as written."""

    def __init__(self, err: Any, pos: Positions):
        self.err, self.pos = err, pos
        self.path = list(err.absolute_path)
        self.ptr = _ptr(self.path)
        self.schema = err.schema if isinstance(err.schema, dict) else {}
        self.name = _name(self.path)
        self.written = pos.written(self.ptr)
        self.shown = describe(err.instance, self.written)

    def mk(self, message: str, at_ptr: str | None, hint: str | None, kind: str, key: bool = False) -> ConfigError:
        at_ptr = self.ptr if at_ptr is None else at_ptr
        file, line, col = self.pos.at(at_ptr, key=key)
        return ConfigError(message, file, line, col, at_ptr or None, hint, kind)

    def one(self, message: str, hint: str | None, kind: str) -> list[ConfigError]:
        return [self.mk(message, None, hint, kind)]

    def generic(self) -> ConfigError:
        if self.pos.expanded_under(self.ptr):  # jsonschema's own message quotes the value, which may be a secret
            return self.mk(
                f"{self.name} does not match the schema (keyword {self.err.validator!r})", None, None, "schema"
            )
        return self.mk(f"{self.name}: {self.err.message}", None, None, "schema")


def _unknown_keys(f: _Found) -> list[ConfigError] | None:
    if not isinstance(f.err.instance, dict):
        return None
    allowed = list(f.schema.get("properties", {}))
    errors = []
    for key in f.err.instance:
        if key in allowed:
            continue
        hint = did_you_mean(key, allowed) or (f"allowed keys here: {', '.join(allowed)}" if allowed else "remove it")
        errors.append(f.mk(f"unknown key {key!r}", f"{f.ptr}/{pointer_escape(key)}", hint, "unknown_key", key=True))
    return errors


def _missing_keys(f: _Found) -> list[ConfigError] | None:
    if not isinstance(f.err.instance, dict):
        return None
    missing = [k for k in f.schema.get("required", []) if k not in f.err.instance]
    where_name = f"'{f.name}'" if f.path else "the file"
    return [
        f.mk(f"missing required key {k!r} in {where_name}", None, f"add '{k}: ...'", "missing_key") for k in missing
    ]


def _enum(f: _Found) -> list[ConfigError]:
    allowed = [str(v) for v in f.schema.get("enum", [])]
    value = f.err.instance
    # no did-you-mean for a variable's value: how close it is to a name says something about it
    hint = did_you_mean(value, allowed) if isinstance(value, str) and f.written is None else None
    hint = hint or f"use one of: {', '.join(allowed)}"
    return f.one(f"{f.name} must be one of {', '.join(allowed)}, not {f.shown}", hint, "enum")


def _type(f: _Found) -> list[ConfigError]:
    value = f.err.validator_value
    types: list[str] = [str(t) for t in value] if isinstance(value, list) else [str(value)]
    wanted = " or ".join(_TYPE_NAMES.get(t, t) for t in types)
    hint = _variable_hint(types) if f.written is not None else _type_hint(f.err.instance, types, f.path)
    return f.one(f"{f.name} must be {wanted}, not {f.shown}", hint, "type")


def _pattern(f: _Found) -> list[ConfigError]:
    if "propertyNames" in f.err.schema_path:
        hint = (
            "names use lower-case letters, digits, '_' and '-'"
            if "environments" in f.path
            else "names use letters, digits and '_' and do not start with a digit"
        )
        at = f"{f.ptr}/{pointer_escape(str(f.err.instance))}"
        return [f.mk(f"invalid name {f.err.instance!r} in '{f.name}'", at, hint, "invalid_name", key=True)]
    hint = f.schema.get("errorMessage") or f"it must match the pattern {f.err.validator_value}"
    return f.one(f"invalid {f.name}: {f.shown}", hint, "pattern")


def _one_of(f: _Found) -> list[ConfigError] | None:
    message = f.schema.get("errorMessage")
    return f.one(message, None, f.err.validator) if message else None


def _bounds(f: _Found) -> list[ConfigError]:
    bound = "at least" if f.err.validator == "minimum" else "at most"
    return f.one(f"{f.name} must be {bound} {f.err.validator_value}, not {f.err.instance}", None, "range")


#: jsonschema keyword → how its error is explained (None from a function: the generic message)
_BY_KEYWORD: dict[str, Callable[[_Found], list[ConfigError] | None]] = {
    "additionalProperties": _unknown_keys,
    "required": _missing_keys,
    "enum": _enum,
    "type": _type,
    "pattern": _pattern,
    "oneOf": _one_of,
    "anyOf": _one_of,
    "minimum": _bounds,
    "maximum": _bounds,
    "minLength": lambda f: f.one(f"{f.name} must not be empty", "write a value or remove the key", "empty"),
    "maxLength": lambda f: f.one(f"{f.name} must be at most {f.err.validator_value} characters long", None, "range"),
    "minItems": lambda f: f.one(f"{f.name} needs at least {f.err.validator_value} item(s)", None, "empty"),
    "uniqueItems": lambda f: f.one(f"{f.name} lists the same value twice", "remove the duplicate", "duplicate_item"),
}


def _param_hint(name: str) -> str:
    """A ``params:`` entry that is not a mapping: a mistyped built-in, or a parameter written as a value."""
    from hevo_dagfactory.spec import schema as S

    builtins = list(S.section("#/properties/params")["properties"])
    return did_you_mean(name, builtins) or (
        "a parameter is a mapping such as {type: string, default: x}; the built-ins are "
        + ", ".join(f"{b}: true" for b in builtins)
    )


def _variable_hint(types: list[str]) -> str:
    """A ``${VAR}`` value has the wrong type: quotes are not the problem, the variable is."""
    wanted = " or ".join(_TYPE_NAMES.get(t, t) for t in types if t != "null")
    return f"${{VAR}} always yields a string, and this key needs {wanted}: write the value itself, without a variable"


def _type_hint(value: Any, types: list[str], path: list[Any]) -> str | None:
    if len(path) >= 2 and path[-2] == "params" and not isinstance(value, dict):
        return _param_hint(str(path[-1]))
    if isinstance(value, float) and "integer" in types:
        if value.is_integer() and abs(value) < 1e15:
            return f"write {int(value)}, not {value}"
        return "write a whole number such as 2, without a decimal point or exponent"
    if isinstance(value, str) and "integer" in types and value.strip().isdigit():
        return "remove the quotes"
    if value is None:
        return "write a value after the ':' or remove the key"
    if "boolean" in types and isinstance(value, str):
        return "write true or false without quotes"
    if types == ["array"] and not isinstance(value, (list, dict)):
        return f"write a list, e.g. [{value}]" if isinstance(value, str) and len(value) < 40 else "write a list: [a, b]"
    if "object" in types and not isinstance(value, dict):
        return "write 'key: value' lines indented under this key"
    if "string" in types and not isinstance(value, (dict, list)):
        return "put the value in quotes"
    return None
