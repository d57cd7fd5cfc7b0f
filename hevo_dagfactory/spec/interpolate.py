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
from typing import Any

_TOKEN = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$\{[^}]*\}?")

#: Called with (json pointer, message, hint) for every problem found.
Report = Callable[[str, str, str], None]


def expand_string(value: str, env: Mapping[str, str], ptr: str, report: Report | None) -> str:
    """Expand one string. With ``report=None`` unset variables stay as written (lenient mode)."""
    if "$" not in value:
        return value

    def sub(match: re.Match[str]) -> str:
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
        found = env.get(name)
        if found is not None and (found != "" or match.group(2) is None):
            return found
        if match.group(2) is not None:
            return match.group(2)
        if report is not None:
            report(
                ptr,
                f"environment variable {name} is not set",
                f"set {name}, or give a default: ${{{name}:-value}}",
            )
        return text

    return _TOKEN.sub(sub, value)


def expand(data: Any, env: Mapping[str, str], ptr: str, report: Report | None,
           skip: Callable[[str], bool] | None = None) -> Any:
    """Return ``data`` with every string value expanded; mapping keys are never touched.

    ``skip(ptr)`` marks subtrees expanded leniently (unset variables kept as written,
    no report): environment overlays that are not selected must not demand variables
    that only exist in their own environment.
    """
    if isinstance(data, str):
        return expand_string(data, env, ptr, report)
    if isinstance(data, dict):
        out = {}
        for key, value in data.items():
            child = f"{ptr}/{key.replace('~', '~0').replace('/', '~1')}"
            child_report = None if (skip is not None and skip(child)) else report
            out[key] = expand(value, env, child, child_report, skip if child_report is not None else None)
        return out
    if isinstance(data, list):
        return [expand(v, env, f"{ptr}/{i}", report, skip) for i, v in enumerate(data)]
    return data


def has_unresolved(value: Any) -> bool:
    """True for a string still holding a ``${...}`` left by lenient expansion."""
    return isinstance(value, str) and "${" in value
