"""``hevo-dagfactory new NAME``: write a valid starter workflow file.

Why: the fastest way to a correct file is a correct file to edit. It refuses to
overwrite anything, carries the schema modeline for editor completion, and is
checked by the test suite to validate as written.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

_NAME = re.compile(r"[A-Za-z0-9_.-]{1,200}")  # used with fullmatch: "$" would allow a final "\n"

TEMPLATE = """\
# yaml-language-server: $schema={schema}
# Starter workflow: sync one Hevo pipeline, then run dbt and a shell command.
# Check it with: hevo-dagfactory validate {filename}
dag_id: {dag_id}
description: Sync a Hevo pipeline, then build the dbt models that read it
schedule: "0 6 * * *"          # cron, a preset such as "@daily", null, or {{assets: [...]}}
start_date: 2026-01-01
timezone: UTC
owner: data-eng
tags: [hevo]
hevo:
  connection_id: hevo_airflow_conn_id
  region: us                   # asia, au, eu, eu2, in, us, us2 or us-gcp
defaults:
  retries: 2
  retry_delay: 5m
syncs:
  - id: source_sync
    pipeline_id: 1234          # the number in the pipeline's URL in Hevo
steps:
  - id: dbt_build
    dbt:
      command: build
      select: ["tag:{dag_id}"]
      project_dir: ${{DBT_PROJECT_DIR:-dbt}}
    # no `after`: runs after every sync
  - id: done
    bash: echo "{dag_id} finished for {{{{ ds }}}}"
    after: [dbt_build]
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "name", metavar="NAME", help="dag_id of the new workflow (also the file name), or a path ending in .yaml"
    )
    parser.add_argument("--dir", default=".", help="folder to write into (default: the current folder)")
    parser.add_argument(
        "--schema",
        default=None,
        help="schema location for the modeline (default: a relative path to the installed schema)",
    )


def run(args: argparse.Namespace) -> int:
    from hevo_dagfactory.spec.schema import schema_path

    raw = args.name
    target = Path(raw) if raw.endswith((".yaml", ".yml")) else Path(args.dir) / f"{raw}.yaml"
    dag_id = target.stem
    if not _NAME.fullmatch(dag_id):
        print(
            f"hevo-dagfactory new: {dag_id!r} is not a valid dag_id (letters, digits, '_', '.', '-')", file=sys.stderr
        )
        return 2
    if target.exists():
        print(f"hevo-dagfactory new: {target} already exists; choose another name or delete it first", file=sys.stderr)
        return 1
    if not target.parent.is_dir():
        print(f"hevo-dagfactory new: folder {target.parent} does not exist", file=sys.stderr)
        return 2
    schema = args.schema
    if schema is None:  # relative when the schema sits in the same tree (a checkout), else absolute
        folder, installed = target.parent.resolve(), schema_path().resolve()
        shared = os.path.commonpath([folder, installed])
        schema = os.path.relpath(installed, folder) if shared != folder.anchor else str(installed)
    text = TEMPLATE.format(schema=schema, dag_id=dag_id, filename=target)
    try:
        with target.open("x", encoding="utf-8") as fh:  # "x": never overwrite, even in a race
            fh.write(text)
    except FileExistsError:
        print(f"hevo-dagfactory new: {target} already exists", file=sys.stderr)
        return 1
    print(f"wrote {target}; edit pipeline_id and the dbt selection, then run: hevo-dagfactory validate {target}")
    return 0
