"""Which files in a folder are workflows.

Why a sniff and not "every YAML": the loader is pointed at an Airflow dags folder,
which may hold other YAML (dbt profiles, Helm values, dag-factory files). A file is
a workflow when it is ``*.yaml``/``*.yml`` directly in the folder (not in
subfolders), is not ``defaults.yaml``/``defaults.yml``, does not start with ``_`` or
``.``, and either carries the schema modeline or has a top-level ``syncs:``,
``steps:``, ``hevo:`` or ``sync_defaults:`` key. The sniff reads text, so a workflow
with a YAML syntax error is still found and reported. A file named explicitly on the
command line is always treated as a workflow.
"""

from __future__ import annotations

import re
from pathlib import Path

DEFAULTS_NAMES = ("defaults.yaml", "defaults.yml")
SUFFIXES = (".yaml", ".yml")
_SNIFF = re.compile(rb"^(?:syncs|steps|hevo|sync_defaults)[ \t]*:|hevo-workflow\.schema\.json", re.MULTILINE)
_SNIFF_BYTES = 64 * 1024


def is_candidate_name(path: Path) -> bool:
    name = path.name
    return name.endswith(SUFFIXES) and name not in DEFAULTS_NAMES and not name.startswith(("_", "."))


def looks_like_workflow(path: Path) -> bool:
    """Cheap text sniff (first 64 KiB); unreadable files count as workflows so their error is shown."""
    try:
        with path.open("rb") as fh:
            head = fh.read(_SNIFF_BYTES)
    except OSError:
        return True
    return _SNIFF.search(head) is not None


def _name(path: Path) -> str:
    return path.name


def find_workflow_files(folder: Path | str) -> list[Path]:
    """Workflow files directly in ``folder``, sorted by name."""
    root = Path(folder)
    try:
        entries = sorted(root.iterdir(), key=_name)  # one folder: by name is Path order, without Path compares
    except OSError:
        return []
    return [p for p in entries if is_candidate_name(p) and p.is_file() and looks_like_workflow(p)]


def defaults_file(folder: Path) -> Path | None:
    """The folder's ``defaults.yaml`` (or ``defaults.yml``), if any; both at once is an error elsewhere."""
    for name in DEFAULTS_NAMES:
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return None
