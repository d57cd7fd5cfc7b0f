"""Reading a workflow file safely: regular files only, a size limit, UTF-8 with the bad byte's position.

Why its own module: what may be read (no FIFO, device or huge file) is a different concern from
how YAML is parsed (``yamlsafe``), and the loader names non-regular files with :func:`file_kind`.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from hevo_dagfactory.spec.errors import ConfigError

#: Files larger than this are refused before parsing (a workflow is a few KiB).
MAX_FILE_BYTES = 1024 * 1024

_FILE_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def file_kind(mode: int) -> str:
    """What a non-regular file is, for messages: ``a FIFO (named pipe)``, ``a character device``..."""
    return next((name for test, name in _FILE_KINDS if test(mode)), "not a regular file")


def read_text(path: Path, shown: str) -> tuple[str | None, list[ConfigError]]:
    """Read a regular file as UTF-8, at most ``MAX_FILE_BYTES``; errors name the offending byte's position.

    Why open-then-fstat with O_NONBLOCK: ``/dev/zero`` reports size 0 and never ends, and opening a
    FIFO for reading blocks until a writer comes. A non-blocking open returns at once for both, the
    fstat of the opened file says what it is, and reading one byte over the limit tells a large file
    without reading all of it.
    """

    def refused(message: str, hint: str, kind: str) -> tuple[None, list[ConfigError]]:
        return None, [ConfigError(message, shown, 1, 1, hint=hint, error_type=kind)]

    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        return refused(f"cannot read file: {exc.strerror or exc}", "check that the path exists and is readable", "io")
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            return refused(
                f"cannot read {file_kind(mode)}: workflow files must be regular files", "name a .yaml file", "io"
            )
        with os.fdopen(fd, "rb", closefd=False) as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        return refused(f"cannot read file: {exc.strerror or exc}", "check that the path exists and is readable", "io")
    finally:
        os.close(fd)
    if len(raw) > MAX_FILE_BYTES:
        return refused(
            f"file is larger than the {MAX_FILE_BYTES} byte limit", "split it into several workflow files", "size"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        col = len(before) - (before.rfind(b"\n") + 1) + 1
        return None, [
            ConfigError(
                f"file is not valid UTF-8 (byte 0x{raw[exc.start]:02x})",
                shown,
                line,
                col,
                hint="save the file as UTF-8",
                error_type="encoding",
            )
        ]
    if text.startswith("\ufeff"):
        text = text[1:]
    return text, []
