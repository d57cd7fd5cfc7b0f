"""Build plans: a cached plan replays the same DAG; a builder outside the plan still works.

See hevo_dagfactory/factory/plan.py. The golden tests (test_factory_golden.py) run on replayed
DAGs as well as on built ones.
"""

from __future__ import annotations

from tests.factory.helpers import good_workflow, write


def _load(folder):
    from hevo_dagfactory import load_workflows
    from hevo_dagfactory.factory.loader import LAST_RUN

    dags = load_workflows(folder, {"__file__": str(folder / "loader.py")})
    return dags, dict(LAST_RUN)


def _fresh_process():
    from hevo_dagfactory.factory import cache

    cache.reset()


def _shape(dag):
    """Everything the factory sets on a DAG and its tasks, comparable across two loads."""
    tasks = {}
    for t in dag.tasks:
        tasks[t.task_id] = (
            type(t).__name__,
            sorted(t.upstream_task_ids),
            [getattr(o, "uri", None) or o.name for o in t.outlets],  # an AssetAlias has a name only
            getattr(t, "bash_command", None),
            getattr(t, "env", None),
            getattr(t, "cwd", None),
            getattr(t, "pipeline_id", None),
            t.retries,
            t.owner,
        )
    tt = dag.timetable
    return (
        dag.dag_id,
        dag.description,
        dag.doc_md,
        sorted(dag.tags),
        type(tt).__name__,
        getattr(tt, "summary", None),
        dag.start_date,
        dag.catchup,
        dag.max_active_runs,
        tasks,
    )


def test_a_replayed_plan_is_the_built_dag(tmp_path):
    good_workflow(tmp_path, "orders", pid=1)
    write(
        tmp_path,
        "extra.yaml",
        """\
        dag_id: extra
        schedule: "15 3 * * 1"
        timezone: Europe/Berlin
        start_date: 2026-02-01
        hevo: {region: us2}
        defaults: {retries: 4, retry_delay: 10s}
        syncs:
          - {id: s1, pipeline_id: 5, wait: none}
          - {id: s2, pipeline_id: 6, wait: poll}
        steps:
          - id: d
            dbt: {command: run, vars: {day: "{{ ds }}"}, env: {A: b}}
          - id: b
            bash: {command: "echo {{ ds }}", cwd: work}
            after: [d]
        """,
    )
    built, stats = _load(tmp_path)
    assert stats["validated"] == 2 and stats["replayed"] == 0
    _fresh_process()
    replayed, stats = _load(tmp_path)
    assert stats["validated"] == 0 and stats["replayed"] == 2
    assert {d: _shape(x) for d, x in replayed.items()} == {d: _shape(x) for d, x in built.items()}


def test_every_replay_gets_its_own_objects(tmp_path):
    """Airflow may change what it is given: one load's DAG must not leak into the next."""
    good_workflow(tmp_path, "orders", pid=1)
    _load(tmp_path)
    first, _ = _load(tmp_path)  # replayed from the in-memory copy
    first["orders"].get_task("orders").outlets.append("changed")
    first["orders"].default_args["retries"] = 99
    second, stats = _load(tmp_path)
    assert stats["replayed"] == 1
    outlets = second["orders"].get_task("orders").outlets
    assert [getattr(o, "uri", None) or o.name for o in outlets] == [
        "hevo://eu/pipelines/1",
        "hevo://eu/pipelines/1/tables",
    ]
    assert second["orders"].default_args["retries"] != 99


def test_a_builder_that_bypasses_the_plan_is_built_from_the_model_every_time(tmp_path, monkeypatch):
    from hevo_dagfactory.factory import STEP_BUILDERS
    from hevo_dagfactory.provider.compat import BashOperator

    def direct_builder(ctx, model, task_id):  # a plug-in kind's builder that calls its operator itself
        return BashOperator(task_id=task_id, dag=ctx.dag, bash_command=f"echo direct {model.command}")

    monkeypatch.setitem(STEP_BUILDERS, "bash", direct_builder)
    write(tmp_path, "direct.yaml", "dag_id: direct\nschedule: null\nsteps:\n  - {id: s, bash: 'hi'}\n")
    for _ in range(2):
        _fresh_process()
        dags, stats = _load(tmp_path)
        assert dags["direct"].get_task("s").bash_command == "echo direct hi"
        assert stats["replayed"] == 0
    assert stats["cached"] == 1 and stats["validated"] == 0  # the model is still cached
