"""One test per error kind, each asserting the exact line and column the user is sent to."""

from __future__ import annotations

import pytest

from hevo_dagfactory.spec import ConfigError, ConfigErrors, load_file, load_paths
from hevo_dagfactory.spec.yamlsafe import MAX_FILE_BYTES

from .conftest import FIXTURES

BROKEN = FIXTURES / "broken"

# file -> [(line, col, error_type, text the message or hint must contain, pointer)]
EXPECTED = {
    "yaml_syntax.yaml": [(4, 3, "yaml", "did not find expected '-'", None)],
    "duplicate_key.yaml": [(4, 5, "duplicate_key", "duplicate key 'id' (first defined at line 2)", "/syncs/0/id")],
    "alias_bomb.yaml": [(5, 1, "too_many_nodes", "alias bomb", "/e")],
    "not_mapping.yaml": [(1, 1, "not_mapping", "top level is a list", None)],
    "unknown_key.yaml": [
        (2, 3, "unknown_key", "did you mean 'region'?", "/hevo/regoin"),
        (6, 5, "unknown_key", "did you mean 'poll_interval'?", "/syncs/0/poll_intervall"),
    ],
    "wrong_type.yaml": [
        (3, 18, "type", "pipeline_id must be a whole number, not string '12'", "/syncs/0/pipeline_id"),
        (4, 10, "type", "catchup must be true or false", "/catchup"),
    ],
    "bad_enum.yaml": [(4, 13, "enum", "did you mean 'sync_now'?", "/syncs/0/action")],
    "unset_var.yaml": [(2, 18, "env_var", "HEVO_DAGFACTORY_TEST_UNSET_VAR is not set", "/hevo/connection_id")],
    "bad_var_syntax.yaml": [(6, 11, "env_var", "unsupported variable expression '${HOME%/*}'", "/steps/0/bash")],
    "bad_cron.yaml": [(1, 11, "cron", "invalid cron expression '61 6 * * *'", "/schedule")],
    "bad_schedule.yaml": [(1, 11, "pattern", "5-field cron expression", "/schedule")],
    "bad_timezone.yaml": [(1, 11, "timezone", "did you mean 'Europe/Berlin'?", "/timezone")],
    "start_after_end.yaml": [
        (2, 11, "date_range", "end_date 2026-01-01 is not after start_date 2026-06-01", "/end_date")
    ],
    "bad_date.yaml": [(1, 13, "date", "day is out of range", "/start_date")],
    "relative_date.yaml": [(1, 13, "pattern", "relative dates are not supported", "/start_date")],
    "unknown_after.yaml": [(7, 13, "unknown_reference", "did you mean 'salesforce'?", "/steps/0/after/0")],
    "cycle.yaml": [(7, 12, "cycle", "first -> third -> second -> first", "/steps/0/after")],
    "duplicate_id.yaml": [(5, 9, "duplicate_id", "duplicate id 'crm' (first used at line 2)", "/steps/0/id")],
    "dbt_newline.yaml": [(8, 16, "unsafe_value", "line break", "/steps/0/dbt/select/0")],
    "dbt_nul.yaml": [(8, 15, "unsafe_value", "NUL", "/steps/0/dbt/target")],
    "python_tag.yaml": [(3, 18, "yaml_tag", "python/object/apply", "/syncs/0/pipeline_id")],
    "bad_duration.yaml": [(4, 20, "pattern", "1h30m", "/syncs/0/poll_interval")],
    "step_dbt_and_bash.yaml": [(5, 5, "oneOf", "exactly one of 'dbt' or 'bash'", "/steps/0")],
    "missing_pipeline_id.yaml": [
        (2, 5, "missing_key", "missing required key 'pipeline_id'", "/syncs/0"),
        (3, 5, "unknown_key", "did you mean 'pipeline_id'?", "/syncs/0/pipline_id"),
    ],
    "asset_dated_template.yaml": [
        (
            6,
            58,
            "template_date",
            "'{{ ds }}' is undefined in runs started by an Asset event",
            "/steps/0/dbt/vars/since",
        ),
        (8, 11, "template_date", "dag_run.run_after | ds", "/steps/1/bash"),
    ],
    "empty.yaml": [(1, 1, "empty", "the file is empty", None)],
    "multi_doc.yaml": [(4, 1, "yaml", "more than one YAML document", None)],
    "no_tasks.yaml": [(1, 1, "empty", "no syncs and no steps", None)],
    "bad_env_overlay.yaml": [
        (7, 15, "enum", "region must be one of", "/environments/prod/hevo/region"),
        (8, 3, "invalid_name", "invalid name 'Dev'", "/environments/Dev"),
    ],
    # JSON Schema counts 2.0 as an integer; Airflow does not ("'max_active_runs' must be int (got 2.0)")
    "float_integer.yaml": [
        (1, 18, "type", "write 2, not 2.0", "/max_active_runs"),
        (2, 21, "type", "retries must be a whole number, not number 1.0", "/defaults/retries"),
        (5, 18, "type", "write 7, not 7.0", "/syncs/0/pipeline_id"),
        (8, 34, "type", "write 4, not 4.0", "/steps/0/dbt/threads"),
    ],
    # Python's "$" matches before a final newline; ECMA-262's (what editors run) does not
    "trailing_newline.yaml": [
        (1, 9, "pattern", "invalid dag_id: string 'finance\\n'", "/dag_id"),
        (3, 9, "pattern", "invalid id: string 'crm\\n'", "/syncs/0/id"),
        (5, 15, "pattern", "invalid job_type", "/syncs/0/job_type"),
        (10, 13, "invalid_name", "invalid name 'TEAM\\n'", "/steps/0/dbt/env/TEAM\n"),
        (12, 3, "invalid_name", "invalid name 'prod\\n'", "/environments/prod\n"),
    ],
    "huge_duration.yaml": [
        (2, 22, "duration", "longer than the 365-day limit", "/defaults/execution_timeout"),
        (6, 14, "duration", "or null for the 7-day default", "/syncs/0/timeout"),
        (7, 20, "duration", "write at most 365d", "/syncs/0/poll_interval"),
    ],
    "pipeline_id_too_large.yaml": [
        (3, 18, "range", "pipeline_id must be at most 9223372036854775807", "/syncs/0/pipeline_id")
    ],
    "too_many_digits.yaml": [(3, 18, "type", "too many digits", "/syncs/0/pipeline_id")],
    "unknown_user_path.yaml": [(6, 38, "path", "cannot expand '~hevo_no_such_user'", "/steps/0/dbt/project_dir")],
    "nul_anywhere.yaml": [
        (1, 14, "unsafe_value", "the value contains a NUL", "/description"),
        (7, 38, "unsafe_value", "the value contains a NUL", "/steps/0/dbt/project_dir"),
        (7, 53, "unsafe_value", "the key contains a NUL", "/steps/0/dbt/vars/k\x00"),
        (9, 34, "unsafe_value", "the value contains a NUL", "/steps/1/bash/cwd"),
    ],
    "nested_default.yaml": [(1, 8, "env_var", "nested defaults are not supported", "/owner")],
    # ${VAR} always yields a string: the hint must not say "remove the quotes"
    "variable_typed.yaml": [
        (1, 10, "type", "${VAR} always yields a string, and this key needs true or false", "/catchup"),
        (4, 18, "type", "not '${HEVO_DAGFACTORY_TEST_UNSET_VAR:-12}' (a string once expanded)", "/syncs/0/pipeline_id"),
    ],
}


