"""One workflow file → its ``Workflow`` or its errors, for the loader; a validator crash is reported, not raised.

Why apart from the loader: the loader only needs the verdict; this is where the spec layer is called
(with the config folder as the root of the file's ``defaults.yaml`` chain) and where a bug of ours is
turned into an error for that one file.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

log = logging.getLogger("hevo_dagfactory.factory")


class _Crash:
    """The error of a file whose validation crashed: the exception's type only.

    Its text may quote a value of the file, and values can hold interpolated secrets (the traceback
    goes to the DEBUG log).
    """

    line_number = column_number = pointer = suggestion = None

    def __init__(self, exc: BaseException):
        self.message = (
            f"could not validate the file ({type(exc).__name__}): a bug in hevo-dagfactory, "
            "please report it together with the file"
        )


def validate_file(path: Path, root: Path) -> tuple[Any, bool]:
    """(Workflow or errors, cacheable) for ``path`` below the config folder ``root``."""
    from hevo_dagfactory.spec import ConfigErrors, load_file

    try:
        return load_file(path, root=root), True
    except ConfigErrors as exc:
        return list(exc.errors), True
    except Exception as exc:
        log.debug("validating %s crashed", path, exc_info=True)
        return [_Crash(exc)], False
