"""What a cached result of a workflow file depends on: its key.

    (the file's path relative to its config folder, sha256 of its content,
     (relative path, sha256) of every defaults.yaml from the config folder down to the file,
     name and sha256 of the value of every ${VAR} the files mention, HEVO_DAGFACTORY_ENV,
     the code fingerprint)

Why by content, not by path and modification time: Airflow 3 DAG bundles check every version out
into a folder of its own (a Git bundle: ``versions/<commit>/``), and a fresh checkout gives every
file a new path and mtime although almost none changed. Keyed by content, a worker starting a
task of a new version, or a dag-processor parsing a callback's version, finds the entries of the
unchanged files. The file is read anyway (its hash is in the key), so the content costs nothing
extra. Which results may be shared between folders, and how their paths move, is ``cache.store``'s
and ``relocate.py``'s business; :meth:`KeyBuilder.spells` tells them whether a file's inputs hold
a path as text.

The code fingerprint covers the package version, the spec and factory code, compat and the
installed Airflow, so new code never trusts an old verdict or plan. Environment values enter the
key only as digests.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
from pathlib import Path

DEFAULTS_NAMES = ("defaults.yaml", "defaults.yml")
KEY_FORMAT = 3  # bumped whenever the key or the entry layout changes
_VAR_REF: re.Pattern[bytes] | None = None  # compiled on first use: compiling costs more than a cache hit
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
        parts = [f"{KEY_FORMAT}:{hevo_dagfactory.__version__}"]
        for folder in (
            os.path.join(pkg, "spec"),
            os.path.join(pkg, "factory"),
            os.path.join(pkg, "schemas"),
            os.path.join(pkg, "provider", "compat"),
            os.path.join(os.path.dirname(pkg), "schemas"),
        ):
            _stat_tree(parts, folder)
        airflow_init = _airflow_init()
        try:
            st = os.stat(airflow_init) if airflow_init else None
        except OSError:
            st = None
        if st is not None:
            parts.append(f"{airflow_init}:{st.st_size}:{st.st_mtime_ns}")
        parts.sort()
        _fingerprint = hashlib.sha256(";".join(parts).encode("utf-8", "surrogateescape")).hexdigest()[:20]
    return _fingerprint


def forget_fingerprint() -> None:
    global _fingerprint
    _fingerprint = None


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


def relative(root: Path, path: Path) -> str | None:
    """``path`` relative to ``root`` in POSIX form, or None if it is not below ``root``.

    String work instead of ``Path.relative_to``, which costs more than the rest of a cache hit.
    """
    prefix, text = os.path.join(str(root), ""), str(path)
    if not text.startswith(prefix):
        return None
    rel = text[len(prefix) :]
    return rel.replace(os.sep, "/") if os.sep != "/" else rel


def anchor_of(folder: Path) -> str:
    """The folder as the spec layer writes paths it makes absolute (``Path.resolve()`` of the file)."""
    return os.path.realpath(folder)


class KeyBuilder:
    """Computes file keys for one loader run, memoising the per-folder defaults keys and anchors."""

    def __init__(self, root: Path):
        self.root = root
        self._dir_keys: dict[Path, tuple[tuple, frozenset[bytes], tuple[bytes, ...]]] = {}
        self._anchors: dict[Path, str] = {}
        self.env_name = os.environ.get("HEVO_DAGFACTORY_ENV", "")

    def anchor(self, folder: Path) -> str:
        found = self._anchors.get(folder)
        if found is None:
            found = self._anchors[folder] = anchor_of(folder)
        return found

    def _defaults_of_dir(self, directory: Path) -> tuple[tuple, frozenset[bytes], tuple[bytes, ...]]:
        """Key, ${VAR} names and contents of the defaults files in ``directory`` and its parents up to root."""
        hit = self._dir_keys.get(directory)
        if hit is not None:
            return hit
        parts: list[tuple] = []
        names: set[bytes] = set()
        texts: list[bytes] = []
        parent = directory.parent
        if directory != self.root and parent != directory and _is_within(parent, self.root):
            pkey, pnames, ptexts = self._defaults_of_dir(parent)
            parts.extend(pkey)
            names |= pnames
            texts.extend(ptexts)
        for n in DEFAULTS_NAMES:
            p = directory / n
            try:
                with open(p, "rb") as fh:
                    data = fh.read()
            except OSError:
                continue
            parts.append((relative(self.root, p) or str(p), hashlib.sha256(data).hexdigest()))
            names |= _var_names(data)
            texts.append(data)
        result = (tuple(parts), frozenset(names), tuple(texts))
        self._dir_keys[directory] = result
        return result

    def key(self, path: Path) -> tuple[tuple, bytes] | None:
        """(key, file bytes) for a workflow file, or None if it vanished meanwhile."""
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError:
            return None
        dkey, dnames, _ = self._defaults_of_dir(path.parent)
        names = sorted(_var_names(data) | dnames)
        env_values = tuple(_env_digest(n.decode()) for n in names)
        key = (
            relative(self.root, path) or str(path),
            hashlib.sha256(data).hexdigest(),
            dkey,
            env_values,
            self.env_name,
            code_fingerprint(),
        )
        return key, data

    def spells(self, path: Path, text: str) -> bool:
        """Whether ``text`` (a folder's path) can reach the file's results other than through its folder.

        That is: the file, a defaults file above it or the value of a ``${VAR}`` they use holds it,
        or the home folder lies below it (``~`` paths). Re-reads the file: it is asked only for a
        plan that names a folder above the file's own.
        """
        home = os.path.expanduser("~")
        if home == text or home.startswith(os.path.join(text, "")):
            return True
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError:
            return True
        _, names, texts = self._defaults_of_dir(path.parent)
        needle = text.encode("utf-8", "surrogateescape")
        if needle in data or any(needle in t for t in texts):
            return True
        return any(text in os.environ.get(n.decode(), "") for n in names | _var_names(data))


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
