"""``hevo-dagfactory pools PATH...``: the Airflow pools the workflows need, as ``airflow pools import`` JSON.

Why a command: a sync with ``exclusive: true`` runs in the pool ``hevo_pipeline_<pipeline_id>``, which
must exist before the scheduler queues it (a task whose pool is missing waits in ``scheduled`` and the
scheduler logs "Tasks using non-existent pool ... will not be scheduled"). Parsing never writes to the
metadata database, so creating the pools is a deployment step, like creating the Hevo connection::

    hevo-dagfactory pools dags/ > pools.json && airflow pools import pools.json

Each pool has one slot and ``include_deferred: true``: a deferred sync (waiting in the triggerer) keeps
its slot, so a second DAG's sync of the same pipeline waits until the first task has finished.
Pools a workflow names itself (``pool:``) are listed with ``--all`` (one slot; resize them as you need).
"""

from __future__ import annotations

import argparse
import json
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from hevo_dagfactory.spec.commands.folder_args import add_folder_arguments

    parser.add_argument("paths", nargs="+", metavar="PATH", help="workflow files or folders (searched recursively)")
    parser.add_argument("--env", default=None, help="environment overlay to apply (default: $HEVO_DAGFACTORY_ENV)")
    parser.add_argument("--all", action="store_true", help="also list the pools workflows name with 'pool:'")
    add_folder_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from hevo_dagfactory.spec.loader import load_paths
    from hevo_dagfactory.spec.pools import required_pools

    result = load_paths(args.paths, env=args.env, root=args.root, ignore_syntax=args.ignore_syntax)
    for err in result.errors:
        print(err, file=sys.stderr)
    try:
        print(json.dumps(required_pools(result.workflows, named=args.all), indent=2))
    except BrokenPipeError:  # `pools ... | head`: the reader left
        return 1
    return 1 if result.errors else 0
