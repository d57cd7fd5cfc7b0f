"""Team folders in the loader: subfolders, the defaults chain in the cache key, ``.airflowignore``, global dag_ids."""

from __future__ import annotations

import os

import pytest

from tests.factory.helpers import write

WF = "syncs: [{id: orders, pipeline_id: 7}]\n"


def load(folder):
    from hevo_dagfactory import load_workflows

    return load_workflows(folder, {"__file__": str(folder / "loader.py")})


def test_subfolders_become_dags_with_their_folders_defaults(tmp_path):
    write(tmp_path, "defaults.yaml", "owner: data\ntags: [company]\n")
    write(tmp_path / "team_a", "defaults.yaml", "owner: team-a\n")
    write(tmp_path / "team_a", "orders_a.yaml", WF)
    write(tmp_path / "team_b" / "deep", "orders_b.yaml", WF)
    dags = load(tmp_path)
    assert {d: dags[d].owner for d in dags} == {"orders_a": "team-a", "orders_b": "data"}
    assert "company" in dags["orders_a"].tags


def test_a_parent_defaults_change_reaches_the_cached_file(tmp_path):
    from hevo_dagfactory.factory import cache
    from hevo_dagfactory.factory.loader import LAST_RUN

    write(tmp_path, "defaults.yaml", "owner: before\n")
    write(tmp_path / "team" / "sub", "w.yaml", WF)
    assert load(tmp_path)["w"].owner == "before"
    cache.reset()
    assert load(tmp_path)["w"].owner == "before" and LAST_RUN["replayed"] == 1
    path = write(tmp_path, "defaults.yaml", "owner: after\n")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    cache.reset()
    assert load(tmp_path)["w"].owner == "after" and LAST_RUN["validated"] == 1


def test_the_same_dag_id_in_two_team_folders_is_a_placeholder_naming_both(tmp_path):
    write(tmp_path / "team_a", "orders.yaml", WF)
    write(tmp_path / "team_b", "orders.yaml", WF)
    dags = load(tmp_path)
    assert "config-error" not in dags["orders"].tags and dags["orders"].get_task("orders")
    (placeholder,) = [d for d in dags.values() if "config-error" in d.tags]
    assert "team_b/orders.yaml: dag_id 'orders' is already used by team_a/orders.yaml" in placeholder.description


@pytest.mark.parametrize(
    ("syntax", "ignore"),
    [("glob", "scratch/\n*_old.yaml\n"), ("regexp", "^scratch/\n_old\\.yaml$\n")],
)
def test_airflowignore_follows_airflows_configured_syntax(tmp_path, monkeypatch, syntax, ignore):
    monkeypatch.setenv("AIRFLOW__CORE__DAG_IGNORE_FILE_SYNTAX", syntax)
    write(tmp_path, ".airflowignore", ignore)
    write(tmp_path, "kept.yaml", WF)
    write(tmp_path, "orders_old.yaml", "syncs: [{id: x, pipeline_idd: 1}]\n")  # broken, but ignored
    write(tmp_path / "scratch", "draft.yaml", WF)
    assert set(load(tmp_path)) == {"kept"}
