"""The dag_id index of a config folder: which file held which dag_id in its last full parse.

Why: a worker about to run one task (parsing context set) must find its DAG's file without reading
the other 999. The full parse writes ``index.tsv`` into the folder's cache directory; the worker
finds its row with a plain byte search, no unpickling, before it reads that one file.
"""

from __future__ import annotations

import logging
from pathlib import Path

from hevo_dagfactory.factory import cachedir

log = logging.getLogger(__name__)


def read_index_bytes(folder: Path | None) -> bytes:
    """The raw ``index.tsv`` of a cache folder (``\n`` then ``dag_id<TAB>file\n`` rows), or b""."""
    if folder is None:
        return b""
    try:
        with open(folder / "index.tsv", "rb") as fh:
            return fh.read()
    except OSError:
        return b""


def index_entry(data: bytes, dag_id: str) -> str | None:
    """The file recorded for ``dag_id`` in raw index data, found by a plain byte search."""
    needle = b"\n" + dag_id.encode() + b"\t"
    at = data.find(needle)
    if at < 0:
        return None
    start = at + len(needle)
    return data[start : data.index(b"\n", start)].decode("utf-8", "surrogateescape")


def index_lookup(root: Path, dag_id: str) -> str | None:
    """The file (relative to ``root``) that held ``dag_id`` in the last full parse of ``root``.

    A plain-text search, no unpickling: this runs before every task a worker starts.
    """
    return index_entry(read_index_bytes(cachedir.root_dir(root)), dag_id)


def write_index(root: Path, index: dict[str, str]) -> None:
    """Record the index (only when it changed). Names with a tab or newline are left out (never found)."""
    folder = cachedir.root_dir(root)
    if folder is None:
        return
    rows = sorted((d, r) for d, r in index.items() if not any(c in d + r for c in "\t\n"))
    data = ("\n" + "".join(f"{d}\t{r}\n" for d, r in rows)).encode("utf-8", "surrogateescape")
    if read_index_bytes(folder) != data:
        try:
            cachedir.atomic_write(folder / "index.tsv", data)
        except Exception:
            log.debug("could not write the dag_id index of %s", root, exc_info=True)
