"""Parsing-context skip: a worker running one task builds only that task's DAG.

Airflow sets ``_AIRFLOW_PARSING_CONTEXT_DAG_ID`` before a worker parses the DAG file. The loader
then builds one DAG, and after a full parse has recorded which file holds which dag_id it does not
even validate the other files.
"""

from __future__ import annotations

import logging

from tests.factory.helpers import BROKEN_UNKNOWN_KEY, dagbag, dags_folder_with_loader, good_workflow, write


def _load(folder):
    from hevo_dagfactory import load_workflows
    from hevo_dagfactory.factory.loader import LAST_RUN

    dags = load_workflows(folder, {"__file__": str(folder / "loader.py")})
    return dags, dict(LAST_RUN)


def _fresh_process():
    """What a new worker process has: the disk cache, but nothing in memory."""
    from hevo_dagfactory.factory import cache

    cache.reset()


def test_after_a_full_parse_only_the_wanted_file_is_read(tmp_path, parsing_context, caplog):
    for i in range(6):
        good_workflow(tmp_path, f"wf{i}", pid=i + 1)
    dags, stats = _load(tmp_path)
    assert len(dags) == 6 and stats["validated"] == 6

    # Break every other file: a worker that looked at them would log errors and build placeholders.
    for i in (0, 1, 3, 4, 5):
        write(tmp_path, f"wf{i}.yaml", "syncs: [broken\n")
    _fresh_process()
    parsing_context("wf2")
    with caplog.at_level(logging.ERROR, logger="hevo_dagfactory.factory"):
        dags, stats = _load(tmp_path)
    assert list(dags) == ["wf2"]
    assert [t.task_id for t in dags["wf2"].tasks] == ["orders", "build"]
    assert stats["validated"] == 0 and stats["cached"] == 1
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_without_an_index_the_wanted_dag_is_still_the_only_one_built(tmp_path, parsing_context):
    for i in range(4):
        good_workflow(tmp_path, f"wf{i}", pid=i + 1)
    parsing_context("wf3")
    dags, stats = _load(tmp_path)
    assert list(dags) == ["wf3"]
    assert stats["built"] == 1


def test_a_changed_file_is_revalidated_not_trusted_from_the_index(tmp_path, parsing_context):
    path = good_workflow(tmp_path, "moving", pid=5)
    good_workflow(tmp_path, "other", pid=6)
    _load(tmp_path)
    path.write_text(path.read_text().replace("dag_id: moving", "dag_id: renamed"))
    _fresh_process()
    parsing_context("moving")
    dags, _ = _load(tmp_path)
    assert dags == {}
    parsing_context("renamed")
    dags, _ = _load(tmp_path)
    assert list(dags) == ["renamed"]


def test_placeholder_of_a_broken_file_is_built_for_its_worker(tmp_path, parsing_context):
    good_workflow(tmp_path, "fine")
    write(tmp_path, "broken_one.yaml", BROKEN_UNKNOWN_KEY)
    _load(tmp_path)
    _fresh_process()
    parsing_context("broken_one", "config_error")
    dags, _ = _load(tmp_path)
    assert list(dags) == ["broken_one"]
    assert "config-error" in dags["broken_one"].tags


def test_dagbag_with_parsing_context_holds_one_dag(tmp_path, parsing_context):
    dags = dags_folder_with_loader(tmp_path)
    for name in ("a1", "a2", "a3"):
        good_workflow(dags, name)
    parsing_context("a2")
    bag = dagbag(dags)
    assert bag.import_errors == {}
    assert bag.dag_ids == ["a2"]
