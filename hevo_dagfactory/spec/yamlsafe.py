"""Safe YAML reading that keeps a line/column for every key and value.

Why not ``yaml.safe_load``: it silently accepts duplicate keys (the last one wins),
forgets where each value came from, and expands alias bombs until memory runs out.
We *compose* the node tree with libyaml (``CSafeLoader``; pure-Python fallback) and
build plain Python values ourselves, so that:

* every value and every mapping key gets a 1-based ``(line, col)`` recorded under its
  JSON pointer (``/syncs/0/id``) for error messages;
* duplicate keys, non-string keys and non-JSON tags (``!!python/...``, ``!!binary``,
  ``!!set``) are errors with a position;
* YAML timestamps stay *strings* (``2026-01-01``) so the JSON Schema can check them
  and the model decides about time zones;
* alias expansion is bounded by a node budget.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hevo_dagfactory.spec.errors import ConfigError
from hevo_dagfactory.spec.nesting import too_deep
from hevo_dagfactory.spec.textfile import MAX_FILE_BYTES, file_kind, read_text

__all__ = ["MAX_FILE_BYTES", "MAX_NODES", "Document", "file_kind", "load_document", "parse_text", "pointer_escape"]

try:  # libyaml is ~10x faster; fall back to pure Python where it is missing
    _Base: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on the PyYAML build
    _Base = yaml.SafeLoader

_TAGS: dict[tuple[str, tuple[bool, bool]], str] = {}  # (scalar text, implicit flags) -> resolved tag


class _Loader(_Base):  # type: ignore[misc]
    """The safe loader with a memo for scalar tag resolution.

    Why: libyaml composes in C but asks Python's regex-based resolver for the tag of every
    scalar; keys such as ``id`` or ``command`` repeat in every file. The answer depends only
    on the text and its quoting (the safe loader has no path resolvers), so it is cached.
    """

    def resolve(self, kind: type, value: str, implicit: tuple[bool, bool]) -> str:
        if kind is not yaml.ScalarNode:
            return super().resolve(kind, value, implicit)
        key = (value, implicit)
        tag = _TAGS.get(key)
        if tag is None:
            if len(_TAGS) > 20_000:  # a long-lived parse process must not grow without bound
                _TAGS.clear()
            tag = _TAGS[key] = super().resolve(kind, value, implicit)
        return tag


#: Upper bound on values produced from one file, counting alias expansions.
MAX_NODES = 100_000

_T = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL, _TS = (
    _T + "str",
    _T + "int",
    _T + "float",
    _T + "bool",
    _T + "null",
    _T + "timestamp",
)
_MAP, _SEQ, _MERGE = _T + "map", _T + "seq", _T + "merge"

_constructor = yaml.SafeLoader.__new__(yaml.SafeLoader)  # only its construct_yaml_* helpers are used
yaml.constructor.SafeConstructor.__init__(_constructor)


def pointer_escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


@dataclass
class Document:
    """A parsed YAML file: plain data plus where each piece came from."""

    path: Path
    data: Any
    #: JSON pointer -> (line, col) of the value node
    marks: dict[str, tuple[int, int]] = field(default_factory=dict)
    #: JSON pointer -> (line, col) of the mapping *key* naming that value
    key_marks: dict[str, tuple[int, int]] = field(default_factory=dict)
    text: str = ""  # the file's text as read, never expanded (the DAG docs show it)


class _Budget(Exception):
    pass


class _Builder:
    def __init__(self, path: str):
        self.path = path
        self.marks: dict[str, tuple[int, int]] = {}
        self.key_marks: dict[str, tuple[int, int]] = {}
        self.errors: list[ConfigError] = []
        self.count = 0

    def err(self, node: yaml.Node, message: str, pointer: str, hint: str | None, kind: str) -> None:
        m = node.start_mark
        self.errors.append(ConfigError(message, self.path, m.line + 1, m.column + 1, pointer or None, hint, kind))

    def nul(self, node: yaml.Node, ptr: str, what: str = "value") -> None:
        self.err(
            node,
            f"the {what} contains a NUL character",
            ptr,
            "remove the \\0 (or \\x00, \\u0000) escape; no value may hold a NUL",
            "unsafe_value",
        )

    def build(self, node: yaml.Node, ptr: str) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise _Budget(ptr)
        m = node.start_mark
        self.marks[ptr] = (m.line + 1, m.column + 1)
        tag = node.tag
        if isinstance(node, yaml.ScalarNode):
            if tag == _STR:
                if "\x00" in node.value:
                    self.nul(node, ptr)
                return node.value
            if tag == _TS:
                return node.value  # keep dates as written; the model parses them
            if tag == _INT:
                try:
                    return _constructor.construct_yaml_int(node)
                except ValueError:  # Python refuses to convert more than 4300 digits
                    self.err(node, "the number has too many digits", ptr, "write a smaller number", "type")
                    return None
            if tag == _BOOL:
                return _constructor.construct_yaml_bool(node)
            if tag == _NULL:
                return None
            if tag == _FLOAT:
                value = _constructor.construct_yaml_float(node)
                if value != value or value in (float("inf"), float("-inf")):
                    self.err(node, "NaN and infinity are not allowed", ptr, "write a finite number", "type")
                    return None
                return value
        elif isinstance(node, yaml.SequenceNode) and tag == _SEQ:
            return [self.build(child, f"{ptr}/{i}") for i, child in enumerate(node.value)]
        elif isinstance(node, yaml.MappingNode) and tag == _MAP:
            return self.build_mapping(node, ptr)
        self.err(
            node,
            f"unsupported YAML tag {tag!r}",
            ptr,
            "use plain YAML values only: strings, numbers, booleans, null, lists and mappings",
            "yaml_tag",
        )
        return None

    def build_mapping(self, node: yaml.MappingNode, ptr: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        explicit: set[str] = set()
        merged: list[tuple[yaml.Node, yaml.Node]] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                merged.append((key_node, value_node))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.err(key_node, "mapping keys must be plain strings", ptr, None, "yaml_key")
                continue
            key = key_node.value  # the key as written: `on:` stays "on", `1:` stays "1"
            child = f"{ptr}/{pointer_escape(key)}"
            if "\x00" in key:
                self.nul(key_node, child, "key")
                continue
            if key in explicit:
                first = self.key_marks[child]
                self.err(
                    key_node,
                    f"duplicate key {key!r} (first defined at line {first[0]})",
                    child,
                    "remove one of them; YAML would silently keep only the last",
                    "duplicate_key",
                )
                continue
            explicit.add(key)
            km = key_node.start_mark
            self.key_marks[child] = (km.line + 1, km.column + 1)
            out[key] = self.build(value_node, child)
        # `<<: *base` merge keys: explicit keys win, then earlier merged mappings win.
        for _key_node, value_node in merged:
            sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
            for src in sources:
                if not isinstance(src, yaml.MappingNode):
                    self.err(src, "'<<' merge needs a mapping or a list of mappings", ptr, None, "yaml")
                    continue
                for key, value in self.build_mapping(src, ptr).items():
                    out.setdefault(key, value)
        return out


def parse_text(text: str, path: Path, shown: str) -> tuple[Document | None, list[ConfigError]]:
    """Compose one YAML document and build marked plain data from it."""
    deep = too_deep(text, _Loader)
    if deep is not None:
        from dataclasses import replace

        return None, [replace(deep, file=shown)]
    node, errors = _compose(text, shown)
    if errors:
        return None, errors
    if node is None:
        return Document(path, None, text=text), []
    doc, errors = _build(node, path, shown)
    if doc is not None:
        doc.text = text
    return doc, errors


def _compose(text: str, shown: str) -> tuple[yaml.Node | None, list[ConfigError]]:
    """libyaml's node tree of the one document, or the syntax error with its position."""
    loader = _Loader(text)
    try:
        return loader.get_single_node(), []
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = " ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
        if "expected a single document" in message:
            message = "the file holds more than one YAML document ('---')"
            hint = "keep one workflow per file"
        else:
            hint = "fix the YAML syntax: indentation, quotes, ':' after keys"
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        return None, [ConfigError(f"YAML syntax error: {message}", shown, line, col, hint=hint, error_type="yaml")]
    except yaml.reader.ReaderError as exc:  # control characters
        before = text[: exc.position]
        line = before.count("\n") + 1
        col = exc.position - (before.rfind("\n") + 1) + 1
        char = exc.character if isinstance(exc.character, str) else chr(exc.character)
        hint = "remove the character, or write an escape such as \\t inside a double-quoted string"
        message = f"control character U+{ord(char):04X} is not allowed in YAML"
        return None, [ConfigError(message, shown, line, col, hint=hint, error_type="yaml")]
    except yaml.YAMLError as exc:  # anything else libyaml reports
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "mark", None)
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = f"YAML error: {getattr(exc, 'problem', None) or exc}"
        hint = "remove control characters and fix the YAML syntax"
        return None, [ConfigError(message, shown, line, col, hint=hint, error_type="yaml")]
    finally:
        loader.dispose()


def _build(node: yaml.Node, path: Path, shown: str) -> tuple[Document | None, list[ConfigError]]:
    """Plain data with marks from the node tree, within the node budget."""
    builder = _Builder(shown)
    try:
        data = builder.build(node, "")
    except _Budget as budget:
        top = "/" + budget.args[0].split("/")[1] if budget.args[0] else ""
        line, col = builder.key_marks.get(top) or builder.marks.get(top, (1, 1))
        return None, [
            ConfigError(
                f"the file expands to more than {MAX_NODES} values (alias bomb?)",
                shown,
                line,
                col,
                top or None,
                hint="expand fewer nested aliases (*name); write the values out",
                error_type="too_many_nodes",
            )
        ]
    except RecursionError:
        return None, [
            ConfigError("the YAML nests too deeply", shown, 1, 1, hint="flatten the file", error_type="too_deep")
        ]
    if builder.errors:
        return None, builder.errors
    return Document(path, data, builder.marks, builder.key_marks), []


def load_document(path: Path, shown: str) -> tuple[Document | None, list[ConfigError]]:
    text, errors = read_text(path, shown)
    if text is None:
        return None, errors
    return parse_text(text, path, shown)
