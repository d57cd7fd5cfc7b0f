"""The selected environment must exist: a typo of "prod" must not run production with the base settings."""

from __future__ import annotations

import pytest

from hevo_dagfactory.cli import main
from hevo_dagfactory.spec import ConfigErrors, load_file, load_paths

MINIMAL = "syncs: [{id: crm, pipeline_id: 12}]\n"
WITH_OVERLAYS = MINIMAL + "owner: base\nenvironments:\n  prod: {owner: prod-team}\n  qa: {owner: qa-team}\n"


def _error(path, **kw):
    with pytest.raises(ConfigErrors) as info:
        load_file(path, **kw)
    (err,) = info.value.errors
    return err


def test_standard_and_declared_environments_load(write):
    path = write("wf.yaml", WITH_OVERLAYS)
    assert load_file(path, env="prod").owner == "prod-team"
    assert load_file(path, env="qa").owner == "qa-team"  # declared in the file
    assert load_file(path, env="stage").owner == "base"  # standard: no overlay needed
    assert load_file(write("plain.yaml", MINIMAL), env="prod").environment == "prod"


def test_an_unknown_environment_is_an_error_with_a_did_you_mean(write, monkeypatch):
    path = write("wf.yaml", WITH_OVERLAYS)
    monkeypatch.setenv("HEVO_DAGFACTORY_ENV", "prdo")
    err = _error(path)
    assert (err.line, err.col, err.error_type, err.pointer) == (3, 1, "environment", "/environments")
    assert "unknown environment 'prdo'" in err.message and "known here: dev, prod, qa, stage" in err.message
    assert err.hint.startswith("did you mean 'prod'?")


def test_case_matters_and_upper_case_is_never_a_name(write):
    err = _error(write("wf.yaml", WITH_OVERLAYS), env="PROD")
    assert (err.line, err.col, err.error_type) == (3, 1, "environment")
    assert "lower-case" in err.hint and "did you mean 'prod'?" in err.hint


def test_a_file_without_overlays_points_at_its_start(write):
    err = _error(write("wf.yaml", MINIMAL), env="qa")
    assert (err.file, err.line, err.col, err.pointer) == ("wf.yaml", 1, 1, None)
    assert "add 'qa: {}' under 'environments:'" in err.hint


def test_an_environment_declared_in_the_folder_defaults_counts(write):
    write("defaults.yaml", "environments:\n  qa: {}\n")
    path = write("wf.yaml", MINIMAL)
    assert load_file(path, env="qa").environment == "qa"


def test_load_paths_reports_it_for_every_file(write):
    write("a.yaml", MINIMAL)
    write("b.yaml", "syncs: [{id: crm, pipeline_id: 13}]\n")
    result = load_paths(["."], env="qa")
    assert [(e.file, e.line, e.col, e.error_type) for e in result.errors] == [
        ("a.yaml", 1, 1, "environment"),
        ("b.yaml", 1, 1, "environment"),
    ]


def test_validate_rejects_a_name_no_overlay_can_have_as_usage_error(write, capsys, monkeypatch):
    write("wf.yaml", MINIMAL)
    assert main(["validate", "--env", "PROD", "wf.yaml"]) == 2
    assert "--env 'PROD' is not a valid environment name" in capsys.readouterr().err
    monkeypatch.setenv("HEVO_DAGFACTORY_ENV", "Prod")
    assert main(["validate", "wf.yaml"]) == 2
    assert "HEVO_DAGFACTORY_ENV 'Prod'" in capsys.readouterr().err
    monkeypatch.setenv("HEVO_DAGFACTORY_ENV", "qa")
    assert main(["validate", "wf.yaml"]) == 1
    assert "wf.yaml:1:1: unknown environment 'qa'" in capsys.readouterr().out
    assert main(["validate", "--env", "", "wf.yaml"]) == 0  # explicitly none
