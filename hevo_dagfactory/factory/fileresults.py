"""Each workflow file's result in one loader run: from the cache, else validated, and stored back.

A result is a build plan (``plan.py``) once the file's DAG has been built, else the validated
``Workflow``, or the file's list of ``ConfigError``. A freshly validated ``Workflow`` whose DAG the
run is about to build is held back (``defer``): the plan recorded while building replaces it, so
a file costs one disk write, not two.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Union

from hevo_dagfactory.factory import cache, cachekeys
from hevo_dagfactory.factory.plan import Plan

if TYPE_CHECKING:
    from hevo_dagfactory.spec.errors import ConfigError
    from hevo_dagfactory.spec.layers import DefaultsCache
    from hevo_dagfactory.spec.model import Workflow

log = logging.getLogger("hevo_dagfactory.factory")

#: What the cache holds for a file: its build plan, its validated model, or its errors.
Result = Union[Plan, "Workflow", "list[ConfigError]"]


class FileResults:
    """The results of one config folder's files during one loader run, and the run's counters."""

    def __init__(self, root: Path, stats: dict[str, int]):
        self.root = root
        self.keys = cachekeys.KeyBuilder(root)
        self.stats = stats
        #: path → (key, Workflow) validated in this run but not stored yet (see the module docstring).
        self._unstored: dict[str, tuple[tuple, Workflow]] = {}
        #: the defaults files this run has read (made when the first file is validated: a replay needs no spec)
        self._defaults: DefaultsCache | None = None

    def validate(self, path: Path) -> tuple[Workflow | list[ConfigError], bool]:
        """:func:`validate` with the defaults files read once per run, not once per workflow file."""
        if self._defaults is None:
            from hevo_dagfactory.spec.loader import defaults_cache

            self._defaults = defaults_cache()
        return validate(path, self.root, self._defaults)

    def rel(self, path: Path) -> str:
        return cachekeys.relative(self.root, path) or path.name

    def result_for(self, path: Path, *, defer: bool = False) -> tuple[Result | None, tuple | None]:
        """(the file's result; its cache key), or ``(None, None)`` if the file vanished meanwhile."""
        keyed = self.keys.key(path)
        if keyed is None:
            return None, None
        key = keyed[0]
        hit, result = cache.lookup(key, self.keys.anchor(path.parent))
        if hit:
            self.stats["cached"] += 1
            return result, key
        self.stats["validated"] += 1
        result, cacheable = self.validate(path)
        if cacheable and defer and not isinstance(result, list):
            self._unstored[str(path)] = (key, result)
        elif cacheable:
            cache.store(key, result, self.keys.anchor(path.parent))
        return result, key

    def store_plan(self, path: Path, key: tuple | None, plan: Plan | None) -> None:
        """Store the DAG's build plan in place of its model; the model if there is no plan."""
        folder = self.keys.anchor(path.parent)
        if plan is not None and key is not None and cache.store(key, plan, folder, lambda a: self.keys.spells(path, a)):
            self._unstored.pop(str(path), None)  # the next parse replays the plan
        else:
            self.store_model(path)

    def store_model(self, path: Path) -> None:
        """Store a deferred model (its DAG got no plan: a plug-in builder, or Airflow rejected it)."""
        pending = self._unstored.pop(str(path), None)
        if pending is not None:
            cache.store(*pending, self.keys.anchor(path.parent))

    def store_remaining(self) -> None:
        """Store the models whose DAGs this run did not build (a worker building only one)."""
        for path in list(self._unstored):
            self.store_model(Path(path))

    def error_lines(self, path: Path, errors: Sequence[ConfigError]) -> list[str]:
        """``file:line:col: message [pointer] (hint)`` with the file relative to the config folder."""
        rel = self.rel(path)
        lines = []
        for err in errors:
            loc = rel
            if err.line_number is not None:
                loc += f":{err.line_number}"
                if err.column_number is not None:
                    loc += f":{err.column_number}"
            text = f"{loc}: {err.message}"
            if err.pointer:
                text += f" [{err.pointer}]"
            if err.suggestion:
                text += f" ({err.suggestion})"
            lines.append(text)
        return lines or [f"{rel}: invalid workflow file"]


def dag_id_of(result: Plan | Workflow) -> str:
    """The dag_id of a build plan or a ``Workflow``."""
    return result["dag_id"] if isinstance(result, dict) else result.dag_id


def validate(
    path: Path, root: Path, defaults: DefaultsCache | None = None
) -> tuple[Workflow | list[ConfigError], bool]:
    """(Workflow or errors, cacheable) for ``path`` below the config folder ``root`` (where its defaults.yaml
    chain starts); ``defaults``: the defaults files already read in this run. An unexpected validator crash
    is reported, not cached."""
    from hevo_dagfactory.spec import ConfigError, ConfigErrors, load_file

    try:
        return load_file(path, root=root, defaults=defaults), True
    except ConfigErrors as exc:
        return list(exc.errors), True
    except Exception as exc:
        log.debug("validating %s crashed", path, exc_info=True)
        # The exception's type only: its text may quote a value of the file, and values can hold
        # interpolated secrets (the traceback goes to the DEBUG log above).
        message = (
            f"could not validate the file ({type(exc).__name__}): a bug in hevo-dagfactory, "
            "please report it together with the file"
        )
        return [ConfigError(message, str(path), None, None)], False
