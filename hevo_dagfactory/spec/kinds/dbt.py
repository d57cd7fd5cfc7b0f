"""The ``dbt`` step kind: its model, parser, checks, how it is shown, and its command line.

A dbt step runs ``dbt <command> --select ... --vars '<json>' ...`` through
``factory.operators.DbtBashOperator``: the command stays a templated list of arguments
(:func:`dbt_argv`) until Airflow has rendered it, and only then is every argument shell-quoted
(``shell.join_argv``). The DAG docs show the command, selectors and target, never ``vars`` or
``env`` (where people put tokens).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hevo_dagfactory.spec import schema as S
from hevo_dagfactory.spec.kinds.registry import BodyContext, StepKind, register_step_kind, string_env
from hevo_dagfactory.spec.kinds.shell import Arg, encode_arg, join_argv, plain, plain_env, resolve_path


@dataclass(frozen=True)
class DbtStep:
    command: str
    select: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    selector: str | None = None
    vars: Mapping[str, Any] = field(default_factory=dict)
    target: str | None = None
    project_dir: Path | None = None  # absolute; None = the YAML file's folder was not overridden
    profiles_dir: Path | None = None  # absolute, or None for dbt's own lookup
    full_refresh: bool = False
    threads: int | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    lineage: bool = False  # run through dbt-ol (OpenLineage's wrapper), plain dbt where it is missing

    @property
    def executable(self) -> str:
        """``dbt-ol`` when the step emits lineage, else ``dbt``."""
        return "dbt-ol" if self.lineage else "dbt"

    def argv(self) -> list[str]:
        """The dbt command line (without the executable, ``vars`` as JSON), for display."""
        return [encode_arg(a) for a in dbt_argv(self)[1:]]


def _tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def parse(raw: dict[str, Any], ctx: BodyContext) -> DbtStep:
    fields = {**S.defaults_of("#/$defs/dbt"), **raw}
    if fields["lineage"] and not fields.get("project_dir"):
        # dbt-ol reads the project from --project-dir only (not DBT_PROJECT_DIR), and a task's working
        # folder is a fresh temporary one: without it the wrapper fails before dbt starts.
        ctx.error(
            "lineage",
            "lineage: true needs project_dir: the OpenLineage wrapper dbt-ol finds the dbt project only through it",
            "add project_dir (relative to this file's folder), e.g. project_dir: dbt/analytics",
            "missing_project_dir",
        )
    return DbtStep(
        command=fields["command"],
        select=_tuple(fields.get("select")),
        exclude=_tuple(fields.get("exclude")),
        selector=fields.get("selector"),
        vars=dict(fields.get("vars") or {}),
        target=fields.get("target"),
        project_dir=ctx.path("project_dir", fields.get("project_dir")),
        profiles_dir=ctx.path("profiles_dir", fields.get("profiles_dir")),
        full_refresh=fields["full_refresh"],
        threads=fields.get("threads"),
        env=string_env(fields.get("env")),
        lineage=fields["lineage"],
    )


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
    a mapping (plain dicts and lists), so Airflow renders its values and ``shell.join_argv``
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
        argv += ["--vars", plain(dbt_vars)]
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


def with_full_refresh(argv: list[Arg], wanted: Any) -> list[Arg]:
    """``argv`` with ``--full-refresh`` added when ``wanted`` (a rendered ``{{ params.dbt_full_refresh }}``) is true.

    ``wanted`` arrives rendered as text (``"True"``/``"False"``) or, with native rendering, as a bool;
    the flag is added once, after the other arguments, like the step's own ``full_refresh: true``.
    """
    on = wanted if isinstance(wanted, bool) else str(wanted).strip().lower() in ("true", "1", "yes", "on")
    return argv + ["--full-refresh"] if on and "--full-refresh" not in argv else list(argv)


def dbt_command(step: Any, base_dir: Path | None = None) -> str:
    """The dbt command line before rendering: ``join_argv(dbt_argv(step, base_dir))``."""
    return join_argv(dbt_argv(step, base_dir))


def task_args(step: DbtStep, folder: Path) -> dict[str, Any]:
    """``DbtBashOperator`` arguments: every user value shell-quoted after rendering, env added to the worker's."""
    argv = dbt_argv(step, folder)
    return {
        "dbt_argv": argv,
        "bash_command": join_argv(argv),  # the line as written, until Airflow renders dbt_argv
        "env": plain_env(step.env),
        "append_env": True,
    }


def doc_summary(step: DbtStep) -> str:
    """Command, selectors and target: never ``vars`` or ``env``."""
    parts = [f"dbt {step.command}"]
    if step.select:
        parts.append("select " + " ".join(step.select))
    if step.exclude:
        parts.append("exclude " + " ".join(step.exclude))
    if step.selector:
        parts.append(f"selector {step.selector}")
    if step.target:
        parts.append(f"target {step.target}")
    if step.full_refresh:
        parts.append("full refresh")
    if step.lineage:
        parts.append("OpenLineage events through dbt-ol")
    return "; ".join(parts)


# Every dbt value but ``vars`` is one argument of the command line; ``vars`` is passed as one JSON
# argument, where a line break is written ``\n``, so multi-line vars are fine.
DBT = register_step_kind(
    StepKind(
        "dbt",
        parse,
        single_line=(
            "command",
            "select",
            "select/*",
            "exclude",
            "exclude/*",
            "selector",
            "target",
            "project_dir",
            "profiles_dir",
            "env/*",
        ),
        doc_summary=doc_summary,
        show_line=lambda step: " ".join([step.executable, *step.argv()]),
        operator="hevo_dagfactory.factory.operators:DbtBashOperator",
        task_args=task_args,
        # the built-in run parameter: a ticked "dbt_full_refresh" adds --full-refresh (with_full_refresh)
        param_args={"dbt_full_refresh": {"full_refresh": "{{ params.dbt_full_refresh }}"}},
    )
)
