"""The package's version. ``pyproject.toml``'s ``version`` is the single source; nothing here repeats it.

Where it is read: in a source checkout (the package folder beside the project's ``pyproject.toml``,
installed editable or not at all) from that file, which is the truth even before a re-install;
otherwise from the installed distribution's metadata. ``0+unknown`` if neither is there (a copied
folder), so that nothing that reports the version can fail for it.
"""

from __future__ import annotations

import re
from pathlib import Path

DISTRIBUTION = "hevo-dagfactory"
_PROJECT_TABLE = re.compile(r"(?ms)^\[project\]\s*$(.*?)(?=^\[|\Z)")


def _from_source_checkout() -> str | None:
    """``[project] version`` of the pyproject.toml beside the package, if it is this project's."""
    try:
        text = (Path(__file__).resolve().parent.parent / "pyproject.toml").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    table = _PROJECT_TABLE.search(text)
    if table is None or not re.search(rf'(?m)^name\s*=\s*"{DISTRIBUTION}"\s*$', table.group(1)):
        return None
    found = re.search(r'(?m)^version\s*=\s*"([^"]+)"\s*$', table.group(1))
    return found.group(1) if found else None


def _from_metadata() -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return None


__version__: str = _from_source_checkout() or _from_metadata() or "0+unknown"
