"""The paths a user names (files and folders) → the workflow files, defaults files and skipped files to check.

Why its own module: ``validate`` and pre-commit pass any mix of files and folders, each file
counted once however it was named (a folder and a file in it, a symlink), and a path that is no
file or folder is an error that names what it is.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from hevo_dagfactory.spec.discover import DEFAULTS_NAMES, find_workflow_files, is_candidate_name, looks_like_workflow
from hevo_dagfactory.spec.errors import ConfigError, display_path
from hevo_dagfactory.spec.textfile import file_kind


class RealPaths:
    """``Path.resolve()`` for many files of few folders: each folder is resolved once per load.

    Why: resolving costs an ``lstat`` per path component; for a thousand files of one folder
    that was a measurable part of ``validate``. A file that is itself a symlink is resolved fully.
    """

    def __init__(self) -> None:
        self.known: dict[Path, Path] = {}

    def __call__(self, path: Path) -> Path:
        found = self.known.get(path)
        if found is None:
            if path.is_symlink():
                found = path.resolve()
            else:
                folder = path.parent
                if folder not in self.known:
                    self.known[folder] = folder.resolve()
                found = self.known[folder] / path.name
            self.known[path] = found
        return found


def expand_paths(
    paths: Iterable[Path | str], sniff_files: bool = False, real: RealPaths | None = None
) -> tuple[list[Path], list[Path], list[Path], list[ConfigError]]:
    """(workflow files, explicit defaults files, skipped files, errors for paths that are no file or folder)."""
    files: list[Path] = []
    defaults: list[Path] = []
    skipped: list[Path] = []
    errors: list[ConfigError] = []
    seen: set[Path] = set()
    real = real or RealPaths()

    def add(target: list[Path], p: Path) -> None:
        key = real(p)
        if key not in seen:
            seen.add(key)
            target.append(p)

    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = find_workflow_files(p)
            for f in found:
                add(files, f)
            found_set = set(found)
            skipped += sorted(
                (c for c in p.iterdir() if is_candidate_name(c) and c not in found_set and c.is_file()),
                key=lambda c: c.name,
            )
        elif p.is_file():
            if p.name in DEFAULTS_NAMES:
                add(defaults, p)
            elif sniff_files and not (is_candidate_name(p) and looks_like_workflow(p)):
                skipped.append(p)
            else:
                add(files, p)
        else:
            try:
                message = f"cannot read {file_kind(p.stat().st_mode)}: workflow files must be regular files"
            except OSError:
                message = "no such file or folder"
            errors.append(ConfigError(message, display_path(p), 1, 1, None, "check the path", "io"))
    return files, defaults, skipped, errors
