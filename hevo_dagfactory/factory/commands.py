"""Shell command lines for the dbt steps (pure functions, no Airflow import).

Why a module of its own: the command line is the security boundary of the factory. A dbt step's
command is kept as a list of arguments (:func:`dbt_argv`) and joined into one shell line only
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

#: One argument of a dbt command line before rendering: a string, or (for ``--vars``) a mapping
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


def _as_list(value: str | Iterable[str] | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def dbt_argv(step: Any, base_dir: Path | None = None) -> list[Arg]:
    """``["dbt", <command>, "--select", ..., "--vars", {...}, ...]`` from a ``DbtStep``, unrendered.

    The executable is the bare word ``dbt`` (``dbt-ol``, OpenLineage's wrapper, for a step with
    ``lineage: true``): bash resolves it on the worker's PATH at run time, so a virtualenv placed
    first on PATH is honoured. Relative
    ``project_dir``/``profiles_dir`` resolve against the workflow file's folder. ``vars`` stays
    a mapping (plain dicts and lists), so Airflow renders its values and :func:`join_argv`
    JSON-encodes the rendered result.
    """
    argv: list[Arg] = [str(getattr(step, "executable", "dbt")), str(step.command)]
    select = _as_list(getattr(step, "select", None))
    if select:
        argv += ["--select", *select]
    exclude = _as_list(getattr(step, "exclude", None))
    if exclude:
        argv += ["--exclude", *exclude]
    if getattr(step, "selector", None):
        argv += ["--selector", str(step.selector)]
    dbt_vars = getattr(step, "vars", None)
    if dbt_vars:
        argv += ["--vars", _plain(dbt_vars)]
    if getattr(step, "target", None):
        argv += ["--target", str(step.target)]
    project_dir = resolve_path(getattr(step, "project_dir", None), base_dir)
    if project_dir:
        argv += ["--project-dir", project_dir]
    profiles_dir = resolve_path(getattr(step, "profiles_dir", None), base_dir)
    if profiles_dir:
        argv += ["--profiles-dir", profiles_dir]
    if getattr(step, "full_refresh", False):
        argv.append("--full-refresh")
    threads = getattr(step, "threads", None)
    if threads is not None:
        argv += ["--threads", str(int(threads))]
    return argv


def join_argv(argv: Iterable[Any]) -> str:
    """One shell command line: every argument ``shlex``-quoted, a mapping JSON-encoded first.

    Call it on RENDERED arguments (see the module docstring); on unrendered ones it gives the
    line as written in the file, which is what the DAG shows before a run.
    """
    return shlex.join(json.dumps(_plain(a), sort_keys=True) if isinstance(a, Mapping) else str(a) for a in argv)


def dbt_command(step: Any, base_dir: Path | None = None) -> str:
    """The dbt command line before rendering: ``join_argv(dbt_argv(step, base_dir))``."""
    return join_argv(dbt_argv(step, base_dir))


def _plain(value: Any) -> Any:
    """Frozen model containers (tuples, mapping proxies) → JSON-friendly lists and dicts."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def plain_env(env: Mapping[str, Any] | Iterable[tuple[str, Any]] | None) -> dict[str, str] | None:
    """An env mapping with string values, or None when empty (BashOperator then keeps the worker's env)."""
    if not env:
        return None
    items = env.items() if isinstance(env, Mapping) else env
    return {str(k): str(v) for k, v in items}
