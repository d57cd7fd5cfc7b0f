"""The per-file model cache: hits across processes, and every input that must invalidate it."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from tests.factory.helpers import REPO, good_workflow, write


def _load(folder):
    from hevo_dagfactory import load_workflows
    from hevo_dagfactory.factory.loader import LAST_RUN

    dags = load_workflows(folder, {"__file__": str(folder / "loader.py")})
    return dags, dict(LAST_RUN)


def _fresh_process():
    from hevo_dagfactory.factory import cache

    cache.reset()


def test_a_new_process_reuses_the_validated_models(tmp_path):
    for i in range(3):
        good_workflow(tmp_path, f"c{i}", pid=i + 1)
    script = (
        "from hevo_dagfactory import load_workflows\n"
        "from hevo_dagfactory.factory.loader import LAST_RUN\n"
        f"load_workflows({str(tmp_path)!r}, {{'__file__': 'x.py'}})\n"
        "print(LAST_RUN['cached'], LAST_RUN['validated'], LAST_RUN['built'])\n"
    )
    env = {**os.environ}
    runs = [
        subprocess.run(
            [sys.executable, "-c", script], env=env, cwd=REPO, capture_output=True, text=True, timeout=120
        ).stdout.split()[-3:]
        for _ in range(2)
    ]
    assert runs == [["0", "3", "3"], ["3", "0", "3"]]


def test_content_change_is_seen(tmp_path):
    path = good_workflow(tmp_path, "orders", pid=1)
    dags, _ = _load(tmp_path)
    assert dags["orders"].get_task("orders").pipeline_id == 1
    path.write_text(path.read_text().replace("pipeline_id: 1", "pipeline_id: 2"))
    _fresh_process()
    dags, stats = _load(tmp_path)
    assert dags["orders"].get_task("orders").pipeline_id == 2 and stats["validated"] == 1


def test_defaults_file_change_is_seen(tmp_path):
    good_workflow(tmp_path, "orders")
    write(tmp_path, "defaults.yaml", "owner: team-one\n")
    dags, _ = _load(tmp_path)
    assert dags["orders"].default_args["owner"] == "team-one"
    write(tmp_path, "defaults.yaml", "owner: team-two\n")
    _fresh_process()
    dags, stats = _load(tmp_path)
    assert dags["orders"].default_args["owner"] == "team-two" and stats["validated"] == 1


def test_environment_variable_change_is_seen(tmp_path, monkeypatch):
    path = good_workflow(tmp_path, "orders")
    path.write_text(path.read_text() + 'description: "for ${TEAM_NAME:-nobody}"\n')
    dags, _ = _load(tmp_path)
    assert dags["orders"].description == "for nobody"
    monkeypatch.setenv("TEAM_NAME", "sales")
    _fresh_process()
    dags, stats = _load(tmp_path)
    assert dags["orders"].description == "for sales" and stats["validated"] == 1
    # An unrelated variable does not invalidate anything.
    monkeypatch.setenv("UNRELATED_VARIABLE", "x")
    _fresh_process()
    _, stats = _load(tmp_path)
    assert stats["validated"] == 0


def test_environment_overlay_choice_is_part_of_the_key(tmp_path, monkeypatch):
    path = good_workflow(tmp_path, "orders")
    path.write_text(path.read_text() + "environments:\n  dev:\n    schedule: null\n")
    dags, _ = _load(tmp_path)
    assert dags["orders"].timetable.__class__.__name__ != "NullTimetable"
    monkeypatch.setenv("HEVO_DAGFACTORY_ENV", "dev")
    _fresh_process()
    dags, _ = _load(tmp_path)
    assert dags["orders"].timetable.__class__.__name__ == "NullTimetable"


def test_corrupt_entries_are_a_silent_miss(tmp_path):
    from hevo_dagfactory.factory import cachedir

    good_workflow(tmp_path, "orders")
    _load(tmp_path)
    entries = list(cachedir.disk_dir().rglob("*.pkl"))
    assert entries
    for entry in entries:
        entry.write_bytes(b"not a pickle")
    _fresh_process()
    dags, stats = _load(tmp_path)
    assert list(dags) == ["orders"] and stats["validated"] == 1


def test_a_cache_folder_others_can_write_is_not_trusted(tmp_path, monkeypatch):
    from hevo_dagfactory.factory import cache, cachedir

    shared = tmp_path / "shared-cache"
    shared.mkdir()
    shared.chmod(0o777)
    monkeypatch.setenv("HEVO_DAGFACTORY_CACHE_DIR", str(shared))
    cache.reset(disk=True)
    assert cachedir.disk_dir() is None
    good_workflow(tmp_path / "wf", "orders")
    dags, _ = _load(tmp_path / "wf")
    assert list(dags) == ["orders"]
    assert list(shared.iterdir()) == []


def test_cache_can_be_switched_off(tmp_path, monkeypatch):
    from hevo_dagfactory.factory import cache

    monkeypatch.setenv("HEVO_DAGFACTORY_CACHE", "off")
    cache.reset(disk=True)
    good_workflow(tmp_path, "orders")
    _load(tmp_path)
    _fresh_process()
    _, stats = _load(tmp_path)
    assert stats["validated"] == 1


def test_every_example_is_served_from_the_cache_on_the_next_parse():
    """The examples use vars, env and interpolation: their models must survive the disk round trip."""
    from tests.factory.helpers import CONFIGS

    dags, stats = _load(CONFIGS)
    _fresh_process()
    again, stats = _load(CONFIGS)
    assert stats["validated"] == 0 and stats["cached"] == len(dags)
    assert {d: a.doc_md for d, a in again.items()} == {d: a.doc_md for d, a in dags.items()}


def test_a_new_bundle_version_reads_only_the_wanted_file(tmp_path, parsing_context):
    """Airflow 3 checks each DAG bundle version out into a folder of its own, and a worker runs a
    task from its version's folder: the index of another folder tells it which one file to read."""
    import shutil

    from hevo_dagfactory.factory import bundles, cachedir

    v1 = tmp_path / "bundle" / "versions" / "v1"
    for i in range(5):
        path = good_workflow(v1 / "configs", f"wf{i}", pid=i + 1)
        path.write_text(path.read_text().replace('select: ["tag:', 'project_dir: ../dbt, select: ["tag:'))
    _load(v1 / "configs")  # the dag-processor's full parse of version 1
    v2 = tmp_path / "bundle" / "versions" / "v2"
    shutil.copytree(v1, v2)

    _fresh_process()
    parsing_context("wf3")
    dags, stats = _load(v2 / "configs")  # a worker running a task of version 2
    assert list(dags) == ["wf3"]
    assert stats["validated"] == 1 and stats["files"] == 0, stats  # one file read, the folder not even listed
    assert f"--project-dir {v2 / 'dbt'}" in dags["wf3"].get_task("build").bash_command  # v2's own paths

    # One cache folder per config folder; the one of a checkout Airflow removed goes at the next prune.
    folders = {p.name for p in cachedir.disk_dir().iterdir() if p.is_dir()}
    assert folders == {cachedir.root_dir(v1 / "configs").name, cachedir.root_dir(v2 / "configs").name}
    shutil.rmtree(v1)
    first = time.time() + cachedir.PRUNE_EVERY_S + 1
    assert bundles.maybe_prune(now=first) == 1
    assert {p.name for p in cachedir.disk_dir().iterdir() if p.is_dir()} == {cachedir.root_dir(v2 / "configs").name}
    shutil.rmtree(v2)
    assert bundles.maybe_prune(now=first + 1) == 0  # at most once an hour...
    assert bundles.maybe_prune(now=first + cachedir.PRUNE_EVERY_S + 1) == 1  # ...then v2's folder goes too
