"""``${VAR}`` values in error messages: named by their variable, never quoted, with hints that fit."""

from __future__ import annotations

import pytest

from hevo_dagfactory.spec import ConfigErrors, load_file, load_paths

SECRET = "sk_live_SECRET123"


def _errors(path, **kw):
    with pytest.raises(ConfigErrors) as info:
        load_file(path, **kw)
    return info.value.errors


def _text(err) -> str:
    return f"{err} {err.to_dict()}"


def test_a_secret_from_a_variable_is_named_not_quoted(write, monkeypatch):
    monkeypatch.setenv("MY_TOKEN", SECRET)
    path = write("wf.yaml", 'syncs:\n  - id: crm\n    pipeline_id: "${MY_TOKEN}"\n')
    (err,) = _errors(path)
    assert (err.line, err.col, err.error_type, err.pointer) == (3, 18, "type", "/syncs/0/pipeline_id")
    assert SECRET not in _text(err)
    assert "'${MY_TOKEN}'" in err.message
    assert "remove the quotes" not in err.hint and "always yields a string" in err.hint


SCHEMA_LEVEL = """
hevo: {region: "${MY_TOKEN}"}
start_date: "${MY_TOKEN}"
syncs:
  - id: crm
    job_type: "x-${MY_TOKEN}"
    pipeline_id: 1
tags: ["${MY_TOKEN}${MY_TOKEN}${MY_TOKEN}${MY_TOKEN}${MY_TOKEN}${MY_TOKEN}${MY_TOKEN}"]
"""
SEMANTIC_LEVEL = """
schedule: "${MY_TOKEN} * * * *"
timezone: "${MY_ZONE}"
syncs: [{id: crm, pipeline_id: 1}]
steps:
  - {id: dbt_run, after: ["${MY_TOKEN}"], dbt: {command: run}}
"""


@pytest.mark.parametrize(
    ("text", "line", "col", "kind", "ptr"),
    [
        (SCHEMA_LEVEL, 1, 16, "enum", "/hevo/region"),
        (SCHEMA_LEVEL, 2, 13, "pattern", "/start_date"),
        (SCHEMA_LEVEL, 5, 15, "pattern", "/syncs/0/job_type"),
        (SCHEMA_LEVEL, 7, 8, "range", "/tags/0"),
        (SEMANTIC_LEVEL, 1, 11, "cron", "/schedule"),
        (SEMANTIC_LEVEL, 2, 11, "timezone", "/timezone"),
        (SEMANTIC_LEVEL, 5, 27, "unknown_reference", "/steps/0/after/0"),
    ],
)
def test_no_message_or_hint_quotes_a_variable_value(write, monkeypatch, text, line, col, kind, ptr):
    """Every place that names a value: our messages, jsonschema's, croniter's, the did-you-means."""
    monkeypatch.setenv("MY_TOKEN", SECRET)
    monkeypatch.setenv("MY_ZONE", "Europe/Madri")  # a did-you-mean would reveal how close it is
    errors = _errors(write("wf.yaml", text))
    assert all(SECRET not in _text(e) and "Madri" not in _text(e) for e in errors), "\n".join(map(str, errors))
    (err,) = [e for e in errors if e.pointer == ptr]
    assert (err.line, err.col, err.error_type) == (line, col, kind)


def test_a_secret_in_a_date_reaches_no_message(write, monkeypatch):
    """A shape-valid date that does not exist: the datetime error text would quote the value."""
    monkeypatch.setenv("MY_DAY", "2026-02-31")
    path = write("wf.yaml", 'start_date: "${MY_DAY}"\nsyncs: [{id: crm, pipeline_id: 1}]\n')
    (err,) = _errors(path)
    assert (err.line, err.col, err.error_type) == (1, 13, "date")
    assert "2026-02-31" not in _text(err) and "'${MY_DAY}'" in err.message


