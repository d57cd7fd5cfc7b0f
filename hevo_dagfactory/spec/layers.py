"""The layers of one workflow: each file read and checked on its own, then merged in order.

Why layers: a workflow is its folder's ``defaults.yaml`` chain (the config root's first, the file's own
folder's last), the file itself, and then the same files' ``environments[<env>]`` overlays. Each file is
checked against the schema on its own, so an error points at the file and line that wrote it; the merge
(:func:`merge`) then applies later layers over earlier ones:

- ``MERGED_KEYS`` (``hevo``, ``defaults``, ``sync_defaults``, ``params``) are mappings merged key by key,
  one level deep: a nearer layer's key replaces that key, the others stay;
- every other key, lists included (``tags``, ``notify``, ``schedule.assets``), and ``deadline`` (its
  ``by`` and ``after`` exclude each other), is replaced whole by the nearest layer that sets it; ``null``
  is a value too, so ``deadline: null`` in a nearer layer switches an inherited deadline off.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hevo_dagfactory.spec.discover import DEFAULTS_NAMES, defaults_chain, defaults_file
from hevo_dagfactory.spec.errors import ConfigError, display_path
from hevo_dagfactory.spec.interpolate import Expansions, expand, has_unresolved, scrub
from hevo_dagfactory.spec.model import Origin
from hevo_dagfactory.spec.positions import Positions
from hevo_dagfactory.spec.schema_errors import schema_errors
from hevo_dagfactory.spec.yamlsafe import Document, load_document

#: top-level keys whose mappings are merged key by key; every other key is replaced whole
MERGED_KEYS = ("hevo", "defaults", "sync_defaults", "params")


@dataclass
class Layer:
    """One file, checked on its own: its document (with marks and text) and its expanded data."""

    path: Path
    shown: str
    doc: Document
    data: dict[str, Any]
    expansions: Expansions = field(default_factory=Expansions)


def merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``over`` applied to ``base`` with the rules of the module docstring."""
    out = dict(base)
    for key, value in over.items():
        if key in MERGED_KEYS and isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    return out


def _other_env(environment: str | None) -> Any:
    selected = f"/environments/{environment}" if environment else None

    def skip(ptr: str) -> bool:
        return ptr.startswith("/environments/") and ptr.count("/") == 2 and ptr != selected

    def under_other(ptr: str) -> bool:
        if not ptr.startswith("/environments/"):
            return False
        head = "/".join(ptr.split("/", 3)[:3])
        return head != selected

    return skip, under_other


def _shape_error(doc: Document, kind: str, shown: str) -> ConfigError | None:
    """Why a parsed document cannot be a layer (empty workflow, not a mapping), or None."""
    if doc.data is None:
        if kind == "defaults":
            return None
        hint = "write a workflow; hevo-dagfactory new NAME writes a starter"
        return ConfigError("the file is empty", shown, 1, 1, None, hint, "empty")
    if isinstance(doc.data, dict):
        return None
    line, col = doc.marks.get("", (1, 1))
    what = "a list" if isinstance(doc.data, list) else "a single value"
    hint = "start with 'key: value' lines such as 'syncs:' and 'steps:'"
    return ConfigError(
        f"the top level is {what}, not a mapping of settings", shown, line, col, None, hint, "not_mapping"
    )


def read_layer(
    path: Path, kind: str, environment: str | None, osenv: Mapping[str, str]
) -> tuple[Layer | None, list[ConfigError]]:
    """One file checked on its own: syntax, top-level shape, variables, schema."""
    shown = display_path(path)
    doc, errors = load_document(path, shown)
    if doc is None:
        return None, errors
    problem = _shape_error(doc, kind, shown)
    if problem is not None:
        return None, [problem]
    if doc.data is None:  # an empty defaults file
        return Layer(path, shown, doc, {}), []
    pos = Positions(shown)
    used = Expansions()
    pos.add(doc, shown, raw=used.raw)  # filled by expand() below
    skip, under_other = _other_env(environment)
    found: list[ConfigError] = []

    def report(ptr: str, message: str, hint: str) -> None:
        file, line, col = pos.at(ptr)
        found.append(ConfigError(message, file, line, col, ptr, hint, "env_var"))

    data = expand(doc.data, osenv, "", report, skip, used)
    unset = {e.pointer for e in found}  # a value left as '${NAME}' is already reported; its type error is noise
    found += schema_errors(
        data,
        "defaults" if kind == "defaults" else "workflow",
        pos,
        ignore=lambda ptr, inst: ptr in unset or (under_other(ptr) and has_unresolved(inst)),
    )
    if found:
        return None, scrub(found, [used])
    return Layer(path, shown, doc, data, used), []


class DefaultsCache:
    """Each folder's defaults file is read and checked once per load."""

    def __init__(self, environment: str | None, osenv: Mapping[str, str]):
        self.environment = environment
        self.osenv = osenv
        self.entries: dict[Path, tuple[Layer | None, list[ConfigError]]] = {}
        self.read: list[Path] = []

    def get(self, folder: Path) -> tuple[Layer | None, list[ConfigError]]:
        if folder not in self.entries:
            errors: list[ConfigError] = []
            layer = None
            path = defaults_file(folder)
            if path is not None:
                if all((folder / n).is_file() for n in DEFAULTS_NAMES):
                    errors.append(
                        ConfigError(
                            f"both {DEFAULTS_NAMES[0]} and {DEFAULTS_NAMES[1]} exist",
                            display_path(folder / DEFAULTS_NAMES[1]),
                            1,
                            1,
                            None,
                            "keep one defaults file per folder",
                            "defaults",
                        )
                    )
                layer, more = read_layer(path, "defaults", self.environment, self.osenv)
                errors += more
            self.entries[folder] = (layer, errors)
            if path is not None:
                self.read.append(path)
        return self.entries[folder]

    def chain(self, folder: Path, root: Path | None) -> tuple[list[Layer], list[Path]]:
        """(the defaults layers that apply in ``folder``, root's first; the chain's folders whose file is broken)."""
        layers, broken = [], []
        for each in defaults_chain(folder, root):
            layer, errors = self.get(each)
            if errors:
                broken.append(each)
            elif layer is not None:
                layers.append(layer)
        return layers, broken

    def files(self) -> list[Path]:
        """The defaults files read so far."""
        return list(self.read)


def origin(layer: Layer, bases: list[Layer], root: Path | None) -> Origin:
    """The file as written and the merged defaults as written (no ``${VAR}`` expanded), for the DAG docs."""
    merged: dict[str, Any] = {}
    for base in bases:
        if isinstance(base.doc.data, dict):
            merged = merge(merged, {k: v for k, v in base.doc.data.items() if k != "environments"})
    names = tuple(_relative(b.path, root) for b in bases)
    return Origin(layer.doc.text, names, merged or None)


def _relative(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return Path(os.path.relpath(path, root)).as_posix()
        except ValueError:
            pass
    return path.name
