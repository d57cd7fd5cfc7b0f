"""Parsing touches neither the network nor the metadata DB (checked in a fresh process)."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.factory.helpers import CONFIGS, REPO

CHILD = r"""
import socket, sys

def refuse(*args, **kwargs):
    raise AssertionError(f"network access at parse time: {args!r}")

socket.socket.connect = refuse
socket.socket.connect_ex = refuse
socket.create_connection = refuse

import sqlalchemy.engine.base
sqlalchemy.engine.base.Connection.__init__ = refuse  # any DB session would open a connection

from hevo_dagfactory.provider.compat import DagBag
bag = DagBag(dag_folder=sys.argv[1], safe_mode=True)
assert not bag.import_errors, bag.import_errors
print(len(bag.dags))
"""


def test_parse_needs_no_network_and_no_database(tmp_path):
    from hevo_dagfactory.spec import find_workflow_files

    env = {
        **os.environ,
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{tmp_path}/missing/dir/airflow.db",
        "HEVO_DAGFACTORY_CACHE_DIR": str(tmp_path / "cache"),
    }
    for _ in range(2):  # cold (validating) and warm (from the disk cache)
        proc = subprocess.run(
            [sys.executable, "-c", CHILD, str(REPO / "dags")],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert proc.stdout.split()[-1] == str(len(find_workflow_files(CONFIGS)))
