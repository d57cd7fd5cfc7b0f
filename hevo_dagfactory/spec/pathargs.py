"""The paths a user names (files and folders) → the workflow files, defaults files and skipped files to check.

Why its own module: ``validate`` and pre-commit pass any mix of files and folders, each file
counted once however it was named (a folder and a file in it, a symlink), and a path that is no
file or folder is an error that names what it is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from hevo_dagfactory.spec.discover import DEFAULTS_NAMES, is_candidate_name, looks_like_workflow, scan
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


@dataclass
class Expanded:
    """What the paths given to :func:`load_paths` name: workflow files (each with its config root) and more."""

    files: list[tuple[Path, Path | None]] = field(default_factory=list)
    defaults: list[Path] = field(default_factory=list)  # named explicitly: checked as defaults files
    skipped: list[Path] = field(default_factory=list)
    errors: list[ConfigError] = field(default_factory=list)  # paths that are no file or folder


def expand_paths(
    paths: Iterable[Path | str],
    sniff_files: bool = False,
    real: RealPaths | None = None,
    *,
    root: Path | None = None,
    ignore_syntax: str | None = "glob",
) -> Expanded:
    """Folders are searched recursively (each is the config root of its files); files use ``root``."""
    out = Expanded()
    seen: set[Path] = set()
    real = real or RealPaths()

    def new(p: Path) -> bool:
        key = real(p)
        if key in seen:
            return False
        seen.add(key)
        return True

    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = scan(p, ignore_syntax)
            out.files += [(f, p) for f in found.workflows if new(f)]
            out.skipped += found.skipped
        elif p.is_file():
            if p.name in DEFAULTS_NAMES:
                if new(p):
                    out.defaults.append(p)
            elif sniff_files and not (is_candidate_name(p) and looks_like_workflow(p)):
                out.skipped.append(p)
            elif new(p):
                out.files.append((p, root))
        else:
            try:
                message = f"cannot read {file_kind(p.stat().st_mode)}: workflow files must be regular files"
            except OSError:
                message = "no such file or folder"
            out.errors.append(ConfigError(message, display_path(p), 1, 1, None, "check the path", "io"))
    return out
