"""The folder options shared by ``validate``, ``show`` and ``pools``: the config root and the ignore syntax.

Why options: the loader knows its config folder and reads ``[core] dag_ignore_file_syntax`` from
Airflow's configuration; the commands never import Airflow, so they take both on the command line
(``AIRFLOW__CORE__DAG_IGNORE_FILE_SYNTAX`` is honoured when set, as Airflow does).
"""

from __future__ import annotations

import argparse
import os

from hevo_dagfactory.spec.airflowignore import SYNTAXES

IGNORE_SYNTAX_ENV = "AIRFLOW__CORE__DAG_IGNORE_FILE_SYNTAX"


def add_folder_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--root",
        default=None,
        metavar="DIR",
        help="config folder of the files named on their own: every defaults.yaml from DIR down to a file's "
        "folder applies (default: the file's folder only; a folder argument is its own root)",
    )
    parser.add_argument(
        "--ignore-syntax",
        choices=SYNTAXES,
        default=os.environ.get(IGNORE_SYNTAX_ENV) or "glob",
        help=f".airflowignore pattern syntax, as Airflow's [core] dag_ignore_file_syntax (default: ${IGNORE_SYNTAX_ENV} or glob)",
    )
