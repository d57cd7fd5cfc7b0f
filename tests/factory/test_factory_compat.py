"""The workflow format means the same on Airflow 2.11 and 3.3: schedules and templates, run for real.

These run on both lines (``make test`` runs the suite in both virtualenvs); the line-specific names
come from hevo_dagfactory.provider.compat.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from hevo_dagfactory.provider.compat import AIRFLOW_3, ASSET_WORD, Asset, DagBag, add_dag_to_bag, sync_dag_bag_to_db
from tests.factory.helpers import write


def build(tmp_path: Path, body: str, dag_id: str):
    from hevo_dagfactory import load_workflows

    write(tmp_path / "cfg", f"{dag_id}.yaml", f"dag_id: {dag_id}\nstart_date: 2026-01-01\n{body}")
    dag = load_workflows(tmp_path / "cfg", {"__file__": str(tmp_path / "l.py")})[dag_id]
    assert "config-error" not in dag.tags, dag.description
    return dag


def test_a_cron_string_runs_at_the_cron_time_on_both_lines(tmp_path):
    """``"30 5 * * *"`` is one run at 05:30 (CronTriggerTimetable), not a run at the END of a day-long interval."""
    dag = build(
        tmp_path, 'schedule: "30 5 * * *"\ntimezone: Europe/Berlin\nsteps:\n  - {id: s, bash: "true"}\n', "cron_meaning"
    )
    tt = dag.timetable
    # Airflow 2.x's default for a cron string would be CronDataIntervalTimetable (a run a day late)
    assert type(tt).__name__ == "CronTriggerTimetable"
    assert (getattr(tt, "expression", None) or tt._expression) == "30 5 * * *"
    assert str((getattr(tt, "timezone", None) or tt._timezone).name) == "Europe/Berlin"


@pytest.mark.skipif(not AIRFLOW_3, reason="Airflow 2 refuses a scheduled DAG without a start_date")
def test_the_workflow_timezone_applies_without_a_start_date(tmp_path):
    """``timezone`` alone (no ``start_date``) still decides when the cron fires, as doc_md says.

    Before, the cron string went to Airflow 3 as is and was read in the DAG's timezone, which
    Airflow takes from ``start_date``: with none, UTC. (With a start_date both lines already got
    the zone: see the test above.)"""
    from hevo_dagfactory import load_workflows

    write(
        tmp_path / "cfg",
        "tz_only.yaml",
        'dag_id: tz_only\nschedule: "0 6 * * *"\ntimezone: Europe/Berlin\nsteps:\n  - {id: s, bash: "true"}\n',
    )
    dag = load_workflows(tmp_path / "cfg", {"__file__": str(tmp_path / "l.py")})["tz_only"]
    assert "config-error" not in dag.tags, dag.description
    assert dag.start_date is None
    tt = dag.timetable
    assert type(tt).__name__ == "CronTriggerTimetable"
    assert (getattr(tt, "expression", None) or tt._expression) == "0 6 * * *"
    assert str((getattr(tt, "timezone", None) or tt._timezone).name) == "Europe/Berlin"
    assert "`0 6 * * *` (Europe/Berlin)" in dag.doc_md


@pytest.mark.parametrize("schedule", ['"0 6 * * *"', '{assets: ["hevo://eu/pipelines/7"]}'])
def test_a_scheduled_workflow_without_start_date_says_what_to_add_on_2x(tmp_path, schedule):
    """Airflow 3 schedules it from now; Airflow 2 cannot, and the placeholder says what to add (no "please report")."""
    from hevo_dagfactory import load_workflows

    write(tmp_path / "cfg", "no_start.yaml", f'schedule: {schedule}\nsteps:\n  - {{id: s, bash: "true"}}\n')
    dag = load_workflows(tmp_path / "cfg", {"__file__": str(tmp_path / "l.py")})["no_start"]
    if AIRFLOW_3:
        assert "config-error" not in dag.tags, dag.description
        assert dag.start_date is None
    else:
        assert "config-error" in dag.tags
        assert (
            "no_start.yaml: this Airflow (2.x) cannot schedule a workflow without a start_date [/schedule]"
            in dag.doc_md
        )
        assert "start_date: 2026-01-01" in dag.doc_md
        assert "please report" not in dag.doc_md


def test_assets_are_this_lines_data_aware_objects(tmp_path):
    """Outlets and Asset schedules use Asset on 3.x and Dataset on 2.x, with the same URIs."""
    dag = build(
        tmp_path, 'schedule: {assets: ["hevo://eu/pipelines/7"]}\nsteps:\n  - {id: s, bash: "true"}\n', "asset_meaning"
    )
    assert Asset.__name__ == ASSET_WORD == ("Asset" if AIRFLOW_3 else "Dataset")
    condition = getattr(dag.timetable, "asset_condition", None) or dag.timetable.dataset_condition
    assert [type(a).__name__ for a in condition.objects] == [ASSET_WORD]
    assert [a.uri for a in condition.objects] == ["hevo://eu/pipelines/7"]


@pytest.mark.usefixtures("airflow_db")
def test_the_recommended_run_after_template_renders_on_both_lines(tmp_path):
    """docs/format.md recommends ``{{ dag_run.run_after | ds }}`` for Asset-scheduled workflows: it must render."""
    out = tmp_path / "rendered.txt"
    dag = build(
        tmp_path,
        f'schedule: {{assets: ["hevo://eu/pipelines/8"]}}\ndefaults: {{retries: 0}}\nsteps:\n'
        f'  - {{id: s, bash: "echo {{{{ dag_run.run_after | ds }}}} > {out}"}}\n',
        "run_after_meaning",
    )
    bag = DagBag(dag_folder=str(tmp_path / "empty"))
    add_dag_to_bag(bag, dag)
    sync_dag_bag_to_db(bag)
    dr = dag.test()
    assert str(getattr(dr.state, "value", dr.state)) == "success"
    assert out.read_text().strip() == datetime.now(timezone.utc).strftime("%Y-%m-%d")
