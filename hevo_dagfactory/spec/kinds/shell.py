"""Shell command lines for the Bash-based step kinds: quoting after rendering, env, paths (no Airflow).

Why a module of its own: the command line is the security boundary of the factory. A dbt step's
command is kept as a list of arguments (``dbt.dbt_argv``) and joined into one shell line only
AFTER Airflow has rendered the Jinja in it (:func:`join_argv`, called by
``factory.operators.DbtBashOperator``). Quoting before rendering would be useless: a value such as
``{{ dag_run.conf.day }}`` renders into whatever a user triggering the DAG typed, quotes and
semicolons included. Quoted after rendering, ``x'; touch /tmp/pwned; echo '`` reaches dbt as one
literal argument. Keeping this free of Airflow lets the tests run the exact string through bash.
"""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

#: One argument of a command line before rendering: a string, or (for dbt's ``--vars``) a mapping
#: that is JSON-encoded after its values have been rendered.
Arg = str | Mapping[str, Any]


def resolve_path(value: str | os.PathLike[str] | None, base_dir: Path | None) -> str | None:
    """Make a relative path absolute against the workflow file's folder (bundle-safe).

    Absolute paths, ``~`` paths and Jinja-templated values are returned as written.
    """
    if value is None:
        return None
    text = os.fspath(value)
    if not text or base_dir is None or "{{" in text or text.startswith("~") or os.path.isabs(text):
        return text
    return os.path.normpath(os.path.join(base_dir, text))


def join_argv(argv: Iterable[Any]) -> str:
    """One shell command line: every argument ``shlex``-quoted, a mapping JSON-encoded first.

    Call it on RENDERED arguments (see the module docstring); on unrendered ones it gives the
    line as written in the file, which is what the DAG shows before a run.
    """
    return shlex.join(encode_arg(a) for a in argv)


def encode_arg(arg: Any) -> str:
    """One argument as text: a mapping JSON-encoded (keys sorted), anything else ``str``-ed."""
    return json.dumps(plain(arg), sort_keys=True) if isinstance(arg, Mapping) else str(arg)


def plain(value: Any) -> Any:
    """Frozen model containers (tuples, mapping proxies) → JSON-friendly lists and dicts."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def plain_env(env: Mapping[str, Any] | Iterable[tuple[str, Any]] | None) -> dict[str, str] | None:
    """An env mapping with string values, or None when empty (BashOperator then keeps the worker's env)."""
    if not env:
        return None
    items = env.items() if isinstance(env, Mapping) else env
    return {str(k): str(v) for k, v in items}
