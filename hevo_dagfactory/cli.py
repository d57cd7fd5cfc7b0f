"""Command line: ``hevo-dagfactory <command> ...`` (also ``python -m hevo_dagfactory``).

Each command lives in the module of the layer that owns it and exposes
``add_arguments(parser)`` and ``run(args) -> int``. Only the chosen command's
module is imported, so ``validate`` never pays for aiohttp or Airflow.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# command -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "validate": (
        "hevo_dagfactory.spec.commands.validate",
        "check workflow files (schema + semantics; --online: ask Hevo)",
    ),
    "schema": ("hevo_dagfactory.spec.commands.schema", "print the workflow JSON Schema"),
    "show": ("hevo_dagfactory.spec.commands.show", "print the task graph of a workflow file"),
    "new": ("hevo_dagfactory.spec.commands.new", "write a valid starter workflow file"),
    "pools": (
        "hevo_dagfactory.spec.commands.pools",
        "print the Airflow pools the workflows need (airflow pools import)",
    ),
    "simulator": ("hevo_dagfactory.simulator.cli", "run the local Hevo API simulator on 127.0.0.1"),
    "demo": ("hevo_dagfactory.demo.cli", "run the example workflows in a real local Airflow"),
}


#: ``validate --online`` runs here instead (the spec layer never talks to Hevo).
ONLINE_MODULE = "hevo_dagfactory.online.command"


def _top_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hevo-dagfactory",
        description="Declarative YAML workflows that sync Hevo pipelines and run dbt/bash steps in Airflow.",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS:
        parser = _top_parser()
        if not argv:
            parser.print_help()
            return 2
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:  # argparse: 0 for --help, 2 for usage errors
            return int(exc.code or 0)
        if args.version:
            from hevo_dagfactory import __version__

            print(__version__)
            return 0
        parser.print_help()
        return 2
    name, rest = argv[0], argv[1:]
    module = importlib.import_module(COMMANDS[name][0])
    parser = argparse.ArgumentParser(prog=f"hevo-dagfactory {name}", description=COMMANDS[name][1])
    module.add_arguments(parser)
    try:
        args = parser.parse_args(rest)
    except SystemExit as exc:
        return int(exc.code or 0)
    if getattr(args, "online", False):  # validate --online talks to Hevo: a layer above spec, loaded only now
        module = importlib.import_module(ONLINE_MODULE)
    try:
        return int(module.run(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
