"""Build plans that do not name the checkout they were built in, so another checkout can replay them.

Why: the spec layer makes relative paths absolute against the workflow file's folder (a dbt step's
``project_dir: ../dbt`` becomes ``/<checkout>/dbt``), and those paths end up in the operators'
arguments. A plan recorded in the dag-processor's checkout must not send a task of another bundle
version to that checkout. The *anchor* is the deepest folder that holds the workflow file's folder
and every path its steps made absolute (:func:`anchor_for`: ``/<checkout>`` above, ``up`` = 1
level above the file's folder). While a plan is recorded (:class:`Snapshot`) every occurrence of
the anchor in its strings becomes :data:`MARKER`; a replay (:func:`rooted`) puts in the replaying
file's folder, ``up`` levels up. The marker holds a NUL, which no workflow value, environment value
or file path can contain, so it never stands for anything a user wrote; and a file whose inputs
spell the anchor (a literal path into the checkout) gets no shared plan (``cache.store``).

:class:`Snapshot` also takes the recorded copy of the arguments, pickled before Airflow gets (and
may change) them; pickling is several times cheaper than ``copy.deepcopy``. Only strings in plain
containers are looked into; any other object (a timetable, an Asset) is pickled as it is, so
``cache.store`` keeps a plan holding the anchor inside such an object to its own folder.
"""

from __future__ import annotations

import dataclasses
import os
import pickle
import re
from collections.abc import Iterable, Iterator
from pathlib import PurePath
from typing import Any

MARKER = "\x00hevo-dagfactory-folder\x00"


class Snapshot:
    """Pickled copies of one plan's arguments with ``anchor`` replaced by the marker in their strings."""

    def __init__(self, anchor: str):
        self.anchor = anchor
        self.pattern = re.compile(re.escape(anchor) + r"(?=[/'\"\s]|$)")
        self.replaced = False  # a marker was written: the plan must be relocated on replay

    def take(self, kwargs: dict[str, Any]) -> bytes:
        """``kwargs`` as they are now, with the anchor marked: pickled, so later changes do not reach them."""
        return pickle.dumps(self._mark(kwargs), protocol=pickle.HIGHEST_PROTOCOL)

    def _mark(self, value: Any) -> Any:
        kind = type(value)
        if kind is str:
            if self.anchor in value:
                new = self.pattern.sub(MARKER, value)
                self.replaced = self.replaced or new != value
                return new
            return value
        if kind is dict:  # keys are names (arguments, variables), not paths
            return {k: self._mark(v) for k, v in value.items()}
        if kind is list or kind is tuple:
            return kind(self._mark(v) for v in value)
        return value  # anything else is pickled as it is; ``cache.store`` checks it for the anchor


def rooted(value: Any, anchor: str) -> Any:
    """``value`` with every marker replaced by ``anchor`` (what :class:`Snapshot` marked)."""
    kind = type(value)
    if kind is str:
        return value.replace(MARKER, anchor) if MARKER in value else value
    if kind is dict:
        return {k: rooted(v, anchor) for k, v in value.items()}
    if kind is list or kind is tuple:
        return kind(rooted(v, anchor) for v in value)
    return value


def anchor_for(folder: str, bodies: Iterable[Any]) -> tuple[str, int]:
    """(the anchor, how many levels it is above ``folder``) for steps whose models are ``bodies``."""
    paths = [str(p) for body in bodies for p in _paths_in(body) if p.is_absolute()]
    anchor = os.path.commonpath([folder, *paths]) if paths else folder
    return anchor, len(os.path.relpath(folder, anchor).split(os.sep)) if anchor != folder else 0


def anchor_in(folder: str, up: int) -> str:
    """The anchor of a plan replayed from ``folder``: ``up`` levels above it."""
    return os.path.normpath(os.path.join(folder, *[os.pardir] * up)) if up else folder


def _paths_in(value: Any) -> Iterator[PurePath]:
    """The paths in a step's model (the parsers make paths under the workflow's folder absolute)."""
    if isinstance(value, PurePath):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for item in vars(value).values():
            yield from _paths_in(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _paths_in(item)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            yield from _paths_in(item)
