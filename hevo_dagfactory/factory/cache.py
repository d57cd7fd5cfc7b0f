"""Validated workflow models cached per file, in memory and on disk.

Why: reading, schema-validating and merging a YAML file costs milliseconds; a folder of 1000
files would cost seconds on *every* parse. Airflow 3's dag-processor parses each DAG file in a
fresh child process, so an in-memory cache alone never hits there: the on-disk layer is what
makes repeated parses cheap. A cached result (a ``Workflow`` or the file's list of
``ConfigError``) is reused only when its key still matches:

    (path, size, mtime_ns, sha256 of the content, key of every defaults.yaml above the file,
     values of the ${VARS} the files mention, HEVO_DAGFACTORY_ENV, code fingerprint)

The code fingerprint covers the package version and the spec layer's source files, so a new
validator never trusts an old verdict. Disk entries are written to a temp file and
``os.replace``-d (atomic, safe with concurrent dag-processor children); every disk problem
(read-only home, a corrupt or foreign entry, an unpicklable model) falls back silently to
validating the file. The cache directory must belong to the current user and must not be
group/world-writable, because it holds pickles: a directory anyone could write to is ignored.

Set ``HEVO_DAGFACTORY_CACHE=off`` to disable the disk layer, or ``HEVO_DAGFACTORY_CACHE_DIR``
to choose where it lives (default: ``$AIRFLOW_HOME/.hevo_dagfactory_cache``, else the system
temp dir).
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import re
import stat
import tempfile
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

DEFAULTS_NAMES = ("defaults.yaml", "defaults.yml")
_VAR_REF = re.compile(rb"\$\{([A-Za-z_][A-Za-z0-9_]*)")
_FORMAT = 1

#: path → (key, result): survives re-imports of the loader within one process.
_MEMORY: dict[str, tuple[tuple, Any]] = {}
_fingerprint: str | None = None
_disk_dir: Path | None | bool = False  # False = not resolved yet, None = disabled


def code_fingerprint() -> str:
    """Version + (name, size, mtime) of the spec layer's files and the packaged schema."""
    global _fingerprint
    if _fingerprint is None:
        import hevo_dagfactory  # the package root is light; importing the spec layer here is not

        h = hashlib.sha256(f"{_FORMAT}:{hevo_dagfactory.__version__}".encode())
        spec_dir = Path(hevo_dagfactory.__file__).parent / "spec"
        roots = [spec_dir, spec_dir.parent / "schemas", spec_dir.parent.parent / "schemas"]
        for root in roots:
            if not root.is_dir():
                continue
            for p in sorted(root.rglob("*")):
                if p.suffix in (".py", ".json") and "__pycache__" not in p.parts:
                    st = p.stat()
                    h.update(f"{p.relative_to(root)}:{st.st_size}:{st.st_mtime_ns};".encode())
        _fingerprint = h.hexdigest()[:20]
    return _fingerprint


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
    """Forget the in-memory cache (and re-resolve the disk folder): for tests and benchmarks."""
    global _disk_dir, _fingerprint
    _MEMORY.clear()
    _fingerprint = None
    if disk:
        _disk_dir = False


def _entry_path(kind: str, ident: str) -> Path | None:
    d = disk_dir()
    if d is None:
        return None
    name = hashlib.sha256(f"{kind}\0{ident}\0{code_fingerprint()}".encode()).hexdigest()[:32]
    return d / f"{kind}-{name}.pkl"


def read_entry(kind: str, ident: str) -> tuple[tuple, Any] | None:
    """``(key, value)`` stored for ``ident``, or None on any problem."""
    path = _entry_path(kind, ident)
    if path is None:
        return None
    try:
        with open(path, "rb") as fh:
            stored = pickle.load(fh)
        if isinstance(stored, tuple) and len(stored) == 2 and isinstance(stored[0], tuple):
            return stored
    except FileNotFoundError:
        return None
    except Exception:  # noqa: BLE001 - a corrupt or outdated entry is a miss, never an error
        log.debug("ignoring unreadable cache entry %s", path, exc_info=True)
    return None


