"""Sync wait modes, assets, the step registry, and the factory's own layering."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from hevo_dagfactory.provider.compat import AssetAll, AssetAny
from tests.factory.helpers import REPO, write

WAITS = """\
dag_id: waits
schedule: "@hourly"
start_date: 2026-01-01
hevo: {region: us2, connection_id: my_hevo}
syncs:
  - {id: deferred, pipeline_id: 1}
  - {id: polled, pipeline_id: 2, wait: poll, poll_interval: 2s}
  - {id: fired, pipeline_id: 3, wait: none, action: resync, resync_mode: drop_and_load}
steps:
  - id: after_all
    bash: "true"
  - id: after_one
    bash: "true"
    after: [polled]
  - id: standalone
    bash: "true"
    after: []
"""


@pytest.fixture
def waits_dag(tmp_path):
    from hevo_dagfactory import load_workflows

    write(tmp_path, "waits.yaml", WAITS)
    dags = load_workflows(tmp_path, {"__file__": str(tmp_path / "l.py")})
    assert "config-error" not in dags["waits"].tags, dags["waits"].description
    return dags["waits"]


def test_wait_modes_map_onto_the_operator(waits_dag):
    d, p, f = (waits_dag.get_task(t) for t in ("deferred", "polled", "fired"))
    assert (d.deferrable, d.wait_for_completion) == (True, True)
    assert (p.deferrable, p.wait_for_completion, p.poll_interval) == (False, True, 2)
    assert f.wait_for_completion is False
    assert (f.action, f.resync_mode) == ("RESYNC", "DROP_AND_LOAD")
    assert {t.connection_id for t in (d, p, f)} == {"my_hevo"}


def test_fire_and_forget_sync_emits_no_asset(waits_dag):
    outlets = {t.task_id: [getattr(o, "uri", None) or o.name for o in t.outlets] for t in waits_dag.tasks}
    # the pipeline's Asset, and the alias (a name, no URI) its loaded tables are emitted through at run time
    assert outlets["deferred"] == ["hevo://us2/pipelines/1", "hevo://us2/pipelines/1/tables"]
    assert outlets["polled"] == ["hevo://us2/pipelines/2", "hevo://us2/pipelines/2/tables"]
    assert outlets["fired"] == []
    assert "| `fired` | 3 | resync (drop_and_load) | none | fail | — |" in waits_dag.doc_md


def test_syncs_run_in_parallel_and_after_defaults_to_every_sync(waits_dag):
    up = {t.task_id: set(t.upstream_task_ids) for t in waits_dag.tasks}
    assert up["deferred"] == up["polled"] == up["fired"] == set()
    assert up["after_all"] == {"deferred", "polled", "fired"}
    assert up["after_one"] == {"polled"}
    assert up["standalone"] == set()
    assert set(waits_dag.tags) == {"hevo", "region:us2"}


def test_every_kind_has_a_builder_or_an_operator_and_unknown_kinds_are_named():
    from hevo_dagfactory.factory import STEP_BUILDERS
    from hevo_dagfactory.factory.operators import DbtBashOperator, WorkflowBashOperator
    from hevo_dagfactory.factory.steps import build_task, operator_class
    from hevo_dagfactory.spec.kinds import STEP_KINDS

    assert "hevo_sync" in STEP_BUILDERS
    assert operator_class(STEP_KINDS["dbt"].operator) is DbtBashOperator
    assert operator_class(STEP_KINDS["bash"].operator) is WorkflowBashOperator
    with pytest.raises(ValueError, match=r"no DAG builder for step kind 'airbyte' \(known: bash, dbt, hevo_sync\)"):
        build_task("airbyte", None, None, "x")


def test_a_new_kind_needs_only_a_registered_builder(tmp_path, monkeypatch):
    from hevo_dagfactory.factory import STEP_BUILDERS, build_dag, register_step_builder
    from hevo_dagfactory.provider.compat import BashOperator
    from hevo_dagfactory.spec import Step, Workflow

    monkeypatch.setitem(STEP_BUILDERS, "echo", STEP_BUILDERS.get("echo"))

    @register_step_builder("echo")
    def _build(ctx, model, task_id):
        return BashOperator(task_id=task_id, dag=ctx.dag, bash_command=f"echo {model}")

    step = Step(id="say", kind="echo", body="hi")  # type: ignore[arg-type]
    dag = build_dag(Workflow(dag_id="new_kind", source=tmp_path / "n.yaml", steps=(step,)))
    assert dag.get_task("say").bash_command == "echo hi"


FACTORY = REPO / "hevo_dagfactory" / "factory"


def _imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


@pytest.mark.parametrize("path", sorted(FACTORY.glob("*.py")), ids=lambda p: p.name)
def test_factory_reaches_airflow_only_through_provider_compat(path):
    """Every Airflow name the factory uses comes from provider/compat/ (one place for 2.x-vs-3.x)."""
    mods = _imported_modules(path)
    assert not [m for m in mods if m == "airflow" or m.startswith("airflow.")]
    assert not [m for m in mods if m.startswith(("hevo_dagfactory.hevo", "hevo_dagfactory.simulator"))]
    if path.name in ("docs.py", "cache.py"):  # pure helpers: importable without Airflow
        assert not [m for m in mods if "provider" in m]


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        ('"@daily"', ("CronTriggerTimetable", "0 0 * * *")),
        ("null", ("NullTimetable", None)),
        # Airflow 2.x: DatasetAll/DatasetAny (compat's AssetAll/AssetAny)
        (
            '{assets: ["hevo://eu/pipelines/1", "hevo://eu/pipelines/2"]}',
            (AssetAll.__name__, ("hevo://eu/pipelines/1", "hevo://eu/pipelines/2")),
        ),
        (
            '{assets: ["hevo://eu/pipelines/1", "hevo://eu/pipelines/2"], any: true}',
            (AssetAny.__name__, ("hevo://eu/pipelines/1", "hevo://eu/pipelines/2")),
        ),
    ],
    ids=["preset", "null", "assets-all", "assets-any"],
)
def test_schedule_kinds(tmp_path, schedule, expected):
    from hevo_dagfactory import load_workflows

    write(
        tmp_path,
        "sched.yaml",
        f"dag_id: sched\nschedule: {schedule}\nstart_date: 2026-01-01\nsteps:\n  - {{id: s, bash: 'true'}}\n",
    )
    dag = load_workflows(tmp_path, {"__file__": str(tmp_path / "l.py")})["sched"]
    assert "config-error" not in dag.tags, dag.description
    tt = dag.timetable
    # Airflow 2.x: DatasetTriggeredTimetable.dataset_condition; its cron timetables keep ``_expression``
    cond = getattr(tt, "asset_condition", None) or getattr(tt, "dataset_condition", None)
    if cond is not None and hasattr(cond, "objects"):
        got = (type(cond).__name__, tuple(sorted(a.uri for a in cond.objects)))
    else:
        got = (type(tt).__name__, getattr(tt, "expression", None) or getattr(tt, "_expression", None))
    assert got == expected
