"""The source section of a DAG's docs: the workflow file as written and the folder defaults it used.

Why: a user looking at a DAG in the Airflow UI should see the file that made it without opening the
repository, and which team defaults it inherited. The text is the file as read, never expanded (a
``${VAR}`` shows as written, never its value); values of secret-looking keys are masked with Airflow's
own rule (``compat.alerting.sensitive_key``, see ``spec/redact.py``). ``show_source: false`` leaves the
section out.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import yaml

from hevo_dagfactory.provider.compat.alerting import sensitive_key
from hevo_dagfactory.spec.redact import mask_data, mask_text

if TYPE_CHECKING:
    from hevo_dagfactory.spec.model import Workflow


def _fenced(text: str, language: str) -> list[str]:
    """A markdown code block that ``text`` cannot close early (its fence is longer than any run of backticks)."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + language, text.rstrip("\n"), fence]


def source_doc_md(workflow: Workflow, source_name: str) -> list[str]:
    """Markdown lines: the file (masked) and the merged defaults (masked); [] without an origin or when off."""
    origin = workflow.origin
    if not workflow.show_source or origin is None:
        return []
    out = ["", f"### Workflow file `{source_name}`", ""]
    text = mask_text(origin.text, sensitive_key)
    out += _fenced(text, "yaml") if text is not None else ["(the file could not be shown)"]
    if origin.defaults_files:
        chain = " < ".join(f"`{name}`" for name in origin.defaults_files)
        out += [
            "",
            "### Folder defaults used",
            "",
            f"Merged from {chain} (nearest last); the workflow file's own keys win.",
            "",
        ]
        if origin.defaults:
            dumped = yaml.safe_dump(mask_data(origin.defaults, sensitive_key), sort_keys=False, allow_unicode=True)
            out += _fenced(dumped, "yaml")
        else:
            out.append("(empty)")
    return out
