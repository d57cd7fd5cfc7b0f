"""``hevo-dagfactory schema``: print the workflow JSON Schema (or its path).

Why: editors and CI tools (check-jsonschema, yaml-language-server) can use the exact
schema shipped with the installed version.
"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--path", action="store_true", help="print the schema file's path instead of its content")


def run(args: argparse.Namespace) -> int:
    from hevo_dagfactory.spec.schema import schema_path

    path = schema_path()
    if args.path:
        print(path)
    else:
        print(path.read_text(encoding="utf-8"), end="")
    return 0