def test_an_id_from_a_variable_is_named_in_cycles_and_duplicates(write, monkeypatch):
    monkeypatch.setenv("MY_STEP", "secret_step_name")
    cycle = write(
        "cycle.yaml",
        """
        syncs: [{id: crm, pipeline_id: 1}]
        steps:
          - {id: "${MY_STEP}", bash: "true", after: [b]}
          - {id: b, bash: "true", after: [secret_step_name]}
        """,
    )
    (err,) = _errors(cycle)
    assert (err.line, err.col, err.error_type) == (3, 45, "cycle")
    assert "secret_step_name" not in _text(err) and "${MY_STEP} -> b -> ${MY_STEP}" in err.message
    dup = write("dup.yaml", 'steps:\n  - {id: "${MY_STEP}", bash: "true"}\n  - {id: "${MY_STEP}", bash: "true"}\n')
    (err,) = _errors(dup)
    assert (err.line, err.col, err.error_type) == (3, 10, "duplicate_id")
    assert "secret_step_name" not in _text(err) and "'${MY_STEP}'" in err.message


def test_a_duplicate_dag_id_from_a_variable_is_named(write, monkeypatch):
    monkeypatch.setenv("MY_DAG", "secret_dag_name")
    write("a.yaml", 'dag_id: "${MY_DAG}"\nsyncs: [{id: s, pipeline_id: 1}]\n')
    write("b.yaml", 'dag_id: "${MY_DAG}"\nsyncs: [{id: s, pipeline_id: 2}]\n')
    (err,) = load_paths(["."]).errors
    assert (err.file, err.line, err.col, err.error_type) == ("b.yaml", 1, 9, "duplicate_dag_id")
    assert "secret_dag_name" not in _text(err) and "'${MY_DAG}'" in err.message


def test_an_overlay_value_wins_over_the_variable_it_replaces(write, monkeypatch):
    """Positions know which layer set a value: a literal in the overlay is quoted as such."""
    monkeypatch.setenv("MY_ZONE", "Europe/Berlin")
    path = write(
        "wf.yaml",
        'timezone: "${MY_ZONE}"\nsyncs: [{id: s, pipeline_id: 1}]\nenvironments:\n  prod: {timezone: Mars/Olympus}\n',
    )
    assert load_file(path).timezone == "Europe/Berlin"
    (err,) = _errors(path, env="prod")
    assert (err.line, err.col, err.error_type) == (4, 20, "timezone")
    assert "'Mars/Olympus'" in err.message


def test_nested_default_is_an_error_not_a_literal(write, monkeypatch):
    monkeypatch.delenv("HEVO_T_A", raising=False)
    monkeypatch.delenv("HEVO_T_B", raising=False)
    path = write("wf.yaml", 'syncs: [{id: s, pipeline_id: 1}]\nowner: "x-${HEVO_T_A:-${HEVO_T_B:-c}}"\n')
    (err,) = _errors(path)
    assert (err.line, err.col, err.error_type) == (2, 8, "env_var")
    assert "HEVO_T_A" in err.message and "literal default" in err.hint
    monkeypatch.setenv("HEVO_T_A", "set")  # even when the outer variable is set: the file is wrong
    (err,) = _errors(path)
    assert (err.line, err.col) == (2, 8)


def test_an_unset_variable_is_reported_once_not_also_as_a_type_error(write, monkeypatch):
    monkeypatch.delenv("HEVO_T_UNSET", raising=False)
    path = write("wf.yaml", 'syncs: [{id: s, pipeline_id: "${HEVO_T_UNSET}"}]\n')
    (err,) = _errors(path)
    assert (err.line, err.col, err.error_type) == (1, 30, "env_var")


def test_the_backstop_scrubs_values_from_text_we_do_not_write():
    """jsonschema, croniter or datetime may quote a value in their own words; long values are replaced."""
    from hevo_dagfactory.spec.errors import ConfigError
    from hevo_dagfactory.spec.interpolate import Expansions, scrub

    used = Expansions(values={"MY_TOKEN": SECRET, "MY_REGION": "eu"})
    err = ConfigError(f"bad value {SECRET!r} in eu", "wf.yaml", 1, 2, None, f"not {SECRET}", "schema")
    (clean,) = scrub([err], [used])
    assert (clean.message, clean.hint) == ("bad value '${MY_TOKEN}' in eu", "not ${MY_TOKEN}")
