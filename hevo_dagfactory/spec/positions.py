"""Where each value of a merged workflow came from (file, line, column).

Why: after ``defaults.yaml``, the workflow file and an ``environments:`` overlay are
merged, an error about ``/hevo/region`` must point at the file and line that actually
set it. Layers are added in merge order, so a later layer's position wins exactly
where its value wins.
"""

from __future__ import annotations

from collections.abc import Mapping

from hevo_dagfactory.spec.yamlsafe import Document

Where = tuple[str, "int | None", "int | None"]


class _Layer:
    __slots__ = ("dst", "key_marks", "marks", "raw", "shown", "src")

    def __init__(self, doc: Document, shown: str, src: str, dst: str, raw: Mapping[str, str]):
        self.marks, self.key_marks, self.shown = doc.marks, doc.key_marks, shown
        self.src, self.dst, self.raw = src, dst, raw

    def source_ptr(self, ptr: str) -> str | None:
        """Where ``ptr`` (a merged pointer) lives in this layer's own document, if it can.

        An overlay (``src`` = ``/environments/prod``) supplies what is *inside* it, never the
        position of the merged value at ``dst`` itself.
        """
        if self.dst and not (ptr == self.dst or ptr.startswith(self.dst + "/")):
            return None
        rest = ptr[len(self.dst) :]
        if self.src and not rest:
            return None
        return self.src + rest


class Positions:
    """Layers are kept, not copied: lookups (only for errors) walk them, newest first.

    Why: ``add`` runs for every layer of every file and a folder's defaults file is a layer of
    each of its workflows, while a lookup happens only when there is an error to report.
    """

    def __init__(self, default_file: str):
        self.default_file = default_file
        self.layers: list[_Layer] = []

    def add(
        self, doc: Document, shown: str, src: str = "", dst: str = "", raw: Mapping[str, str] | None = None
    ) -> None:
        """Record ``doc``'s positions (and ``raw``, its expanded strings) under ``src`` as under ``dst``."""
        self.layers.append(_Layer(doc, shown, src, dst, raw if raw is not None else {}))

    def _value_layer(self, ptr: str) -> tuple[_Layer, str] | None:
        """The newest layer that sets the value at ``ptr``, and the pointer in its document."""
        for layer in reversed(self.layers):
            own = layer.source_ptr(ptr)
            if own is not None and own in layer.marks:
                return layer, own
        return None

    def at(self, ptr: str, *, key: bool = False) -> Where:
        """Position of the value (or its key) at ``ptr``, falling back to the nearest parent."""
        if key:
            for layer in reversed(self.layers):
                own = layer.source_ptr(ptr)
                if own is not None and own in layer.key_marks:
                    return (layer.shown, *layer.key_marks[own])
        probe = ptr
        while True:
            found = self._value_layer(probe)
            if found is not None:
                layer, own = found
                return (layer.shown, *layer.marks[own])
            if not probe:
                return (self.default_file, 1, 1)
            probe = probe.rsplit("/", 1)[0]

    def written(self, ptr: str) -> str | None:
        """The text as written in the file when ``${VAR}`` expansion changed the value at ``ptr``."""
        found = self._value_layer(ptr)
        if found is None:
            return None
        layer, own = found
        return layer.raw.get(own)

    def expanded_under(self, ptr: str) -> bool:
        """True when the value at ``ptr`` or anything inside it may have come from ``${VAR}`` expansion."""
        for layer in self.layers:
            own = layer.source_ptr(ptr)
            if own is not None and any(p == own or p.startswith(own + "/") for p in layer.raw):
                return True
        return False

    def quote(self, ptr: str, value: object) -> str:
        """``repr(value)``, or the text as written (``'${TOKEN}'``) when it came from a variable."""
        written = self.written(ptr)
        return repr(written) if written is not None else repr(value)
