"""``__version__`` comes from pyproject.toml's ``version``, the single source, whichever way the package is found."""

from __future__ import annotations

import importlib.metadata
import runpy
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_the_version_is_pyprojects_and_the_installed_metadata_agrees():
    import hevo_dagfactory
    from hevo_dagfactory.cli import main

    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11 (CI)
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    assert hevo_dagfactory.__version__ == declared
    assert importlib.metadata.version("hevo-dagfactory") == declared
    assert main(["--version"]) == 0


def test_a_package_without_pyproject_beside_it_reads_the_installed_metadata(tmp_path):
    copy = tmp_path / "hevo_dagfactory" / "version.py"
    copy.parent.mkdir()
    shutil.copy(REPO / "hevo_dagfactory" / "version.py", copy)
    assert runpy.run_path(str(copy))["__version__"] == importlib.metadata.version("hevo-dagfactory")


def test_another_projects_pyproject_beside_the_package_is_not_read(tmp_path):
    copy = tmp_path / "hevo_dagfactory" / "version.py"
    copy.parent.mkdir()
    shutil.copy(REPO / "hevo_dagfactory" / "version.py", copy)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "someone-else"\nversion = "9.9.9"\n')
    found = runpy.run_path(str(copy))
    assert found["_from_source_checkout"]() is None and found["__version__"] != "9.9.9"