def _check(errors: list[ConfigError], expected: list[tuple]) -> None:
    got = sorted((e.line, e.col, e.error_type, e.pointer) for e in errors)
    want = sorted((line, col, kind, ptr) for line, col, kind, _, ptr in expected)
    assert got == want, "\n".join(str(e) for e in errors)
    for (_line, _col, _kind, text, _), err in zip(sorted(expected), sorted(errors, key=lambda e: (e.line, e.col))):
        assert text in f"{err.message} {err.hint}", str(err)


def test_every_fixture_has_an_expectation():
    assert sorted(p.name for p in BROKEN.glob("*.yaml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_broken_fixture_reports_exact_position(name, monkeypatch):
    monkeypatch.delenv("HEVO_DAGFACTORY_TEST_UNSET_VAR", raising=False)
    path = BROKEN / name
    with pytest.raises(ConfigErrors) as info:
        load_file(path)
    _check(info.value.errors, EXPECTED[name])
    for err in info.value.errors:
        assert err.file.endswith(name)
        assert str(err).startswith(f"{err.file}:{err.line}:{err.col}: {err.message}")


def test_all_errors_of_all_files_in_one_run(monkeypatch):
    monkeypatch.delenv("HEVO_DAGFACTORY_TEST_UNSET_VAR", raising=False)
    result = load_paths(sorted(BROKEN.glob("*.yaml")))
    assert result.workflows == []
    assert len(result.errors) == sum(len(v) for v in EXPECTED.values())
    assert {e.file.rsplit("/", 1)[-1] for e in result.errors} == set(EXPECTED)


def test_non_utf8_points_at_the_bad_byte(write):
    path = write("latin1.yaml", "syncs:\n  - id: caf\xe9\n    pipeline_id: 1\n".encode("latin-1"))
    with pytest.raises(ConfigErrors) as info:
        load_file(path)
    (err,) = info.value.errors
    assert (err.line, err.col, err.error_type) == (2, 12, "encoding")
    assert "0xe9" in err.message


def test_oversize_file_is_refused_before_parsing(write):
    path = write("huge.yaml", b"syncs: []\n" + b"# padding\n" * (MAX_FILE_BYTES // 10 + 1))
    with pytest.raises(ConfigErrors) as info:
        load_file(path)
    (err,) = info.value.errors
    assert (err.line, err.col, err.error_type) == (1, 1, "size")
    assert "split it" in err.hint


def test_control_character_position(write):
    path = write("ctrl.yaml", b"syncs:\n  - id: a\x07\n")
    with pytest.raises(ConfigErrors) as info:
        load_file(path)
    (err,) = info.value.errors
    assert (err.line, err.col, err.error_type) == (2, 10, "yaml")
    assert "U+0007" in err.message


def test_deep_nesting_is_an_error_not_a_crash(write):
    # libyaml's composer recurses in C; 100k levels would kill the interpreter.
    path = write("deep.yaml", "syncs: " + "[" * 100_000 + "]" * 100_000 + "\n")
    with pytest.raises(ConfigErrors) as info:
        load_file(path)
    (err,) = info.value.errors
    assert (err.line, err.col, err.error_type) == (
        1,
        8 + 199,
        "too_deep",
    )  # the mapping is level 1, so the 200th "[" is level 201


def test_duplicate_dag_id_across_files(write):
    write("a.yaml", "dag_id: sales\nsyncs: [{id: s, pipeline_id: 1}]\n")
    write("b.yaml", "# comment\ndag_id: sales\nsyncs: [{id: s, pipeline_id: 2}]\n")
    result = load_paths(["."])
    assert [w.source.name for w in result.workflows] == ["a.yaml"]
    (err,) = result.errors
    assert (err.file, err.line, err.col, err.error_type) == ("b.yaml", 2, 9, "duplicate_dag_id")
    assert "a.yaml" in err.message


def test_duplicate_dag_id_from_file_stem_points_at_file_start(write):
    write("sales.yaml", "syncs: [{id: s, pipeline_id: 1}]\n")
    write("other.yaml", "dag_id: sales\nsyncs: [{id: s, pipeline_id: 2}]\n")
    result = load_paths(["."])
    (err,) = result.errors
    assert (err.file, err.line, err.col) == ("sales.yaml", 1, 1)


def test_invalid_file_stem_as_dag_id(write):
    path = write("my sales.yaml", "syncs: [{id: s, pipeline_id: 1}]\n")
    with pytest.raises(ConfigErrors) as info:
        load_file(path)
    (err,) = info.value.errors
    assert (err.line, err.col, err.error_type) == (1, 1, "dag_id")


def test_error_in_defaults_file_points_into_defaults_and_once(write):
    write("defaults.yaml", "owner: data\nhevo:\n  region: mars\n")
    write("a.yaml", "syncs: [{id: s, pipeline_id: 1}]\n")
    write("b.yaml", "syncs: [{id: s, pipeline_id: 2}]\n")
    result = load_paths(["."])
    assert result.workflows == []
    region = [e for e in result.errors if e.file == "defaults.yaml"]
    assert [(e.line, e.col, e.error_type) for e in region] == [(3, 11, "enum")]
    skipped = sorted(e.file for e in result.errors if e.error_type == "defaults")
    assert skipped == ["a.yaml", "b.yaml"]


def test_merged_value_error_points_at_the_layer_that_set_it(write, monkeypatch):
    # start_date comes from defaults.yaml, end_date from the prod overlay in the file.
    write("defaults.yaml", "start_date: 2026-06-01\n")
    path = write(
        "wf.yaml",
        """
        syncs: [{id: s, pipeline_id: 1}]
        environments:
          prod:
            end_date: 2026-01-01
        """,
    )
    load_file(path)  # valid without the overlay
    with pytest.raises(ConfigErrors) as info:
        load_file(path, env="prod")
    (err,) = info.value.errors
    assert (err.file, err.line, err.col, err.error_type) == ("wf.yaml", 4, 15, "date_range")


def test_config_error_has_dag_import_error_names():
    """Same attribute names as Airflow 3.3's DagImportError, so errors map one-to-one."""
    from dataclasses import fields

    importers = pytest.importorskip(
        "airflow.dag_processing.importers.base",
        reason="DagImportError exists only on Airflow >= 3.3 (2.x records import errors as plain text)",
    )
    DagImportError = importers.DagImportError

    err = ConfigError("boom", "a.yaml", 3, 7, "/x", "fix it", "schema")
    for f in fields(DagImportError):
        if f.name in ("context", "stacktrace"):
            continue  # ours has no code excerpt or traceback by design
        assert hasattr(err, f.name), f.name
    as_airflow = DagImportError(
        file_path=err.file_path,
        message=err.message,
        error_type=err.error_type,
        line_number=err.line_number,
        column_number=err.column_number,
        suggestion=err.suggestion,
    )
    assert "line 3, column 7" in as_airflow.format_message()
    assert str(err) == "a.yaml:3:7: boom [/x]; fix it"
