"""Schema ``pattern`` regexes with ECMA-262 meaning, compiled for Python's ``re``.

Why: JSON Schema defines ``pattern`` as an ECMA-262 regex, and that is what editors run
(yaml-language-server underlines a value while you type). Python's ``re`` reads the same
text differently in ways that let bad values through: ``$`` also matches before a final
``\\n`` (so ``dag_id: "abc\\n"`` passed ``^[A-Za-z0-9_.-]{1,200}$``), and ``\\d``/``\\w``
match any Unicode digit or letter. Translating the few differing tokens keeps the schema
portable: the file is valid for us exactly when it is valid in an editor.

Translated, outside and inside ``[...]``: ``$`` → ``\\Z`` (end of text only), ``\\d`` →
``[0-9]``, ``\\w`` → ``[A-Za-z0-9_]``, ``\\s`` → ECMA's white space and line terminators
(and their negations outside classes). Anything else is passed through; the constructs whose
meaning differs and that the schema does not use (``[]``, ``\\D`` inside a class...) are refused.
"""

from __future__ import annotations

import re
from functools import cache

#: ECMA-262 WhiteSpace and LineTerminator code points (what ``\\s`` means there)
_SPACE = "\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"
_CLASS_INSIDE = {"d": "0-9", "w": "A-Za-z0-9_", "s": _SPACE}
_CLASS_OUTSIDE = {
    **{k: f"[{v}]" for k, v in _CLASS_INSIDE.items()},
    **{k.upper(): f"[^{v}]" for k, v in _CLASS_INSIDE.items()},
}


def ecma_to_python(pattern: str) -> str:
    """The Python ``re`` source that matches what ``pattern`` matches in ECMA-262 (no flags)."""
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            table = _CLASS_INSIDE if in_class else _CLASS_OUTSIDE
            if nxt in table:
                out.append(table[nxt])
            elif in_class and nxt in "DWS":
                raise ValueError(f"pattern {pattern!r}: \\{nxt} inside [...] is not supported")
            else:
                out.append(ch + nxt)
            i += 2
            continue
        if in_class:
            if ch == "]":
                in_class = False
            out.append(ch)
        elif ch == "[":
            in_class = True
            out.append(ch)
            if pattern[i + 1 : i + 2] == "^":
                out.append("^")
                i += 1
            if pattern[i + 1 : i + 2] == "]":  # ECMA: an empty class; Python: a literal ']'
                raise ValueError(f"pattern {pattern!r}: '[]' and '[^]' are not supported")
        elif ch == "$":
            out.append(r"\Z")
        else:
            out.append(ch)
        i += 1
    return "".join(out)


@cache
def compiled(pattern: str) -> re.Pattern[str]:
    """``pattern`` (ECMA-262) compiled once per process; use ``.search`` as JSON Schema does."""
    return re.compile(ecma_to_python(pattern))
