"""Where each value of a merged workflow came from (file, line, column).

Why: after ``defaults.yaml``, the workflow file and an ``environments:`` overlay are
merged, an error about ``/hevo/region`` must point at the file and line that actually
set it. Layers are added in merge order, so a later layer's position wins exactly
where its value wins.
"""

from __future__ import annotations

from hevo_dagfactory.spec.yamlsafe import Document

Where = tuple[str, "int | None", "int | None"]


class Positions:
    def __init__(self, default_file: str):
        self.default_file = default_file
        self.values: dict[str, tuple[str, int, int]] = {}
        self.keys: dict[str, tuple[str, int, int]] = {}

    def add(self, doc: Document, shown: str, src: str = "", dst: str = "") -> None:
        """Record ``doc``'s positions under ``src`` as positions under ``dst``."""
        for table, target in ((doc.marks, self.values), (doc.key_marks, self.keys)):
            if not src:
                for ptr, (line, col) in table.items():
                    target[dst + ptr] = (shown, line, col)
                continue
            cut = len(src)
            prefix = src + "/"
            for ptr, (line, col) in table.items():
                if ptr.startswith(prefix):
                    target[dst + ptr[cut:]] = (shown, line, col)

    def at(self, ptr: str, *, key: bool = False) -> Where:
        """Position of the value (or its key) at ``ptr``, falling back to the nearest parent."""
        if key and ptr in self.keys:
            return self.keys[ptr]
        probe = ptr
        while True:
            if probe in self.values:
                return self.values[probe]
            if not probe:
                return (self.default_file, 1, 1)
            probe = probe.rsplit("/", 1)[0]
