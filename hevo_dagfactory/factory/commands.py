"""Shell command lines for the dbt and bash steps (pure functions, no Airflow import).

Why a module of its own: the command line is the security boundary of the factory. Every value
that comes from a workflow file is passed through :func:`shlex.quote`, so a ``select`` entry like
``x; touch /tmp/pwned`` reaches dbt as one literal argument instead of a second shell command.
Keeping this free of Airflow lets the injection test run the exact string through bash.
"""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

#: Airflow's BashOperator treats a ``bash_command`` ending in one of these as a Jinja template
#: *file* to load (and fails with TemplateNotFound at run time). A trailing space opts out.
_TEMPLATE_FILE_SUFFIXES = (".sh", ".bash")


def _q(value: Any) -> str:
    return shlex.quote(str(value))


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


def dbt_command(step: Any, base_dir: Path | None = None) -> str:
    """Build ``dbt <command> --select ... --vars '<json>' ...`` from a ``DbtStep``.

    The executable is the bare word ``dbt``: bash resolves it on the worker's PATH at run
    time, so a virtualenv or a stand-in placed first on PATH is honoured. Relative
    ``project_dir``/``profiles_dir`` resolve against the workflow file's folder.
    """
    parts = ["dbt", _q(step.command)]
    select = _as_list(getattr(step, "select", None))
    if select:
        parts.append("--select")
        parts.extend(_q(s) for s in select)
    exclude = _as_list(getattr(step, "exclude", None))
    if exclude:
        parts.append("--exclude")
        parts.extend(_q(s) for s in exclude)
    if getattr(step, "selector", None):
        parts += ["--selector", _q(step.selector)]
    dbt_vars = getattr(step, "vars", None)
    if dbt_vars:
        parts += ["--vars", _q(json.dumps(_plain(dbt_vars), sort_keys=True, separators=(", ", ": ")))]
    if getattr(step, "target", None):
        parts += ["--target", _q(step.target)]
    project_dir = resolve_path(getattr(step, "project_dir", None), base_dir)
    if project_dir:
        parts += ["--project-dir", _q(project_dir)]
    profiles_dir = resolve_path(getattr(step, "profiles_dir", None), base_dir)
    if profiles_dir:
        parts += ["--profiles-dir", _q(profiles_dir)]
    if getattr(step, "full_refresh", False):
        parts.append("--full-refresh")
    threads = getattr(step, "threads", None)
    if threads is not None:
        parts += ["--threads", _q(int(threads))]
    return " ".join(parts)


def bash_command(command: str) -> str:
    """The user's command as written, protected from BashOperator's template-file lookup.

    A command such as ``./scripts/notify.sh`` would otherwise be read as the path of a Jinja
    template file; one trailing space (meaningless to bash) keeps it a command.
    """
    if command.rstrip().endswith(_TEMPLATE_FILE_SUFFIXES):
        return command.rstrip() + " "
    return command


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
