"""The dags-folder loader in a real DagBag: the examples, broken files, duplicates, folder choice."""

from __future__ import annotations

import logging

import pytest

from hevo_dagfactory.provider.compat import AIRFLOW_3
from tests.factory.helpers import (
    BROKEN_UNKNOWN_KEY,
    CONFIGS,
    LOADER,
    REPO,
    dagbag,
    dags_folder_with_loader,
    good_workflow,
    write,
)


def test_project_dags_folder_has_no_import_errors():
    from hevo_dagfactory.spec import find_workflow_files

    bag = dagbag(REPO / "dags")
    assert bag.import_errors == {}
    expected = {p.stem for p in find_workflow_files(CONFIGS)}  # the examples use file name == dag_id
    assert set(bag.dag_ids) == expected
    # Airflow 2.11 has no Deadline Alerts: the example with a deadline is a placeholder there, saying so
    placeholders = set() if AIRFLOW_3 else {"commerce_orders_daily"}
    assert {d for d in expected if "config-error" in bag.dags[d].tags} == placeholders


def test_loader_file_passes_airflow_safe_mode_sniff():
    text = LOADER.read_text().lower()
    assert "airflow" in text and "dag" in text


BROKEN = BROKEN_UNKNOWN_KEY


def test_broken_file_is_isolated_and_visible(tmp_path, caplog):
    dags = dags_folder_with_loader(tmp_path)
    for i, name in enumerate(["alpha", "beta", "gamma"]):
        good_workflow(dags, name, pid=i + 1)
    write(dags, "broken_one.yaml", BROKEN)
    write(dags, "not_yaml.yaml", "syncs: [unclosed\n")

    with caplog.at_level(logging.ERROR, logger="hevo_dagfactory.factory"):
        bag = dagbag(dags)

    assert bag.import_errors == {}
    assert {"alpha", "beta", "gamma"} <= set(bag.dag_ids)
    assert all("config-error" not in bag.dags[d].tags for d in ("alpha", "beta", "gamma"))

    ph = bag.dags["broken_one"]  # the id the file would have had: its name
    assert "config-error" in ph.tags
    assert ph.timetable.__class__.__name__ == "NullTimetable"
    assert "broken_one.yaml:7:5: unknown key 'acton'" in ph.description
    assert "broken_one.yaml:7:5: unknown key 'acton' [/syncs/0/acton] (did you mean 'action'?)" in ph.doc_md
    assert str(tmp_path) not in ph.doc_md
    [task] = ph.tasks
    from hevo_dagfactory.provider.compat import AirflowFailException

    with pytest.raises(AirflowFailException, match=r"broken_one.yaml:7:5: unknown key 'acton'"):
        task.execute({})

    syntax = bag.dags["not_yaml"]
    assert "config-error" in syntax.tags
    assert "not_yaml.yaml:" in syntax.description

    logged = "\n".join(r.getMessage() for r in caplog.records if r.levelno == logging.ERROR)
    assert "broken_one.yaml:7:5: unknown key 'acton'" in logged
    assert "not_yaml.yaml" in logged


def test_duplicate_dag_id_across_files_is_reported(tmp_path):
    dags = dags_folder_with_loader(tmp_path)
    good_workflow(dags, "orders", pid=1)
    write(dags, "orders_copy.yaml", (dags / "orders.yaml").read_text())  # same dag_id: orders
    bag = dagbag(dags)
    assert bag.import_errors == {}
    assert "config-error" not in bag.dags["orders"].tags
    assert bag.dags["orders"].get_task("orders").pipeline_id == 1
    dup = bag.dags["orders_copy"]
    assert "config-error" in dup.tags
    assert "dag_id 'orders' is already used by orders.yaml" in dup.description