def write_entry(kind: str, ident: str, key: tuple, value: Any) -> None:
    """Atomically store ``(key, value)``; any failure is silent (the cache is an optimisation)."""
    path = _entry_path(kind, ident)
    if path is None:
        return
    tmp = None
    try:
        data = pickle.dumps((key, value), protocol=pickle.HIGHEST_PROTOCOL)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".pkl")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
        tmp = None
    except Exception:  # noqa: BLE001
        log.debug("could not write cache entry %s", path, exc_info=True)
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


class KeyBuilder:
    """Computes file keys for one loader run, memoising the per-folder defaults keys."""

    def __init__(self, root: Path):
        self.root = root
        self._dir_keys: dict[Path, tuple[tuple, frozenset[bytes]]] = {}
        self.env_name = os.environ.get("HEVO_DAGFACTORY_ENV", "")

    def _defaults_of_dir(self, directory: Path) -> tuple[tuple, frozenset[bytes]]:
        """Key and ${VAR} names of the defaults files in ``directory`` and its parents up to root."""
        hit = self._dir_keys.get(directory)
        if hit is not None:
            return hit
        parts: list[tuple] = []
        names: set[bytes] = set()
        parent = directory.parent
        if directory != self.root and parent != directory and _is_within(parent, self.root):
            pkey, pnames = self._defaults_of_dir(parent)
            parts.extend(pkey)
            names |= pnames
        for n in DEFAULTS_NAMES:
            p = directory / n
            try:
                data = p.read_bytes()
                st = p.stat()
            except OSError:
                continue
            parts.append((str(p), st.st_size, st.st_mtime_ns, hashlib.sha256(data).hexdigest()))
            names |= set(_VAR_REF.findall(data))
        result = (tuple(parts), frozenset(names))
        self._dir_keys[directory] = result
        return result

    def key(self, path: Path) -> tuple[tuple, bytes] | None:
        """(key, file bytes) for a workflow file, or None if it vanished meanwhile."""
        try:
            with open(path, "rb") as fh:
                st = os.fstat(fh.fileno())
                data = fh.read()
        except OSError:
            return None
        dkey, dnames = self._defaults_of_dir(path.parent)
        names = sorted(set(_VAR_REF.findall(data)) | dnames)
        env_values = tuple(_env_digest(n.decode()) for n in names)
        key = (
            str(path),
            st.st_size,
            st.st_mtime_ns,
            hashlib.sha256(data).hexdigest(),
            dkey,
            env_values,
            self.env_name,
            code_fingerprint(),
        )
        return key, data


def _env_digest(name: str) -> tuple[str, str | None]:
    """A variable's name and a digest of its value: secrets never land in the cache key as text."""
    value = os.environ.get(name)
    return (name, None if value is None else hashlib.sha256(value.encode()).hexdigest()[:16])


def _is_within(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
        return True
    except ValueError:
        return False


def lookup(path: Path, key: tuple) -> tuple[bool, Any]:
    """(hit, result) from memory, then disk (promoting a disk hit to memory)."""
    ident = str(path)
    mem = _MEMORY.get(ident)
    if mem is not None and mem[0] == key:
        return True, mem[1]
    stored = read_entry("wf", ident)
    if stored is not None and stored[0] == key:
        _MEMORY[ident] = stored
        return True, stored[1]
    return False, None


def store(path: Path, key: tuple, result: Any) -> None:
    ident = str(path)
    _MEMORY[ident] = (key, result)
    write_entry("wf", ident, key, result)


def read_index(root: Path) -> dict[str, str]:
    """dag_id → workflow file (relative to root) from the last full parse of ``root``."""
    stored = read_entry("index", str(root))
    if stored is None or not isinstance(stored[1], dict):
        return {}
    return stored[1]


def write_index(root: Path, index: dict[str, str]) -> None:
    if read_index(root) != index:
        write_entry("index", str(root), (str(root),), index)

