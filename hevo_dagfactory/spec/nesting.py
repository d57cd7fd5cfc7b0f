"""The nesting-depth guard that runs before a YAML file is composed.

Why: libyaml's composer recurses in C and crashes the interpreter (SIGSEGV) on ~100k nested ``[``,
so ``yamlsafe`` asks :func:`too_deep` first and reports such a file like any other error.
"""

from __future__ import annotations

import yaml

from hevo_dagfactory.spec.errors import ConfigError

#: Deepest nesting of lists/mappings accepted (a workflow needs about 6).
MAX_DEPTH = 200
_OPENERS = ("[", "{", "-", ":", "?")


def too_deep(text: str, loader_cls: type) -> ConfigError | None:
    """Find nesting deeper than ``MAX_DEPTH`` without composing (``loader_cls``: the fast loader).

    Every nesting level needs one of ``[ { - : ?``, so a file with few of them cannot be deep and
    skips this scan; others are checked on the event stream, which libyaml parses with a heap stack.
    """
    if sum(text.count(c) for c in _OPENERS) <= MAX_DEPTH:
        return None
    try:
        return _deeper_than_max(text, loader_cls)
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
