"""Is this answer Hevo's "a job is already running" refusal? Read by its meaning, from the body.

Hevo documents 409 or 500 with "A job is already in progress for this pipeline"; older Hevo answered
500 "A job is in progress. To sync now you need to cancel the current job" (hevo-api.md §5, §7). The
wording has changed before and the error body's shape is not documented, so the refusal is matched
on meaning: a job (or sync, or run) that is in progress or running, in either order, and not negated
("no job is running"). Hevo's own provider matches the HTTP reason phrase, which never carries this
text; we read the body. A JSON body is reduced to its string values first, so a body that merely
holds a job (``{"job_id": ..., "status": "RUNNING"}``) is not mistaken for the refusal.
"""

from __future__ import annotations

import json
import re
from typing import Any

#: HTTP statuses Hevo is known (or said) to use for the refusal.
REFUSAL_STATUSES = frozenset({409, 500, 503})

_SUBJECT = r"\b(?:jobs?|syncs?|runs?)\b"
_STATE = r"(?:in[\s_-]?progress|running|underway|ongoing)\b"
_PATTERNS = (
    re.compile(_SUBJECT + r"[^.;!?]{0,60}?" + _STATE),  # "a job is already in progress", "sync currently running"
    re.compile(r"\b(?:in[\s_-]?progress|running|active|ongoing)\s+" + _SUBJECT),  # "an in-progress job exists"
    re.compile(r"\bjobs?\s+(?:is\s+|are\s+)?already\b"),  # "job already triggered", the old provider's marker
)
_NEGATION = re.compile(r"\b(?:no|not|none|never|nothing|without)\b|n't\b")


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)]
    return []


def message_text(body: str | None) -> str:
    """The human text of an answer body: a JSON body's string values (". "-joined), else the body."""
    text = (body or "").strip()
    if text[:1] in ("{", "["):
        try:
            return ". ".join(_texts(json.loads(text)))
        except ValueError:
            pass
    return text


def means_job_in_progress(body: str | None) -> bool:
    """True if the body says a job is already running (matched on meaning, see the module docstring)."""
    text = " ".join(message_text(body).lower().split())
    for pattern in _PATTERNS:
        for match in pattern.finditer(text):
            window = text[max(0, match.start() - 12) : match.end()]
            if not _NEGATION.search(window):
                return True
    return False
