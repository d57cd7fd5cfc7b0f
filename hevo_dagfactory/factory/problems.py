"""A valid workflow file that this Airflow cannot run as written: the error its placeholder DAG shows.

Why not a validation error: ``validate`` never imports Airflow, so it cannot know which Airflow line or
which providers will run a file. The factory can; it raises ``ConfigErrors`` and the loader shows the
workflow as a placeholder DAG (docs/loader.md) that says what to change, instead of a traceback.
"""

from __future__ import annotations

from hevo_dagfactory.spec.errors import ConfigError, ConfigErrors


def cannot_run(source_name: str, message: str, pointer: str, hint: str, error_type: str) -> ConfigErrors:
    """The ``ConfigErrors`` to raise for ``source_name`` (the file as the DAG docs name it)."""
    return ConfigErrors([ConfigError(message, source_name, None, None, pointer, hint=hint, error_type=error_type)])
