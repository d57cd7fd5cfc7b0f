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


def index_hints(root: Path, dag_id: str) -> list[str]:
    """Where OTHER config folders' last full parses found ``dag_id``, newest first.

    Why: each version of an Airflow 3 DAG bundle is checked out into a folder of its own, and a
    worker runs a task from its DAG's version folder, which no full parse may ever have seen. The
    same relative path in a sibling folder (the dag-processor's checkout, another version) is then
    the best guess; the caller reads that file and uses it only if it really holds ``dag_id``.
    """
    base, own = cachedir.disk_dir(), cachedir.root_dir(root)
    if base is None:
        return []
    found: list[tuple[int, str]] = []
    try:
        folders = [e for e in os.scandir(base) if e.is_dir() and (own is None or e.path != str(own))]
    except OSError:
        return []
    for entry in folders:
        folder = Path(entry.path)
        rel = dagindex.index_entry(dagindex.read_index_bytes(folder), dag_id)
        if rel is not None:
            try:
                mtime = (folder / "index.tsv").stat().st_mtime_ns
            except OSError:
                mtime = 0
            found.append((mtime, rel))
    return list(dict.fromkeys(rel for _, rel in sorted(found, reverse=True)))


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
    folders would otherwise stay forever. Also removes entries of the flat layout of earlier
    releases. Returns the number of folders removed.
    """
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
            elif entry.name.endswith(".pkl") and entry.name.startswith(("wf-", "index-")):
                os.unlink(entry.path)  # the flat layout of format 1
        except OSError:
            continue
    return removed
