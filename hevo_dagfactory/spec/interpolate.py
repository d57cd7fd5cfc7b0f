"""``${VAR}`` / ``${VAR:-default}`` expansion inside string values, after parsing.

Why after parsing and only in strings: expanding the raw file text (as dag-factory
does with ``os.path.expandvars``) lets a variable inject YAML structure, clobbers
``$`` in bash and dbt commands, and can leak secrets into places nobody expected.
Here a variable can only ever become (part of) one string value. ``$$`` is a literal
``$``; a lone ``$`` not followed by ``{`` is left alone, so ``echo $HOME`` still reaches
bash unchanged. Any other ``${...}`` form is an error that says how to escape it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from hevo_dagfactory.spec.errors import ConfigError

_TOKEN = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$\{[^}]*\}?")
_VAR_NAME = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)")

#: A variable's value shorter than this is hidden only where messages quote values themselves (see scrub).
SCRUB_MIN = 8
#: Called with (json pointer, message, hint) for every problem found.
Report = Callable[[str, str, str], None]


@dataclass
class Expansions:
    """What expansion did to one file: the text as written wherever a variable was used.

    Why: a value that came from the environment may be a secret (``pipeline_id: ${TOKEN}``), and
    error messages end up in CI logs and the Airflow UI. Messages quote ``raw[ptr]`` (the text as
    written, ``'${TOKEN}'``) instead of the value; ``values`` lets the loader scrub any message
    text that still holds one (see ``loader``).
    """

    raw: dict[str, str] = field(default_factory=dict)  # pointer -> the string as written in the file
    values: dict[str, str] = field(default_factory=dict)  # variable name -> the value it supplied


def variable_names(raw: str) -> list[str]:
    """``['A', 'B']`` for ``'${A}-${B:-x}'``."""
    return _VAR_NAME.findall(raw)


def expand_string(
    value: str, env: Mapping[str, str], ptr: str, report: Report | None, used: Expansions | None = None
) -> str:
    """Expand one string. With ``report=None`` unset variables stay as written (lenient mode)."""
    if "$" not in value:
        return value
    changed = False

    def sub(match: re.Match[str]) -> str:
        nonlocal changed
        text = match.group(0)
        if text == "$$":
            return "$"
        name = match.group(1)
        if name is None:
            if report is not None:
                report(
                    ptr,
                    f"unsupported variable expression {text!r}",
                    f"write ${{NAME}} or ${{NAME:-default}}, or $$ for a literal '$' such as ${text}",
                )
            return text
        default = match.group(2)
        if default is not None and "${" in default:
            if report is not None:
                report(
                    ptr,
                    f"the default of ${{{name}}} holds another variable; nested defaults are not supported",
                    f"give {name} a literal default such as ${{{name}:-value}}, or set {name}",
                )
            return text
        found = env.get(name)
        if found is not None and (found != "" or default is None):
            changed = True
            if used is not None:
                used.values[name] = found
            return found
        if default is not None:
            changed = True
            return default
        if report is not None:
            report(
                ptr,
                f"environment variable {name} is not set",
                f"set {name}, or give a default: ${{{name}:-value}}",
            )
        return text

    out = _TOKEN.sub(sub, value)
    if changed and used is not None:
        used.raw[ptr] = value
    return out


def expand(
    data: Any,
    env: Mapping[str, str],
    ptr: str,
    report: Report | None,
    skip: Callable[[str], bool] | None = None,
    used: Expansions | None = None,
) -> Any:
    """Return ``data`` with every string value expanded; mapping keys are never touched.

    ``skip(ptr)`` marks subtrees expanded leniently (unset variables kept as written,
    no report): environment overlays that are not selected must not demand variables
    that only exist in their own environment. ``used`` collects what was expanded where.
    """
    if isinstance(data, str):
        return expand_string(data, env, ptr, report, used)
    if isinstance(data, dict):
        out = {}
        for key, value in data.items():
            if _plain(value):  # most values: nothing to expand, no pointer to build
                out[key] = value
                continue
            child = f"{ptr}/{key.replace('~', '~0').replace('/', '~1')}"
            child_report = None if (skip is not None and skip(child)) else report
            out[key] = expand(value, env, child, child_report, skip if child_report is not None else None, used)
        return out
    if isinstance(data, list):
        return [v if _plain(v) else expand(v, env, f"{ptr}/{i}", report, skip, used) for i, v in enumerate(data)]
    return data


def _plain(value: Any) -> bool:
    """A scalar that expansion leaves as it is."""
    return not isinstance(value, (dict, list)) and not (isinstance(value, str) and "$" in value)


def has_unresolved(value: Any) -> bool:
    """True for a string still holding a ``${...}`` left by lenient expansion."""
    return isinstance(value, str) and "${" in value


def scrub(errors: list[ConfigError], expansions: list[Expansions]) -> list[ConfigError]:
    """Replace any variable's value left in a message or hint by ``${NAME}``.

    Messages quote a variable's text as written wherever we name a value ourselves (see
    ``Positions.quote``); this is the backstop for text we do not write (jsonschema, croniter,
    datetime). Values shorter than ``SCRUB_MIN`` are left: replacing "true" or "eu" inside our
    own hints would garble them, and so short a value is no secret.
    """
    values = {v: n for exp in expansions for n, v in exp.values.items() if len(v) >= SCRUB_MIN}
    if not values or not errors:
        return errors

    def clean(text: str | None) -> str | None:
        if text:
            for value, name in values.items():
                text = text.replace(value, "${" + name + "}")
        return text

    return [replace(e, message=clean(e.message) or e.message, hint=clean(e.hint)) for e in errors]
