"""Which files under a folder are workflows, and which ``defaults.yaml`` files apply to one.

Why a sniff and not "every YAML": the loader is pointed at an Airflow dags folder, which may hold
other YAML (dbt profiles, Helm values, dag-factory files). A file is a workflow when it is
``*.yaml``/``*.yml`` in the folder or any folder below it, is not ``defaults.yaml``/``defaults.yml``,
does not start with ``_`` or ``.`` (nor does any folder on its way), is not ignored by an
``.airflowignore`` (Airflow's own rules, see ``airflowignore.py``), and either carries the schema
modeline or has a top-level ``syncs:``, ``steps:``, ``hevo:`` or ``sync_defaults:`` key. The sniff
reads text, so a workflow with a YAML syntax error is still found and reported. A file named
explicitly on the command line is always treated as a workflow.

Team folders: every folder may hold a ``defaults.yaml``; a workflow gets the chain of them from the
config root down to its own folder (:func:`defaults_chain`), nearest last, so the nearest one wins.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from hevo_dagfactory.spec.airflowignore import walk

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


@dataclass
class Scan:
    """The YAML files under a folder: the workflows, and the other candidates (not workflows)."""

    workflows: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)


def scan(folder: Path | str, ignore_syntax: str | None = "glob") -> Scan:
    """Every workflow file under ``folder`` (recursively, ``.airflowignore`` honoured), sorted by relative path."""
    root = Path(folder)
    found: list[tuple[str, Path, bool]] = []
    try:
        for here, names in walk(root, ignore_syntax):
            rel_dir = "" if here == root else here.relative_to(root).as_posix() + "/"
            for name in names:
                path = here / name
                if is_candidate_name(path) and path.is_file():
                    found.append((rel_dir + name, path, looks_like_workflow(path)))
    except OSError:
        pass
    found.sort(key=lambda item: item[0])
    out = Scan()
    for _, path, is_workflow in found:
        (out.workflows if is_workflow else out.skipped).append(path)
    return out


def find_workflow_files(folder: Path | str, ignore_syntax: str | None = "glob") -> list[Path]:
    """Workflow files under ``folder`` and its subfolders, sorted by path relative to ``folder``."""
    return scan(folder, ignore_syntax).workflows


def defaults_file(folder: Path) -> Path | None:
    """The folder's ``defaults.yaml`` (or ``defaults.yml``), if any; both at once is an error elsewhere."""
    for name in DEFAULTS_NAMES:
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return None


def defaults_chain(folder: Path, root: Path | None) -> list[Path]:
    """The folders whose ``defaults.yaml`` apply to a workflow in ``folder``: ``root`` first, ``folder`` last.

    Only ``folder`` itself when ``root`` is None or ``folder`` is not below it.
    """
    chain = [folder]
    if root is None or folder == root:
        return chain
    if folder.is_absolute() != root.is_absolute():  # compare like with like (no file system call)
        folder, root = Path(os.path.abspath(folder)), Path(os.path.abspath(root))
    try:
        parts = folder.relative_to(root).parts
    except ValueError:
        return chain
    return [root.joinpath(*parts[:i]) for i in range(len(parts) + 1)]
