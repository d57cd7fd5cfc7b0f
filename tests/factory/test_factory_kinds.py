"""A step kind registered in one place reaches every part: validate, show, the model, the DAG docs, the DAG.

The ``echo`` kind below is what a new kind's module holds (its model, parser, checks, docs summary,
``show`` line, operator and arguments), registered inside the test together with its schema branch.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest

from hevo_dagfactory.spec import schema as S
from hevo_dagfactory.spec.kinds import STEP_KINDS, StepKind
from tests.factory.helpers import write
from tests.spec.kind_schema import schema_with_kind


@dataclass(frozen=True)
class EchoStep:
    text: str
    token: str | None = None  # a value the docs must never show


ECHO = StepKind(
    "echo",
    lambda raw, ctx: EchoStep(raw["text"], raw.get("token")),
    single_line=("text",),
    templates=("text",),
    doc_summary=lambda step: f"prints {len(step.text)} characters",
    show_line=lambda step: f"echo {step.text!r}",
    operator="hevo_dagfactory.factory.operators:WorkflowBashOperator",
    task_args=lambda step, folder: {"bash_command": shlex.join(["echo", step.text]), "cwd": str(folder)},
)

WORKFLOW = """\
dag_id: echoes
schedule: null
start_date: 2026-01-01
syncs:
  - {id: crm, pipeline_id: 7}
steps:
  - id: say
    echo: {text: hello world, token: tok-not-for-the-ui}
"""


def _schema_with_echo() -> dict:
    return schema_with_kind(
        "echo",
        {
            "type": "object",
            "properties": {"text": {"type": "string", "minLength": 1}, "token": {"type": "string"}},
            "required": ["text"],
            "additionalProperties": False,
        },
    )


@pytest.fixture
def echo_kind(monkeypatch):
    monkeypatch.setitem(STEP_KINDS, "echo", ECHO)
    with S.using_schema(_schema_with_echo()):
        yield


def _load(folder: Path) -> dict:
    from hevo_dagfactory import load_workflows

    return load_workflows(folder, {"__file__": str(folder / "loader.py")})


def test_a_registered_kind_reaches_validate_show_the_model_docs_and_dag(tmp_path, echo_kind, capsys):
    from hevo_dagfactory.cli import main
    from hevo_dagfactory.factory import cache
    from hevo_dagfactory.factory.loader import LAST_RUN
    from hevo_dagfactory.factory.operators import WorkflowBashOperator
    from hevo_dagfactory.spec import load_file

    path = write(tmp_path, "echoes.yaml", WORKFLOW)
    assert main(["validate", str(tmp_path)]) == 0
    assert "1 valid workflow(s)" in capsys.readouterr().err

    assert main(["show", str(path)]) == 0
    assert "[2] say  echo 'hello world'  <- after crm" in capsys.readouterr().out

    (step,) = load_file(path).steps
    assert (step.kind, step.echo, step.dbt, step.bash) == (
        "echo",
        EchoStep("hello world", "tok-not-for-the-ui"),
        None,
        None,
    )

    dag = _load(tmp_path)["echoes"]
    assert "config-error" not in dag.tags, dag.description
    task = dag.get_task("say")
    assert type(task) is WorkflowBashOperator
    assert (task.bash_command, task.cwd, task.upstream_task_ids) == ("echo 'hello world'", str(tmp_path), {"crm"})
    assert "| `say` | echo | crm | prints 11 characters |" in dag.doc_md
    assert "tok-not-for-the-ui" not in dag.doc_md

    cache.reset()  # a new parse process: the DAG is replayed from its build plan, the same task
    again = _load(tmp_path)["echoes"].get_task("say")
    assert LAST_RUN["replayed"] == 1 and again.bash_command == "echo 'hello world'"


def test_the_registered_kinds_checks_apply(tmp_path, echo_kind, capsys):
    from hevo_dagfactory.cli import main

    write(tmp_path, "echoes.yaml", WORKFLOW.replace("text: hello world", 'text: "two\\nlines"'))
    assert main(["validate", str(tmp_path)]) == 1
    assert "echoes.yaml:8:18: the value contains a line break [/steps/0/echo/text]" in capsys.readouterr().out


def test_a_kind_without_operator_or_builder_becomes_a_placeholder_that_says_so(tmp_path, monkeypatch):
    monkeypatch.setitem(STEP_KINDS, "echo", StepKind("echo", ECHO.parse))
    with S.using_schema(_schema_with_echo()):
        write(tmp_path, "echoes.yaml", WORKFLOW)
        dag = _load(tmp_path)["echoes"]
    assert "config-error" in dag.tags
    assert "no DAG builder for step kind 'echo'" in dag.description
