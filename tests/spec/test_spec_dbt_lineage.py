"""``steps[].dbt.lineage``: validated (it needs ``project_dir``), modelled, and shown as the ``dbt-ol`` it runs."""

from __future__ import annotations

import pytest

from hevo_dagfactory.cli import main
from hevo_dagfactory.spec import ConfigErrors, load_file

HEADER = "dag_id: lineage_wf\nschedule: null\nstart_date: 2026-01-01\nsteps:\n"


def test_lineage_is_off_unless_asked_and_shown_as_dbt_ol(write, capsys):
    path = write(
        "wf.yaml",
        HEADER
        + "  - {id: plain, dbt: {command: run}}\n"
        + "  - {id: traced, dbt: {command: build, select: tag:x, project_dir: dbt/analytics, lineage: true}}\n",
    )
    plain, traced = load_file(path).steps
    assert plain.dbt.lineage is False and plain.dbt.executable == "dbt"
    assert traced.dbt.lineage is True and traced.dbt.executable == "dbt-ol"
    assert main(["show", str(path)]) == 0
    out = capsys.readouterr().out
    assert "] plain   dbt run" in out
    assert f"] traced  dbt-ol build --select tag:x --project-dir {path.parent / 'dbt' / 'analytics'}" in out


def test_lineage_without_project_dir_is_an_error_at_its_line_saying_what_to_add(write):
    path = write("wf.yaml", HEADER + "  - id: traced\n    dbt:\n      command: run\n      lineage: true\n")
    with pytest.raises(ConfigErrors) as err:
        load_file(path)
    (error,) = err.value.errors
    assert (error.line, error.error_type, error.pointer) == (8, "missing_project_dir", "/steps/0/dbt/lineage")
    assert "dbt-ol finds the dbt project only through it" in str(error)
    assert "add project_dir" in str(error)


@pytest.mark.parametrize("value", ["yes", 1, "true"])
def test_lineage_is_a_boolean(write, value):
    path = write("wf.yaml", HEADER + f"  - {{id: t, dbt: {{command: run, project_dir: p, lineage: {value!r}}}}}\n")
    with pytest.raises(ConfigErrors) as err:
        load_file(path)
    assert any("/steps/0/dbt/lineage" in str(e) for e in err.value.errors), err.value.errors
