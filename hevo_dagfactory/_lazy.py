"""PEP 562 lazy exports, shared by the layer packages (spec, hevo, factory).

Why: a DAG-parse process should load only what it uses (a model-cache hit needs ``spec.model``,
not the validator; parsing needs no HTTP client). Each package lists ``name → submodule`` and
gets a module ``__getattr__``/``__dir__`` that import on first use and then cache the value in the
package's globals, so later lookups cost nothing.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any


def lazy_exports(
    package: str, names: Mapping[str, str], submodules: Iterable[str], public: Iterable[str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package``: ``names`` maps a public name to its submodule."""
    submodules = frozenset(submodules)
    public = tuple(public)

    def __getattr__(name: str) -> Any:
        module = names.get(name)
        if module is not None:
            value = getattr(importlib.import_module(f"{package}.{module}"), name)
            vars(sys.modules[package])[name] = value  # later lookups skip this function
            return value
        if name in submodules:
            return importlib.import_module(f"{package}.{name}")
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(public))

    return __getattr__, __dir__
