"""Where the model cache lives on disk: the private cache folder, one sub-folder per config folder, atomic writes.

Why a module of its own: the cache entries (``cache.py``), the dag_id index (``dagindex.py``) and the
bundle-version housekeeping (``bundles.py``) all need the same folders; keeping the disk primitives
here lets each of them depend on this module alone, without an import circle between them.

The cache folder must belong to the current user and must not be group/world-writable, because it
holds pickles: a folder anyone could write to is ignored (a pickle from an untrusted writer is code
execution). ``HEVO_DAGFACTORY_CACHE=off`` disables it; ``HEVO_DAGFACTORY_CACHE_DIR`` moves it
(default: ``$AIRFLOW_HOME/.hevo_dagfactory_cache``, else the system temp dir).
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import os
import stat
import tempfile
import time
from pathlib import Path

log = logging.getLogger(__name__)

PRUNE_EVERY_S = 3600.0  # how often bundles.prune looks for folders of removed checkouts

_disk_dir: Path | bool | None = False  # False = not resolved yet, None = disabled
_entries_dir: Path | bool | None = False
_root_dirs: dict[str, Path | None] = {}
_temp_names = itertools.count()
ENTRIES = "entries"


def digest(text: str, n: int) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:n]


def _trusted_dir(path: Path) -> bool:
    try:
        st = path.stat()
    except OSError:
        return False
    if not stat.S_ISDIR(st.st_mode):
        return False
    if hasattr(os, "getuid") and st.st_uid != os.getuid():
        return False
    return not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def disk_dir() -> Path | None:
    """The on-disk cache folder, created 0700 on first use; None when disabled or unusable."""
    global _disk_dir
    if _disk_dir is not False:
        return _disk_dir  # type: ignore[return-value]
    _disk_dir = None
    if os.environ.get("HEVO_DAGFACTORY_CACHE", "").lower() in ("0", "off", "false", "no"):
        return None
    candidates: list[Path] = []
    if os.environ.get("HEVO_DAGFACTORY_CACHE_DIR"):
        candidates.append(Path(os.environ["HEVO_DAGFACTORY_CACHE_DIR"]))
    else:
        if os.environ.get("AIRFLOW_HOME"):
            candidates.append(Path(os.environ["AIRFLOW_HOME"]) / ".hevo_dagfactory_cache")
        uid = os.getuid() if hasattr(os, "getuid") else "user"
        candidates.append(Path(tempfile.gettempdir()) / f"hevo-dagfactory-cache-{uid}")
    for cand in candidates:
        try:
            cand.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError:
            continue
        if _trusted_dir(cand) and os.access(cand, os.W_OK):
            _disk_dir = cand
            break
        log.debug("hevo-dagfactory cache dir %s is not private to this user; not used", cand)
    return _disk_dir  # type: ignore[return-value]


def reset(*, disk: bool = False) -> None:
    """Forget the known config-folder sub-folders (and, with ``disk``, re-resolve the cache folder)."""
    global _disk_dir, _entries_dir
    _root_dirs.clear()
    _entries_dir = False
    if disk:
        _disk_dir = False


def root_dir(root: Path, *, create: bool = True) -> Path | None:
    """This config folder's sub-folder of the disk cache (created on first use), or None.

    ``create=False``: where it is or would be, without touching the disk (for reading only).
    """
    ident = str(root)
    if ident in _root_dirs:
        return _root_dirs[ident]
    base = disk_dir()
    folder = None if base is None else base / digest(ident, 16)
    if not create:
        return folder
    if folder is not None:
        try:
            folder.mkdir(mode=0o700, exist_ok=True)
            marker = folder / "ROOT"
            if not marker.exists():
                atomic_write(marker, ident.encode("utf-8", "surrogateescape"))
        except OSError:
            folder = None
    _root_dirs[ident] = folder
    return folder


def forget_root(ident: str) -> None:
    """Drop a config folder's sub-folder from memory (``bundles.prune`` deleted it)."""
    _root_dirs.pop(ident, None)


def entry_path(digest: str) -> Path | None:
    """Where the cache entry ``digest`` lives (the shared ``entries`` folder), or None without a disk cache."""
    folder = entries_dir()
    return None if folder is None else folder / f"{digest}.pkl"


def entries_dir() -> Path | None:
    """The folder of the cache entries, shared by every config folder (created 0700), or None."""
    global _entries_dir
    if _entries_dir is False:
        _entries_dir = None
        base = disk_dir()
        if base is not None:
            folder = base / ENTRIES
            try:
                folder.mkdir(mode=0o700, exist_ok=True)
            except OSError:
                return None
            if _trusted_dir(folder):
                _entries_dir = folder
    return _entries_dir  # type: ignore[return-value]


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to a temp file beside ``path`` (0600) and rename it over ``path``.

    The temp name is this process's id and a counter, created exclusively: cheaper than
    ``tempfile.mkstemp``'s random names, which cost a visible part of a first parse of 1000 files.
    """
    fd, tmp = _create_temp(path)
    written = False
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.close(fd)
        fd = -1
        os.replace(tmp, path)
        written = True
    finally:
        if fd >= 0:
            os.close(fd)
        if not written:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def _create_temp(path: Path) -> tuple[int, str]:
    """A new file beside ``path``, opened for writing (0600): this process's id and a counter."""
    while True:
        tmp = f"{path}.tmp-{os.getpid()}-{next(_temp_names)}"
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600), tmp
        except FileExistsError:  # left behind by a crashed process that had our pid
            continue


def prune_due(now: float | None = None) -> bool:
    """Whether an hour has passed since ``bundles.prune`` last ran (one stat)."""
    base = disk_dir()
    if base is None:
        return False
    now = time.time() if now is None else now
    try:
        return now - (base / ".pruned").stat().st_mtime >= PRUNE_EVERY_S
    except OSError:
        return True
