"""The workflow file as written, for the Airflow UI, with the values of secret-looking keys masked.

Why by key name: that is how Airflow itself hides values in rendered templates and connection extras
(``password``, ``token``, ``secret``, ``api_key``, ... and ``[core] sensitive_var_conn_names``). The
caller passes Airflow's own rule (``hide``: the factory asks compat), so the list is never copied
here. ``${VAR}`` references stay as written: the text is never expanded. A masked value keeps its
key and position; a block value under such a key (a mapping, a list, a ``|`` string) becomes one
``'***'``. ``mask_data`` does the same to parsed data (the merged folder defaults).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml

MASK = "'***'"
#: libyaml's loader when PyYAML has it: composing every workflow file again for its DAG docs with the pure-Python
#: one took a third of a cold parse of 1000 files.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def mask_text(text: str, hide: Callable[[str], bool]) -> str | None:
    """``text`` with the value of every key ``hide`` names replaced by ``'***'``; None if it does not parse."""
    try:
        root = yaml.compose(text, Loader=_LOADER)
    except yaml.YAMLError:
        return None
    spans: list[tuple[int, int]] = []
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and hide(str(key.value)):
                    spans.append((value.start_mark.index, value.end_mark.index))
                else:
                    stack.append(value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    out = text
    for start, end in sorted(spans, reverse=True):
        value = out[start:end]
        tail = value[len(value.rstrip()) :]  # a block value's span ends with its line break: keep it
        out = out[:start] + MASK + tail + out[end:]
    return out


def mask_data(data: Any, hide: Callable[[str], bool]) -> Any:
    """Parsed YAML with the value of every key ``hide`` names replaced by ``***``."""
    if isinstance(data, dict):
        return {k: "***" if hide(str(k)) else mask_data(v, hide) for k, v in data.items()}
    if isinstance(data, list):
        return [mask_data(v, hide) for v in data]
    return data
