"""``hevo-dagfactory validate PATH...``: check workflow files, report every error.

Exit codes a CI understands: 0 all valid, 1 at least one error, 2 usage (e.g. a path
that does not exist) or, with ``--online``, Hevo could not be asked. ``--online`` is carried out by
``hevo_dagfactory.online`` (the CLI picks it; the spec layer never talks to Hevo), which reuses
:func:`load` and :func:`report` so its errors print exactly like these. ``--format github`` prints workflow-command annotations so the
errors show inline on a pull request. Imports stay minimal: this command must check
a thousand files in about a second, interpreter start included.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hevo_dagfactory.spec.errors import ConfigError
    from hevo_dagfactory.spec.loader import LoadResult


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from hevo_dagfactory.spec.commands.folder_args import add_folder_arguments

    parser.add_argument(
        "paths", nargs="+", metavar="PATH", help="workflow files or folders (folders are searched recursively)"
    )
    parser.add_argument(
        "--format", choices=("text", "json", "github"), default="text", help="output format (default: text)"
    )
    parser.add_argument("--env", default=None, help="environment overlay to apply (default: $HEVO_DAGFACTORY_ENV)")
    parser.add_argument(
        "--only-workflows",
        action="store_true",
        help="skip named YAML files that do not look like workflows (the folder rules; for pre-commit)",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="print errors only, no summary")
    parser.add_argument(
        "--online",
        action="store_true",
        help="also ask Hevo about every pipeline_id (exists, Edge, enabled, Sync On Demand), with the credentials "
        "of the workflow's connection (AIRFLOW_CONN_<ID>) or HEVO_API_KEY/HEVO_API_SECRET/HEVO_REGION; "
        "exit 2 when Hevo cannot be reached",
    )
    add_folder_arguments(parser)


def _github_escape(text: str, *, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except BrokenPipeError:  # `validate ... | head`: the reader left; not an error worth a traceback
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _run(args: argparse.Namespace) -> int:
    loaded = load(args)
    if isinstance(loaded, int):
        return loaded
    return report(args, loaded, loaded.errors)


def load(args: argparse.Namespace) -> LoadResult | int:
    """Load every named file (the offline check); an exit code for a usage error instead."""
    from hevo_dagfactory.spec.loader import ENV_VAR, current_environment, environment_name_problem, load_paths

    missing = [p for p in args.paths if not Path(p).exists()]
    if missing:
        for p in missing:
            print(f"hevo-dagfactory validate: {p}: no such file or folder", file=sys.stderr)
        return 2
    environment = current_environment(args.env)
    problem = environment_name_problem(environment) if environment else None
    if problem:  # a name no overlay can have: a usage error, whatever the files say
        source = "--env" if args.env is not None else ENV_VAR
        print(
            f"hevo-dagfactory validate: {source} {environment!r} is not a valid environment name: {problem}",
            file=sys.stderr,
        )
        return 2
    return load_paths(
        args.paths, env=args.env, sniff_files=args.only_workflows, root=args.root, ignore_syntax=args.ignore_syntax
    )


def report(args: argparse.Namespace, result: LoadResult, errors: list[ConfigError], note: str = "") -> int:
    """Print ``errors`` in the chosen format (plus a summary in text mode, ``note`` appended); 1 if any."""
    if args.format == "json":
        payload = {
            "valid": not errors,
            "files": [str(p) for p in result.files],
            "workflows": [w.dag_id for w in result.workflows],
            "errors": [e.to_dict() for e in errors],
        }
        print(json.dumps(payload, indent=2))
    elif args.format == "github":
        lines = [_github_line(e) for e in errors]
        if lines:
            print("\n".join(lines))
    else:
        if errors:
            print("\n".join(str(e) for e in errors))
        if not args.quiet:
            print(_summary(args, result, errors) + note, file=sys.stderr)
    return 1 if errors else 0


def _github_line(e: ConfigError) -> str:
    props = [f"file={_github_escape(e.file, prop=True)}"]
    if e.line is not None:
        props.append(f"line={e.line}")
    if e.col is not None:
        props.append(f"col={e.col}")
    props.append(f"title={_github_escape(e.error_type, prop=True)}")
    message = e.message + (f" [{e.pointer}]" if e.pointer else "") + (f" ({e.hint})" if e.hint else "")
    return f"::error {','.join(props)}::{_github_escape(message)}"


def _summary(args: argparse.Namespace, result: LoadResult, errors: list[ConfigError]) -> str:
    from hevo_dagfactory.spec.errors import display_path

    bad = {e.file for e in errors}
    checked = {display_path(p) for p in result.files} | bad  # defaults files count as checked too
    summary = f"{len(checked)} file(s) checked, {len(result.workflows)} valid workflow(s)"
    if errors:
        summary += f", {len(errors)} error(s) in {len(bad)} file(s)"
    if not result.files and not args.only_workflows:
        summary = "no workflow files found (a folder's YAML counts when it has a top-level syncs:/steps:/hevo: key or the schema modeline)"
    return summary
