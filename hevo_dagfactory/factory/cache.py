"""Per-file cache of validation results and DAG build plans, in memory and on disk.

Why: reading, schema-validating and merging a YAML file costs milliseconds; a folder of 1000
files would cost seconds on *every* parse. Airflow 3's dag-processor parses each DAG file in a
fresh child process, so an in-memory cache alone never hits there: the on-disk layer is what
makes repeated parses cheap. A cached value is a build plan (``plan.py``) once the file's DAG has
been built, else the validated ``Workflow``, or the file's list of ``ConfigError``. It is reused
only when its key still matches:

    (path, size, mtime_ns, sha256 of the content, key of every defaults.yaml above the file,
     values of the ${VARS} the files mention, HEVO_DAGFACTORY_ENV, code fingerprint)

The code fingerprint covers the package version, the spec and factory code, compat and the
installed Airflow, so new code never trusts an old verdict or plan.

Disk layout: one folder per config folder, so each bundle version (Airflow 3 DAG bundles check
every version out into a folder of its own) has a bounded set of entries and can be dropped as a
whole once Airflow removed that version's checkout::

    <cache dir>/<sha256(config folder)[:16]>/ROOT        the config folder's path (for pruning)
                                            /index.tsv   dag_id <TAB> file, from the last full parse
                                            /<sha256(file)[:24]>.pkl   (key, value) of one file

Entries are written to a temp file and ``os.replace``-d (atomic, safe with concurrent
dag-processor children); every disk problem (read-only home, a corrupt or foreign entry, an
unpicklable value) falls back silently to validating the file. Where the folders live and why
they must be private to the Airflow user: ``cachedir.py``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import re
import sys
from pathlib import Path
from typing import Any

from hevo_dagfactory.factory import cachedir

log = logging.getLogger(__name__)

DEFAULTS_NAMES = ("defaults.yaml", "defaults.yml")
_VAR_REF: re.Pattern[bytes] | None = None  # compiled on first use: compiling costs more than a cache hit
_FORMAT = 2

#: path → (key, pickled value): survives re-imports of the loader within one process. Values are
#: kept pickled so every hit gets its own copy (Airflow may change the objects of a plan).
_MEMORY: dict[str, tuple[tuple, bytes]] = {}
_fingerprint: str | None = None


def code_fingerprint() -> str:
    """Version + (name, size, mtime) of the code a cached value depends on, and Airflow's version.

    The spec layer and its schema decide the validation result; the factory, ``provider/compat/``
    and Airflow decide a build plan (it holds Airflow objects). Read with ``os.scandir``: this runs
    once per parse process, on the path a worker takes before every task.
    """
    global _fingerprint
    if _fingerprint is None:
        import hevo_dagfactory  # the package root is light; importing the spec layer here is not

        pkg = os.path.dirname(hevo_dagfactory.__file__)
        parts = [f"{_FORMAT}:{hevo_dagfactory.__version__}"]
        for folder in (
            os.path.join(pkg, "spec"),
            os.path.join(pkg, "factory"),
            os.path.join(pkg, "schemas"),
            os.path.join(pkg, "provider", "compat"),
            os.path.join(os.path.dirname(pkg), "schemas"),
        ):
            _stat_tree(parts, folder)
        for file in (_airflow_init(),):
            try:
                st = os.stat(file) if file else None
            except OSError:
                st = None
            if st is not None:
                parts.append(f"{file}:{st.st_size}:{st.st_mtime_ns}")
        parts.sort()
        _fingerprint = hashlib.sha256(";".join(parts).encode("utf-8", "surrogateescape")).hexdigest()[:20]
    return _fingerprint


def _stat_tree(parts: list[str], folder: str) -> None:
    """``path:size:mtime_ns`` of every .py/.json file below ``folder`` (no __pycache__)."""
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                name = entry.name
                if name.endswith((".py", ".json")):
                    st = entry.stat()
                    parts.append(f"{entry.path}:{st.st_size}:{st.st_mtime_ns}")
                elif name != "__pycache__" and "." not in name and entry.is_dir():
                    _stat_tree(parts, entry.path)
    except OSError:
        return


def _airflow_init() -> str | None:
    """Airflow's ``__init__.py`` (its version lives there), found without importing Airflow."""
    module = sys.modules.get("airflow")
    if module is not None and getattr(module, "__file__", None):
        return module.__file__
    import importlib.util

    try:
        spec = importlib.util.find_spec("airflow")
    except (ImportError, ValueError):
        return None
    return spec.origin if spec is not None else None


def reset(*, disk: bool = False) -> None:
    """Forget the in-memory cache (and re-resolve the disk folder): for tests and benchmarks."""
    global _fingerprint
    _MEMORY.clear()
    _fingerprint = None
    cachedir.reset(disk=disk)


def relative(root: Path, path: Path) -> str | None:
    """``path`` relative to ``root`` in POSIX form, or None if it is not below ``root``.

    String work instead of ``Path.relative_to``, which costs more than the rest of a cache hit.
    """
    prefix, text = os.path.join(str(root), ""), str(path)
    if not text.startswith(prefix):
        return None
    rel = text[len(prefix) :]
    return rel.replace(os.sep, "/") if os.sep != "/" else rel


def _entry_path(root: Path, path: Path) -> Path | None:
    folder = cachedir.root_dir(root)
    if folder is None:
        return None
    return folder / f"{cachedir.digest(relative(root, path) or str(path), 24)}.pkl"


def lookup(root: Path, path: Path, key: tuple) -> tuple[bool, Any]:
    """(hit, value) from memory, then disk (promoting a disk hit to memory). Each hit is a fresh copy."""
    ident = str(path)
    mem = _MEMORY.get(ident)
    if mem is not None and mem[0] == key:
        return True, pickle.loads(mem[1])[1]
    entry = _entry_path(root, path)
    if entry is None:
        return False, None
    try:
        with open(entry, "rb") as fh:
            data = fh.read()
        stored = pickle.loads(data)
        if isinstance(stored, tuple) and len(stored) == 2 and stored[0] == key:
            _MEMORY[ident] = (key, data)
            return True, stored[1]
    except FileNotFoundError:
        pass
    except Exception:
        log.debug("ignoring unreadable cache entry %s", entry, exc_info=True)
    return False, None


def store(root: Path, path: Path, key: tuple, value: Any) -> bool:
    """Remember ``value`` for ``path``; False (and nothing stored) if it cannot be pickled."""
    try:
        data = pickle.dumps((key, value), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:
        log.debug("cannot cache the result for %s", path, exc_info=True)
        return False
    _MEMORY[str(path)] = (key, data)
    entry = _entry_path(root, path)
    if entry is not None:
        try:
            cachedir.atomic_write(entry, data)
        except Exception:
            log.debug("could not write cache entry %s", entry, exc_info=True)
    return True


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
                with open(p, "rb") as fh:
                    st = os.fstat(fh.fileno())
                    data = fh.read()
            except OSError:
                continue
            parts.append((str(p), st.st_size, st.st_mtime_ns, hashlib.sha256(data).hexdigest()))
            names |= _var_names(data)
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
        names = sorted(_var_names(data) | dnames)
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


def _var_names(data: bytes) -> set[bytes]:
    """Names of the ``${VAR}`` references in a file's text."""
    global _VAR_REF
    if b"${" not in data:
        return set()
    if _VAR_REF is None:
        _VAR_REF = re.compile(rb"\$\{([A-Za-z_][A-Za-z0-9_]*)")
    return set(_VAR_REF.findall(data))


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