def test_placeholder_id_never_takes_a_good_dags_id(tmp_path):
    dags = dags_folder_with_loader(tmp_path)
    good = good_workflow(dags, "tmp", pid=3)
    write(dags, "first.yaml", good.read_text().replace("dag_id: tmp", "dag_id: second"))
    write(dags, "second.yaml", BROKEN)  # its file name is a good DAG's id
    bag = dagbag(dags)
    assert bag.import_errors == {}
    assert "config-error" not in bag.dags["second"].tags
    assert "config-error" in bag.dags["second__config_error"].tags


def test_zero_setting_form_reads_yaml_beside_the_loader(tmp_path):
    dags = dags_folder_with_loader(tmp_path)
    good_workflow(dags, "beside", pid=9)
    write(dags, "values.yaml", "replicas: 3\n")  # unrelated YAML in a dags folder is left alone
    bag = dagbag(dags)
    assert bag.import_errors == {}
    assert set(bag.dag_ids) == {"beside"}


def test_env_var_names_the_folder_relative_to_the_loader(tmp_path, monkeypatch):
    dags = dags_folder_with_loader(tmp_path)
    good_workflow(tmp_path / "workflows", "from_env", pid=4)
    monkeypatch.setenv("HEVO_DAGFACTORY_CONFIG_DIR", "../workflows")
    monkeypatch.chdir(REPO)  # the working directory must not matter
    bag = dagbag(dags)
    assert bag.import_errors == {}
    assert set(bag.dag_ids) == {"from_env"}


def test_argument_wins_over_env_var(tmp_path, monkeypatch):
    from hevo_dagfactory.factory import resolve_config_folder

    monkeypatch.setenv("HEVO_DAGFACTORY_CONFIG_DIR", "/elsewhere")
    assert resolve_config_folder("cfg", tmp_path) == tmp_path / "cfg"
    assert str(resolve_config_folder(None, tmp_path)) == "/elsewhere"
    monkeypatch.delenv("HEVO_DAGFACTORY_CONFIG_DIR")
    assert resolve_config_folder(None, tmp_path) == tmp_path


def test_missing_folder_is_a_placeholder_not_an_exception(tmp_path, caplog):
    dags = dags_folder_with_loader(
        tmp_path, "# airflow dag\nfrom hevo_dagfactory import load_workflows\n\nload_workflows('nope')\n"
    )
    with caplog.at_level(logging.ERROR, logger="hevo_dagfactory.factory"):
        bag = dagbag(dags)
    assert bag.import_errors == {}
    [dag] = bag.dags.values()
    assert "config-error" in dag.tags
    assert "workflow folder not found" in dag.description
    assert "HEVO_DAGFACTORY_CONFIG_DIR" in dag.doc_md
    assert any("workflow folder not found" in r.getMessage() for r in caplog.records)


def test_returns_dags_and_registers_them_in_the_given_globals(tmp_path):
    from hevo_dagfactory import load_workflows

    good_workflow(tmp_path, "g1")
    scope: dict = {"__file__": str(tmp_path / "loader.py")}
    dags = load_workflows(None, scope)
    assert set(dags) == {"g1"}
    assert dags["g1"] in scope.values()


def test_a_dag_that_cannot_be_built_becomes_a_placeholder(tmp_path, monkeypatch):
    """Last line of defence: an exception while building one DAG must not reach Airflow."""
    from hevo_dagfactory import load_workflows
    from hevo_dagfactory.factory import STEP_BUILDERS

    def broken_builder(ctx, model, task_id):
        raise RuntimeError("builder exploded")

    monkeypatch.setitem(STEP_BUILDERS, "bash", broken_builder)  # the registry is the plug-in point
    good_workflow(tmp_path, "fine")
    write(
        tmp_path,
        "uses_bash.yaml",
        "dag_id: uses_bash\nschedule: null\nstart_date: 2026-01-01\nsteps:\n  - {id: s, bash: 'true'}\n",
    )
    dags = load_workflows(tmp_path, {"__file__": str(tmp_path / "l.py")})
    assert "config-error" not in dags["fine"].tags
    assert "config-error" in dags["uses_bash"].tags
    assert "RuntimeError: builder exploded" in dags["uses_bash"].description


