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
    path = list(err.absolute_path)
    ptr = _ptr(path)
    if ignore is not None and ignore(ptr, err.instance):
        return []
    schema = err.schema if isinstance(err.schema, dict) else {}
    kw = err.validator
    name = _name(path)
    written = pos.written(ptr)
    shown = describe(err.instance, written)
    where = lambda p, key=False: pos.at(p, key=key)  # noqa: E731

    def mk(message: str, at_ptr: str, hint: str | None, kind: str, key: bool = False) -> ConfigError:
        file, line, col = where(at_ptr, key)
        return ConfigError(message, file, line, col, at_ptr or None, hint, kind)

    if kw == "additionalProperties" and isinstance(err.instance, dict):
        allowed = list(schema.get("properties", {}))
        errors = []
        for key in err.instance:
            if key in allowed:
                continue
            hint = did_you_mean(key, allowed) or (
                f"allowed keys here: {', '.join(allowed)}" if allowed else "remove it"
            )
            errors.append(mk(f"unknown key {key!r}", f"{ptr}/{pointer_escape(key)}", hint, "unknown_key", key=True))
        return errors
    if kw == "required" and isinstance(err.instance, dict):
        missing = [k for k in schema.get("required", []) if k not in err.instance]
        where_name = f"'{name}'" if path else "the file"
        return [
            mk(f"missing required key {k!r} in {where_name}", ptr, f"add '{k}: ...'", "missing_key") for k in missing
        ]
    if kw == "enum":
        allowed = [str(v) for v in schema.get("enum", [])]
        # no did-you-mean for a variable's value: how close it is to a name says something about it
        hint = did_you_mean(err.instance, allowed) if isinstance(err.instance, str) and written is None else None
        hint = hint or f"use one of: {', '.join(allowed)}"
        return [mk(f"{name} must be one of {', '.join(allowed)}, not {shown}", ptr, hint, "enum")]
    if kw == "type":
        types = err.validator_value if isinstance(err.validator_value, list) else [err.validator_value]
        wanted = " or ".join(_TYPE_NAMES.get(t, t) for t in types)
        hint = _variable_hint(types) if written is not None else _type_hint(err.instance, types, path)
        return [mk(f"{name} must be {wanted}, not {shown}", ptr, hint, "type")]
    if kw == "pattern" and "propertyNames" in err.schema_path:
        return [
            mk(
                f"invalid name {err.instance!r} in '{name}'",
                f"{ptr}/{pointer_escape(str(err.instance))}",
                "names use lower-case letters, digits, '_' and '-'"
                if "environments" in path
                else "names use letters, digits and '_' and do not start with a digit",
                "invalid_name",
                key=True,
            )
        ]
    if kw in ("oneOf", "anyOf") and schema.get("errorMessage"):
        return [mk(schema["errorMessage"], ptr, None, kw)]
    if kw == "pattern" and schema.get("errorMessage"):
        return [mk(f"invalid {name}: {shown}", ptr, schema["errorMessage"], kw)]
    if kw == "pattern":
        return [mk(f"invalid {name}: {shown}", ptr, f"it must match the pattern {err.validator_value}", kw)]
    if kw in ("minimum", "maximum"):
        bound = "at least" if kw == "minimum" else "at most"
        return [mk(f"{name} must be {bound} {err.validator_value}, not {err.instance}", ptr, None, "range")]
    if kw == "minLength":
        return [mk(f"{name} must not be empty", ptr, "write a value or remove the key", "empty")]
    if kw == "maxLength":
        return [mk(f"{name} must be at most {err.validator_value} characters long", ptr, None, "range")]
    if kw == "minItems":
        return [mk(f"{name} needs at least {err.validator_value} item(s)", ptr, None, "empty")]
    if kw == "uniqueItems":
        return [mk(f"{name} lists the same value twice", ptr, "remove the duplicate", "duplicate_item")]
    if pos.expanded_under(ptr):  # jsonschema's own message quotes the value, which may be a secret
        return [mk(f"{name} does not match the schema (keyword {kw!r})", ptr, None, "schema")]
    return [mk(f"{name}: {err.message}", ptr, None, "schema")]


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
