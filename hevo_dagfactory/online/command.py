"""``hevo-dagfactory validate --online``: the offline validation, then Hevo asked about every pipeline.

Exit codes: 0 every file valid and every pipeline fit, 1 an error in a file (offline or online, each
as ``path:line:col: message [pointer]; hint`` in the chosen format), 2 a usage error or Hevo could not
be asked (outage, refused credentials, no credentials): then the offline result is still printed and
the message says why Hevo was not asked, never blaming a file. The API secret is never printed.
"""

from __future__ import annotations

import argparse
import os
import sys

from hevo_dagfactory.spec.commands import validate


def add_arguments(parser: argparse.ArgumentParser) -> None:
    validate.add_arguments(parser)


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except BrokenPipeError:  # the reader left (`... | head`)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _run(args: argparse.Namespace) -> int:
    from hevo_dagfactory.online.check import HevoUnavailable, check_workflows
    from hevo_dagfactory.spec.errors import ConfigError

    loaded = validate.load(args)
    if isinstance(loaded, int):
        return loaded
    try:
        online = check_workflows(loaded.workflows, os.environ)
    except HevoUnavailable as exc:
        validate.report(args, loaded, loaded.errors)
        print(f"hevo-dagfactory validate --online: {exc}", file=sys.stderr)
        return 2
    errors = sorted([*loaded.errors, *online.errors], key=ConfigError.sort_key)
    hosts = ", ".join(sorted(online.hosts))
    note = f"; {online.pipelines} pipeline(s) checked online" + (f" at {hosts}" if hosts else "")
    return validate.report(args, loaded, errors, note=note)
