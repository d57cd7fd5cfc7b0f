"""``spec/airflowignore.py`` lists exactly the files Airflow's own ``find_path_from_directory`` lists.

The spec layer cannot import Airflow, so it carries a port of Airflow 3.3's rules; this test runs the port and
Airflow's function (each line's own: 3.3's ``file_discovery``, 2.11's ``utils.file``) over the same trees,
in both syntaxes, so the port cannot drift from what the installed Airflow does.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hevo_dagfactory.spec.airflowignore import IGNORE_FILE, walk

TREES = {
    "glob": {
        IGNORE_FILE: "# build outputs\n*.tmp\n!keep.tmp\nbuild/\n/rootonly.yaml\nsub/deep/\n\n",
        "a.yaml": "",
        "x.tmp": "",
        "keep.tmp": "",
        "rootonly.yaml": "",
        "build/b.yaml": "",
        "sub/rootonly.yaml": "",
        "sub/deep/c.yaml": "",
        "sub/other/d.yaml": "",
        "sub/other/e.yaml": "",
        f"sub/other/{IGNORE_FILE}": "d.yaml\n",
        "sub/build": "",  # a file named like the folder-only pattern: kept
        "more/sub/deep/f.yaml": "",  # "sub/deep/" has a middle slash: anchored to the root, so this stays
    },
    "regexp": {
        IGNORE_FILE: "\\.tmp$\n^sub/deep\n[\n",  # "[" is an invalid regexp: skipped, as Airflow does
        "a.yaml": "",
        "x.tmp": "",
        "sub/deep/c.yaml": "",
        "sub/other/d.yaml": "",
        "sub/other/e.yaml": "",
        f"sub/{IGNORE_FILE}": "other/d\n",  # matched against the path below the searched folder: no hit
        f"sub/other/{IGNORE_FILE}": "e\\.yaml\n",
        "more/sub/deep/f.yaml": "",
    },
}


def airflow_find(root: Path, syntax: str) -> set[str]:
    try:  # Airflow 3.3
        from airflow._shared.module_loading.file_discovery import find_path_from_directory
    except ImportError:  # Airflow 2.11
        from airflow.utils.file import find_path_from_directory
    return {Path(p).relative_to(root).as_posix() for p in find_path_from_directory(root, IGNORE_FILE, syntax)}


def ours(root: Path, syntax: str) -> set[str]:
    return {(here / name).relative_to(root).as_posix() for here, names in walk(root, syntax) for name in names}


@pytest.mark.parametrize("syntax", sorted(TREES))
def test_the_port_lists_what_airflow_lists(tmp_path, syntax):
    for name, text in TREES[syntax].items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    expected = airflow_find(tmp_path, syntax)
    assert ours(tmp_path, syntax) == expected
    assert "a.yaml" in expected and "x.tmp" not in expected  # the tree really exercises the rules


def test_a_symlink_loop_is_listed_once_instead_of_failing(tmp_path):
    (tmp_path / "team").mkdir()
    (tmp_path / "team" / "w.yaml").write_text("")
    os.symlink(tmp_path, tmp_path / "team" / "back")  # team/back -> the root: a loop
    assert ours(tmp_path, "glob") == {"team/w.yaml"}
