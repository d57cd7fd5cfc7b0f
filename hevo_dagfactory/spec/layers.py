"""One file as a layer of a workflow: read, expanded and schema-checked on its own; layers merged; each folder's defaults read once.

Why layers: ``defaults.yaml``, the workflow file and their ``environments:`` overlays are each
checked on their own (so every error has the position in its own file) before they are merged in
``defaults < file < defaults' environment < file's environment`` order (``loader.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hevo_dagfactory.spec.discover import DEFAULTS_NAMES, defaults_file
from hevo_dagfactory.spec.errors import ConfigError, display_path
from hevo_dagfactory.spec.interpolate import Expansions, expand, has_unresolved, scrub
from hevo_dagfactory.spec.positions import Positions
from hevo_dagfactory.spec.schema_errors import schema_errors
from hevo_dagfactory.spec.yamlsafe import Document, load_document

#: top-level keys whose mappings are merged key by key; every other key is replaced whole
MERGED_KEYS = ("hevo", "defaults", "sync_defaults")


@dataclass
class Layer:
    path: Path
    shown: str
    doc: Document
    data: dict[str, Any]
    expansions: Expansions = field(default_factory=Expansions)


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


def read_layer(
    path: Path, kind: str, environment: str | None, osenv: Mapping[str, str]
) -> tuple[Layer | None, list[ConfigError]]:
    """One file checked on its own: syntax, top-level shape, variables, schema."""
    shown = display_path(path)
    doc, errors = load_document(path, shown)
    if doc is None:
        return None, errors
    if doc.data is None:
        if kind == "defaults":
            return Layer(path, shown, doc, {}), []
        return None, [
            ConfigError(
                "the file is empty",
                shown,
                1,
                1,
                None,
                "write a workflow; hevo-dagfactory new NAME writes a starter",
                "empty",
            )
        ]
    if not isinstance(doc.data, dict):
        line, col = doc.marks.get("", (1, 1))
        what = "a list" if isinstance(doc.data, list) else "a single value"
        return None, [
            ConfigError(
                f"the top level is {what}, not a mapping of settings",
                shown,
                line,
                col,
                None,
                "start with 'key: value' lines such as 'syncs:' and 'steps:'",
                "not_mapping",
            )
        ]
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


def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if key in MERGED_KEYS and isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    return out


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

    def files(self) -> list[Path]:
        """The defaults files read so far."""
        return list(self.read)
