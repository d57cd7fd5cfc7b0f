"""Which environment names a run may select (``HEVO_DAGFACTORY_ENV`` / ``--env``).

Why a check at all: the overlay is looked up by name, so ``HEVO_DAGFACTORY_ENV=prdo`` (or
``PROD``) used to apply no overlay and run production with the base settings, without a word.
The rule: ``dev``, ``stage`` and ``prod`` may always be selected (a file without an overlay for
them simply has nothing to change); any other name must be declared under some
``environments:`` of the file or of its folder's defaults file (``qa: {}`` declares ``qa``).
Names are case-sensitive and follow the schema's pattern for overlay names.
"""

from __future__ import annotations

from collections.abc import Iterable

from hevo_dagfactory.spec import schema as S
from hevo_dagfactory.spec.errors import ConfigError
from hevo_dagfactory.spec.schema_errors import did_you_mean

ENV_VAR = "HEVO_DAGFACTORY_ENV"
#: names every file may run in without declaring them
STANDARD_ENVIRONMENTS = ("dev", "stage", "prod")


def environment_name_problem(environment: str) -> str | None:
    """Why ``environment`` can never name an overlay (with a did-you-mean), or None if it can."""
    from hevo_dagfactory.spec.patterns import compiled

    pattern = S.section("#/properties/environments")["propertyNames"]["pattern"]
    if compiled(pattern).search(environment):
        return None
    close = did_you_mean(environment.lower(), STANDARD_ENVIRONMENTS)
    return "environment names are lower-case letters, digits, '_' and '-', starting with a letter" + (
        f"; {close}" if close else ""
    )


def unknown_environment(
    environment: str, declared: Iterable[str], shown: str, key_mark: tuple[int, int] | None
) -> ConfigError | None:
    """The error for a file loaded in an environment it does not know, or None.

    ``declared``: overlay names of the file and its folder's defaults file; ``key_mark``: where the
    file's own ``environments:`` key is (the error points there, else at 1:1).
    """
    problem = environment_name_problem(environment)
    declared = set(declared)
    if problem is None and (environment in STANDARD_ENVIRONMENTS or environment in declared):
        return None
    known = sorted(set(STANDARD_ENVIRONMENTS) | declared)
    if problem is None:
        close = did_you_mean(environment, known)
        problem = (f"{close} Otherwise d" if close else "D") + (
            f"eclare it: add '{environment}: {{}}' under 'environments:' in this file or its folder's defaults file"
        )
    line, col = key_mark or (1, 1)
    return ConfigError(
        f"unknown environment {environment!r} (from {ENV_VAR} or --env); known here: {', '.join(known)}",
        shown,
        line,
        col,
        "/environments" if key_mark else None,
        problem,
        "environment",
    )
