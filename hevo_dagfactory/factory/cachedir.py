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
import logging
import os
import stat
import tempfile
import time
from pathlib import Path

log = logging.getLogger(__name__)

PRUNE_EVERY_S = 3600.0  # how often bundles.prune looks for folders of removed checkouts

_disk_dir: Path | bool | None = False  # False = not resolved yet, None = disabled
_root_dirs: dict[str, Path | None] = {}


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
    global _disk_dir
    _root_dirs.clear()
    if disk:
        _disk_dir = False


def root_dir(root: Path) -> Path | None:
    """This config folder's sub-folder of the disk cache (created on first use), or None."""
    ident = str(root)
    if ident in _root_dirs:
        return _root_dirs[ident]
    base = disk_dir()
    folder = None if base is None else base / digest(ident, 16)
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


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to a temp file beside ``path`` and rename it over ``path``."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
        tmp = None
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


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
