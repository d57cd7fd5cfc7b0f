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

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hevo_dagfactory.spec.errors import ConfigError

try:  # libyaml is ~10x faster; fall back to pure Python where it is missing
    _Base: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on the PyYAML build
    _Base = yaml.SafeLoader

_TAGS: dict[tuple[str, tuple[bool, bool]], str] = {}  # (scalar text, implicit flags) -> resolved tag


class _Loader(_Base):  # type: ignore[misc, valid-type]
    """The safe loader with a memo for scalar tag resolution.

    Why: libyaml composes in C but asks Python's regex-based resolver for the tag of every
    scalar; keys such as ``id`` or ``command`` repeat in every file. The answer depends only
    on the text and its quoting (the safe loader has no path resolvers), so it is cached.
    """

    def resolve(self, kind, value, implicit):
        if kind is not yaml.ScalarNode:
            return super().resolve(kind, value, implicit)
        key = (value, implicit)
        tag = _TAGS.get(key)
        if tag is None:
            if len(_TAGS) > 20_000:  # a long-lived parse process must not grow without bound
                _TAGS.clear()
            tag = _TAGS[key] = super().resolve(kind, value, implicit)
        return tag


#: Files larger than this are refused before parsing (a workflow is a few KiB).
MAX_FILE_BYTES = 1024 * 1024
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


#: Deepest nesting of lists/mappings accepted (a workflow needs about 6).
MAX_DEPTH = 200
_OPENERS = ("[", "{", "-", ":", "?")


def _too_deep(text: str) -> ConfigError | None:
    """Find nesting deeper than ``MAX_DEPTH`` without composing.

    Why: libyaml's composer recurses in C and crashes the interpreter (SIGSEGV) on
    ~100k nested ``[``. Every nesting level needs one of ``[ { - : ?``, so a file with
    few of them cannot be deep and skips this scan; others are checked on the event
    stream, which libyaml parses with a heap stack.
    """
    if sum(text.count(c) for c in _OPENERS) <= MAX_DEPTH:
        return None
    try:
        return _deeper_than_max(text, _Loader)
    except yaml.MarkedYAMLError as exc:
        if "nesting depth" not in str(exc.problem) or exc.problem_mark is None:
            return None  # the real parse below reports syntax errors with their position
        # Newer libyaml (PyYAML >= 6.0.4) has its own limit of 1000 levels, which its scanner hits while
        # reading ahead, before any event of our 201st level. Find that level with the pure-Python parser,
        # on the text up to where libyaml stopped (short, so this failure path stays fast).
        stop = exc.problem_mark
        try:
            found = _deeper_than_max(text[: stop.index + 1], yaml.SafeLoader)
        except yaml.YAMLError:
            found = None  # the prefix ends mid-collection: expected once past our level
        return found or _too_deep_error(stop.line, stop.column)
    except yaml.YAMLError:
        return None


def _too_deep_error(line0: int, col0: int) -> ConfigError:
    return ConfigError(
        f"the YAML nests deeper than {MAX_DEPTH} levels",
        "",
        line0 + 1,
        col0 + 1,
        hint="flatten the file",
        error_type="too_deep",
    )


def _deeper_than_max(text: str, loader_cls: type) -> ConfigError | None:
    """The first collection on the event stream deeper than ``MAX_DEPTH``, or None."""
    loader = loader_cls(text)
    depth = 0
    try:
        while True:
            event = loader.get_event()
            if event is None or isinstance(event, yaml.StreamEndEvent):
                return None
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    return _too_deep_error(event.start_mark.line, event.start_mark.column)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    finally:
        loader.dispose()


def parse_text(text: str, path: Path, shown: str) -> tuple[Document | None, list[ConfigError]]:
    """Compose one YAML document and build marked plain data from it."""
    deep = _too_deep(text)
    if deep is not None:
        from dataclasses import replace

        return None, [replace(deep, file=shown)]
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = " ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
        if "expected a single document" in message:
            message = "the file holds more than one YAML document ('---')"
            hint = "keep one workflow per file"
        else:
            hint = "fix the YAML syntax: indentation, quotes, ':' after keys"
        return None, [
            ConfigError(
                f"YAML syntax error: {message}",
                shown,
                mark.line + 1 if mark else 1,
                mark.column + 1 if mark else 1,
                hint=hint,
                error_type="yaml",
            )
        ]
    except yaml.reader.ReaderError as exc:  # control characters
        before = text[: exc.position]
        line = before.count("\n") + 1
        col = exc.position - (before.rfind("\n") + 1) + 1
        char = exc.character if isinstance(exc.character, str) else chr(exc.character)
        return None, [
            ConfigError(
                f"control character U+{ord(char):04X} is not allowed in YAML",
                shown,
                line,
                col,
                hint="remove the character, or write an escape such as \\t inside a double-quoted string",
                error_type="yaml",
            )
        ]
    except yaml.YAMLError as exc:  # anything else libyaml reports
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "mark", None)
        return None, [
            ConfigError(
                f"YAML error: {getattr(exc, 'problem', None) or exc}",
                shown,
                (mark.line + 1) if mark else 1,
                (mark.column + 1) if mark else 1,
                hint="remove control characters and fix the YAML syntax",
                error_type="yaml",
            )
        ]
    finally:
        loader.dispose()
    if node is None:
        return Document(path, None, text=text), []
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
    return Document(path, data, builder.marks, builder.key_marks, text), []


def load_document(path: Path, shown: str) -> tuple[Document | None, list[ConfigError]]:
    text, errors = read_text(path, shown)
    if text is None:
        return None, errors
    return parse_text(text, path, shown)