def test_placeholder_text_is_the_config_errors_own_text(tmp_path):
    """The placeholder quotes each ConfigError as the spec wrote it (message, pointer, hint), nothing more."""
    from hevo_dagfactory import load_workflows
    from hevo_dagfactory.spec import ConfigErrors, load_file

    path = write(tmp_path, "broken_one.yaml", BROKEN)
    with pytest.raises(ConfigErrors) as raised:
        load_file(path)
    [err] = raised.value.errors
    dag = load_workflows(tmp_path, {"__file__": str(tmp_path / "l.py")})["broken_one"]
    expected = f"broken_one.yaml:{err.line}:{err.col}: {err.message} [{err.pointer}] ({err.hint})"
    assert dag.description == f"CONFIG ERROR {expected}"
    assert f"```text\n{expected}\n```" in dag.doc_md


def test_a_validator_crash_shows_the_exception_type_not_its_text(tmp_path, monkeypatch, caplog):
    """An unexpected exception may quote a value (say an interpolated token): only its type is shown.

    A validator crash has no real trigger (each one is a bug to fix), so the validator is patched here.
    """
    import hevo_dagfactory.spec
    from hevo_dagfactory import load_workflows

    def crash(path, **kwargs):
        raise ValueError("invalid literal for int() with base 10: 'tok-secret-42'")

    monkeypatch.setattr(hevo_dagfactory.spec, "load_file", crash)
    good_workflow(tmp_path, "crashes")
    with caplog.at_level(logging.ERROR, logger="hevo_dagfactory.factory"):
        dag = load_workflows(tmp_path, {"__file__": str(tmp_path / "l.py")})["crashes"]
    assert "config-error" in dag.tags
    assert "could not validate the file (ValueError)" in dag.description
    shown = [dag.description, dag.doc_md, *(r.getMessage() for r in caplog.records)]
    assert not [text for text in shown if "tok-secret-42" in text]


def test_safe_mode_needs_the_word_airflow_in_the_loader(tmp_path):
    """What docs/loader.md says the comment line is for: without "airflow" in its text Airflow skips the file."""
    bare = dags_folder_with_loader(
        tmp_path / "bare", "from hevo_dagfactory import load_workflows\n\nload_workflows()\n"
    )
    good_workflow(bare, "beside")
    assert dagbag(bare).dag_ids == []  # skipped by safe mode: no DAG and no error either
    commented = dags_folder_with_loader(tmp_path / "commented")
    good_workflow(commented, "beside")
    assert dagbag(commented).dag_ids == ["beside"]


def test_the_garbage_collector_is_paused_while_building_and_left_as_found(tmp_path, monkeypatch):
    import gc

    from hevo_dagfactory import load_workflows
    from hevo_dagfactory.factory import STEP_BUILDERS
    from hevo_dagfactory.factory.steps import build_operator
    from hevo_dagfactory.spec.kinds import step_kind

    seen: list[bool] = []

    def recording_builder(ctx, model, task_id):
        seen.append(gc.isenabled())
        return build_operator(step_kind("bash"), ctx, model, task_id)

    monkeypatch.setitem(STEP_BUILDERS, "bash", recording_builder)
    step = "steps:\n  - {id: s, bash: 'true'}\n"
    write(tmp_path, "one.yaml", "dag_id: one\nschedule: null\nstart_date: 2026-01-01\n" + step)
    assert gc.isenabled()
    load_workflows(tmp_path, {"__file__": str(tmp_path / "l.py")})
    assert seen == [False]
    assert gc.isenabled()

    write(tmp_path, "two.yaml", "dag_id: two\nschedule: null\nstart_date: 2026-01-01\n" + step)
    gc.disable()
    try:
        load_workflows(tmp_path, {"__file__": str(tmp_path / "l.py")})
        assert not gc.isenabled()  # a caller that turned it off keeps it off
    finally:
        gc.enable()
    assert seen == [False, False]  # only the new file was built; the first one replayed its plan
