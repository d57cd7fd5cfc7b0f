"""The ``bash`` step kind: the user's own command, as written, with its env and working folder.

It runs as ``factory.operators.WorkflowBashOperator`` (a BashOperator that never reads a value as a
template file name). The DAG docs never show the command: commands are where people put tokens.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hevo_dagfactory.spec.kinds.registry import BodyContext, StepKind, register_step_kind, string_env
from hevo_dagfactory.spec.kinds.shell import plain_env, resolve_path


@dataclass(frozen=True)
class BashStep:
    command: str
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: Path | None = None  # absolute when set


def parse(raw: str | dict[str, Any], ctx: BodyContext) -> BashStep:
    if isinstance(raw, str):
        return BashStep(command=raw)
    return BashStep(command=raw["command"], env=string_env(raw.get("env")), cwd=ctx.path("cwd", raw.get("cwd")))


def task_args(step: BashStep, folder: Path) -> dict[str, Any]:
    """The command as written, with its env (added to the worker's) and cwd."""
    return {
        "bash_command": step.command,
        "env": plain_env(step.env),
        "append_env": True,
        "cwd": resolve_path(step.cwd, folder),
    }


# The command itself may span lines (a ``|`` block is a script); its working folder and
# environment values may not.
BASH = register_step_kind(
    StepKind(
        "bash",
        parse,
        single_line=("cwd", "env/*"),
        doc_summary=lambda step: "bash command (see the task's rendered template)",
        show_line=lambda step: "bash: " + step.command.strip().replace("\n", " ⏎ "),
        operator="hevo_dagfactory.factory.operators:WorkflowBashOperator",
        task_args=task_args,
    )
)
