"""Per-file cache of validation results and DAG build plans, in memory and on disk.

Why: reading, schema-validating and merging a YAML file costs milliseconds; a folder of 1000
files would cost seconds on *every* parse. Airflow 3's dag-processor parses each DAG file in a
fresh child process, so an in-memory cache alone never hits there: the on-disk layer is what
makes repeated parses cheap. A cached value is a build plan (``plan.py``) once the file's DAG has
been built, else the validated ``Workflow``, or the file's list of ``ConfigError``. It is reused
only while the file's key (``cachekeys.py``: content, defaults, variables, code) is unchanged.

Entries are addressed by their key, not by the file's path, so every checkout of a DAG bundle
(Airflow 3 checks each version out into a folder of its own) finds the entries of the files it
shares with the others. Only build plans are shared between folders, with their paths under the
workflow's folder relocated (``relocate.py``); a model or a list of errors stays with its folder::

    <cache dir>/entries/<sha256(key)[:32]>.pkl          a plan any folder may replay
    <cache dir>/entries/<sha256(key, folder)[:32]>.pkl  a value of this folder only
    <cache dir>/<sha256(config folder)[:16]>/ROOT, index.tsv   see dagindex.py and bundles.py

An entry not read for ``ENTRY_MAX_AGE_S`` is deleted by the hourly prune (``bundles.py``); a hit
refreshes its age at most once a day. Entries are written to a temp file and renamed (atomic,
safe with concurrent dag-processor children and workers); every disk problem (read-only home, a
corrupt or foreign entry, an unpicklable value) falls back silently to validating the file. Where
the folders live and why they must be private to the Airflow user: ``cachedir.py``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import time
from collections.abc import Callable
from typing import Any

from hevo_dagfactory.factory import cachedir, cachekeys
from hevo_dagfactory.factory import plandata as build_plan
from hevo_dagfactory.factory.cachekeys import KeyBuilder, relative

__all__ = ["KeyBuilder", "lookup", "relative", "reset", "store"]

log = logging.getLogger(__name__)

ENTRY_MAX_AGE_S = 7 * 24 * 3600.0
TOUCH_AFTER_S = 24 * 3600.0

#: entry digest → pickled (key, value): survives re-imports of the loader within one process. Values
#: are kept pickled so every hit gets its own copy (Airflow may change the objects of a plan).
_MEMORY: dict[str, bytes] = {}


def reset(*, disk: bool = False) -> None:
    """Forget the in-memory cache (and re-resolve the disk folder): for tests and benchmarks."""
    _MEMORY.clear()
    cachekeys.forget_fingerprint()
    cachedir.reset(disk=disk)


def _digest(key: tuple, folder: str | None) -> str:
    text = repr(key if folder is None else (*key, folder))
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:32]


def lookup(key: tuple, folder: str) -> tuple[bool, Any]:
    """(hit, value): a plan any folder may replay, else a value of this folder's. Each hit is a fresh copy.

    ``folder``: the workflow file's folder as the spec layer spells it (``KeyBuilder.anchor``).
    """
    for digest in (_digest(key, None), _digest(key, folder)):
        value = _read(digest, key)
        if value is not _MISS:
            return True, build_plan.in_folder(value, folder) if build_plan.is_plan(value) else value
    return False, None


_MISS = object()


def _read(digest: str, key: tuple) -> Any:
    data = _MEMORY.get(digest)
    if data is None:
        entry = cachedir.entry_path(digest)
        if entry is None:
            return _MISS
        try:
            with open(entry, "rb") as fh:
                data = fh.read()
                if time.time() - os.fstat(fh.fileno()).st_mtime > TOUCH_AFTER_S:
                    os.utime(entry)  # still in use: the prune keeps entries read within ENTRY_MAX_AGE_S
        except OSError:
            return _MISS
    try:
        stored_key, value = pickle.loads(data)
    except Exception:
        log.debug("ignoring an unreadable cache entry %s", digest, exc_info=True)
        return _MISS
    if stored_key != key:
        return _MISS
    _MEMORY[digest] = data
    return value


def store(key: tuple, value: Any, folder: str, spells: Callable[[str], bool] | None = None) -> bool:
    """Remember ``value`` under ``key``; False (and nothing stored) if it cannot be pickled.

    ``folder``: the workflow file's folder (``KeyBuilder.anchor``). A just-recorded plan is stored
    for every folder unless its inputs ``spells`` its anchor (a literal path into the checkout) or
    the anchor is still in it after relocation (inside an object ``relocate`` cannot look into);
    anything else is stored for ``folder`` only.
    """
    anchor = value.pop("anchor", folder) if build_plan.is_plan(value) else folder
    try:
        data = pickle.dumps((key, value), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:
        log.debug("cannot cache the result for %s", key[0], exc_info=True)
        return False
    shared = build_plan.is_plan(value) and not (spells is not None and spells(anchor)) and not _names(data, anchor)
    if build_plan.is_plan(value) and not shared:
        data = pickle.dumps((key, build_plan.in_folder(value, folder)), protocol=pickle.HIGHEST_PROTOCOL)
    digest = _digest(key, None if shared else folder)
    _MEMORY[digest] = data
    entry = cachedir.entry_path(digest)
    if entry is not None:
        try:
            cachedir.atomic_write(entry, data)
        except OSError:
            log.debug("could not write cache entry %s", entry, exc_info=True)
    return True


def _names(data: bytes, anchor: str) -> bool:
    """Whether pickled data still holds the anchor (as text, or possibly inside a ``pathlib`` object)."""
    return anchor.encode("utf-8", "surrogateescape") in data or b"pathlib" in data


def prune_entries(now: float) -> int:
    """Delete the entries not read for ``ENTRY_MAX_AGE_S`` and temp files older than an hour; the count."""
    folder = cachedir.entries_dir()
    if folder is None:
        return 0
    removed = 0
    try:
        with os.scandir(folder) as found:
            for item in found:
                age = now - item.stat(follow_symlinks=False).st_mtime
                if age > ENTRY_MAX_AGE_S or (".tmp-" in item.name and age > 3600):
                    os.unlink(item.path)
                    removed += 1
    except OSError:
        log.debug("pruning the cache entries stopped early", exc_info=True)
    return removed
