"""The cache and versioned DAG bundles: where a new version's worker looks, what goes when a version goes.

Why: Airflow 3 checks each version of a DAG bundle out into a folder of its own
(``.../versions/<version>/``), and a worker runs a task from its DAG's version folder. The cache
keeps one folder per config folder (``cachedir.root_dir``), so a version no full parse has seen has
no dag_id index of its own (:func:`index_hints` looks in the others), and a version Airflow has
removed leaves a folder nobody reads (:func:`prune` drops it). Neither runs on the common path:
hints only on an index miss, pruning at most once an hour (:func:`maybe_prune`).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from hevo_dagfactory.factory import cachedir, dagindex


def index_hints(root: Path, dag_id: str, limit: int = 3) -> list[str]:
    """Where OTHER config folders' last full parses found ``dag_id``: up to ``limit`` files, newest index first.

    Why: each version of an Airflow 3 DAG bundle is checked out into a folder of its own, and a
    worker runs a task from its DAG's version folder, which no full parse may ever have seen. The
    same relative path in a sibling folder (the dag-processor's checkout, another version) is then
    the best guess; the caller reads that file and uses it only if it really holds ``dag_id``.
    Indexes are read newest first and only until ``limit`` files are found: a host may keep the
    folders of many versions.
    """
    base, own = cachedir.disk_dir(), cachedir.root_dir(root, create=False)
    if base is None:
        return []
    indexes: list[tuple[int, Path]] = []
    try:
        with os.scandir(base) as entries:
            for entry in entries:
                if entry.is_dir() and entry.name != cachedir.ENTRIES and (own is None or entry.path != str(own)):
                    try:
                        indexes.append((os.stat(os.path.join(entry.path, "index.tsv")).st_mtime_ns, Path(entry.path)))
                    except OSError:
                        continue  # no full parse there
    except OSError:
        return []
    found: list[str] = []
    for _, folder in sorted(indexes, reverse=True):
        rel = dagindex.index_entry(dagindex.read_index_bytes(folder), dag_id)
        if rel is not None and rel not in found:
            found.append(rel)
            if len(found) == limit:
                break
    return found


def maybe_prune(now: float | None = None) -> int:
    """:func:`prune` when an hour has passed since it last ran (``cachedir.prune_due``)."""
    now = time.time() if now is None else now
    base = cachedir.disk_dir()
    if base is None or not cachedir.prune_due(now):
        return 0
    return prune(base, now)


def prune(base: Path, now: float) -> int:
    """Drop the cache folders of config folders that no longer exist (``base``: the cache dir).

    Why: Airflow removes old bundle versions' checkouts (``stale_bundle_cleanup_*``); their cache
    folders would otherwise stay forever. Also drops the entries no parse has read for a week
    (``cache.prune_entries``) and the entries of earlier releases' layouts. Returns the number of
    folders removed.
    """
    from hevo_dagfactory.factory import cache

    cache.prune_entries(now)
    marker = base / ".pruned"
    try:
        marker.touch()
        os.utime(marker, (now, now))
        entries = list(os.scandir(base))
    except OSError:
        return 0
    removed = 0
    for entry in entries:
        try:
            if entry.is_dir(follow_symlinks=False):
                owner = (Path(entry.path) / "ROOT").read_text("utf-8", "surrogateescape")
                if not os.path.isdir(owner):
                    shutil.rmtree(entry.path, ignore_errors=True)
                    cachedir.forget_root(owner)
                    removed += 1
                else:
                    _drop_old_layout(entry.path)
            elif entry.name.endswith(".pkl") and entry.name.startswith(("wf-", "index-")):
                os.unlink(entry.path)  # the flat layout of format 1
        except OSError:
            continue
    return removed


def _drop_old_layout(folder: str) -> None:
    """Entries of format 2, which lived in each config folder's cache folder (now in ``entries/``)."""
    with os.scandir(folder) as found:
        for item in found:
            if item.name.endswith(".pkl"):
                os.unlink(item.path)
