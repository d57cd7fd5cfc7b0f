"""Step kinds come from a registry: a new kind needs a schema branch and a registered parser, nothing else."""

from __future__ import annotations

import pytest

from hevo_dagfactory.spec import BashStep, ConfigErrors, DbtStep, Step, load_file
from hevo_dagfactory.spec import schema as S
from hevo_dagfactory.spec.kinds import STEP_KINDS, StepKind, kind_of
from tests.spec.kind_schema import schema_with_kind


def _schema_with_echo_kind() -> dict:
    """The shipped schema plus an ``echo`` kind whose body is a string."""
    return schema_with_kind(
        "echo", {"description": "Print a line.", "type": "string", "minLength": 1, "examples": ["hi"]}
    )


@pytest.fixture
def echo_kind(monkeypatch):
    seen = []

    def parse(body, ctx):
        seen.append(ctx.ptr)
        return f"echo {body}"

    monkeypatch.setitem(STEP_KINDS, "echo", StepKind("echo", parse, single_line=("",)))
    with S.using_schema(_schema_with_echo_kind()):
        yield seen


def test_a_kind_registered_with_a_schema_branch_loads(write, echo_kind):
    path = write("wf.yaml", "syncs: [{id: crm, pipeline_id: 1}]\nsteps:\n  - {id: say, echo: hi, after: [crm]}\n")
    (step,) = load_file(path).steps
    assert step == Step("say", "echo", "echo hi", ("crm",))
    assert (step.dbt, step.bash) == (None, None)
    assert echo_kind == ["/steps/0/echo"]


def test_a_registered_kind_gets_the_declared_checks(write, echo_kind):
    path = write(
        "wf.yaml",
        'schedule: {assets: ["hevo://us/pipelines/1"]}\n'
        "steps:\n"
        '  - {id: a, echo: "one\\ntwo"}\n'
        '  - {id: b, echo: "{{ ds }}"}\n',
    )
    with pytest.raises(ConfigErrors) as info:
        load_file(path)
    got = sorted((e.line, e.col, e.error_type, e.pointer) for e in info.value.errors)
    assert got == [(3, 19, "unsafe_value", "/steps/0/echo"), (4, 19, "template_date", "/steps/1/echo")]


def test_without_the_schema_branch_the_kind_is_an_unknown_key(write, monkeypatch):
    monkeypatch.setitem(STEP_KINDS, "echo", StepKind("echo", lambda body, ctx: body))
    path = write("wf.yaml", "steps:\n  - {id: say, echo: hi}\n")
    with pytest.raises(ConfigErrors) as info:
        load_file(path)
    assert [(e.line, e.col, e.error_type) for e in info.value.errors if e.error_type == "unknown_key"] == [
        (2, 15, "unknown_key")
    ]


def test_the_schema_override_ends_with_its_block():
    with S.using_schema(_schema_with_echo_kind()):
        assert "echo" in S.section("#/$defs/step")["properties"]
    assert "echo" not in S.section("#/$defs/step")["properties"]
    assert "echo" not in S.validator().schema["$defs"]["step"]["properties"]


def test_a_schema_kind_without_a_parser_is_named():
    with pytest.raises(LookupError, match="'airbyte' is in the schema but has no parser"):
        kind_of({"id": "x", "airbyte": {}, "after": []})


def test_the_built_in_kinds_fill_body_and_keep_the_old_names(write):
    path = write(
        "wf.yaml",
        "steps:\n  - {id: d, dbt: {command: run}}\n  - {id: b, bash: echo hi, after: [d]}\n",
    )
    dbt, bash = load_file(path).steps
    assert isinstance(dbt.body, DbtStep) and dbt.dbt is dbt.body and dbt.bash is None
    assert isinstance(bash.body, BashStep) and bash.bash is bash.body and bash.dbt is None
    assert set(STEP_KINDS) >= {"dbt", "bash"}


def test_kind_accessors_come_from_the_registry_and_other_names_stay_errors(echo_kind):
    step = Step("say", "echo", "echo hi")
    assert (step.echo, step.dbt, step.bash) == ("echo hi", None, None)
    with pytest.raises(AttributeError, match="'Step' object has no attribute 'ehco'"):
        step.ehco  # noqa: B018 - a typo must not read as "not of that kind"


def test_show_prints_what_the_kind_says(write, echo_kind, capsys):
    from hevo_dagfactory.cli import main

    path = write("wf.yaml", "steps:\n  - {id: say, echo: hi}\n")
    assert main(["show", str(path)]) == 0
    assert "[1] say  echo: echo hi" in capsys.readouterr().out  # the default line: kind and body
