"""The real dbt of ``.venv-dbt`` against a copy of the example project (configs/dbt/analytics).

``make test`` builds ``.venv-dbt`` first (``make install-dbt``); run by hand without it, these tests are skipped
and say how to get it. Tests check that the project copy is left as it was: a dbt task writes nothing into its
project folder (target, logs and the DuckDB files go elsewhere). Its raw data (the seeds, standing in for the
tables Hevo loads) is loaded once per session into ``raw.duckdb``, as the demo does.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from hevo_dagfactory.demo import dbtsetup

from .dbt_helpers import DbtEnv

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "configs" / dbtsetup.EXAMPLE_PROJECT


@pytest.fixture(scope="session")
def dbt_env(tmp_path_factory: pytest.TempPathFactory) -> DbtEnv:
    """``.venv-dbt``'s dbt and dbt-ol linked into a bin folder, a project copy, the raw data loaded."""
    venv = dbtsetup.find_venv([REPO / dbtsetup.VENV_NAME])
    if venv is None:
        pytest.skip(f"no {dbtsetup.VENV_NAME} next to the repository: {dbtsetup.INSTALL_HINT} (`make test` does)")
    root = tmp_path_factory.mktemp("dbt")
    env = DbtEnv(root=root, venv=venv, bin_dir=root / "bin", workflows=root / "workflows", warehouse=root / "warehouse")
    dbtsetup.link_executables(venv, env.bin_dir)
    (env.bin_dir / "dbt-ol-less").mkdir()
    os.symlink(venv / "bin" / "dbt", env.bin_dir / "dbt-ol-less" / "dbt")  # a PATH with dbt but no dbt-ol
    shutil.copytree(EXAMPLE, env.project)
    env.warehouse.mkdir()
    proc = subprocess.run(
        ["dbt", "seed", "--target", "raw", "--project-dir", str(env.project), "--profiles-dir", str(env.project)],
        env=env.process_env({"DBT_TARGET_PATH": str(root / "seed-target"), "DBT_LOG_PATH": str(root / "seed-logs")}),
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    env.project_files = env.list_project()
    return env


@pytest.fixture(scope="module")
def dbt_worker(dbt_env: DbtEnv, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DbtEnv]:
    """``dbt_env`` as a worker's environment, for a test module: its dbt and dbt-ol first on PATH, no dbt or
    lineage settings of the caller's shell, no ~/.dbt, the warehouse folder, a private model cache."""
    mp = pytest.MonkeyPatch()
    for name in list(os.environ):
        if name.startswith(("DBT_", "OPENLINEAGE", "HEVO_DAGFACTORY_")):
            mp.delenv(name)
    mp.setenv("PATH", f"{dbt_env.bin_dir}{os.pathsep}{os.environ['PATH']}")
    mp.setenv("HOME", str(tmp_path_factory.mktemp("home")))  # dbt finds a profile only where we say
    mp.setenv("ANALYTICS_DUCKDB_DIR", str(dbt_env.warehouse))
    mp.setenv("DBT_USE_COLORS", "false")
    mp.setenv("HEVO_DAGFACTORY_CACHE_DIR", str(tmp_path_factory.mktemp("model-cache")))
    try:
        yield dbt_env
    finally:
        mp.undo()
