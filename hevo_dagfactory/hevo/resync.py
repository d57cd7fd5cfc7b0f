"""The trigger POST of a start, and the resync body Hevo accepts.

The resync body is contested between sources (hevo-api.md §7): Hevo's latest provider code sends
``{"resync_mode": "EVOLVE_AND_MERGE" | "DROP_AND_LOAD"}``; its own docs, an older commit and a
third-party client "verified against live API docs" send ``{"drop_and_load": true | false}``. We send
the first; if Hevo answers 400 and the answer names the body (a 400 means nothing started), we try
the other shape once and log which one worked. Both shapes say the same thing: DROP_AND_LOAD is
``drop_and_load: true`` and EVOLVE_AND_MERGE is ``false``, and no shape without the choice (an empty
body) is ever sent, so a destructive resync never turns into a non-destructive one, nor the reverse.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Generator
from typing import Any

from . import endpoints as ep
from .errors import HevoBadRequest
from .flow import Op
from .refusal import message_text

log = logging.getLogger(__name__)

#: Words of a 400 answer that is about the request body (not, e.g., about the pipeline's state).
_ABOUT_THE_BODY = re.compile(
    r"resync_mode|drop_and_load|\bbody\b|payload|\bjson\b|\bfields?\b|\bparam(?:eter)?s?\b"
    r"|\bpropert(?:y|ies)\b|\barguments?\b"
)


def names_the_body(exc: HevoBadRequest) -> bool:
    """True for a 400 whose answer is about the request body (a field, the JSON, a parameter)."""
    return exc.status == 400 and bool(_ABOUT_THE_BODY.search(message_text(exc.body).lower()))


def post_trigger(pipeline_id: Any, action: str, resync_mode: str) -> Generator[Op, Any, Any]:
    """POST sync-now or resync; for a resync whose body Hevo refuses, the other body shape once."""
    if action != "resync":
        return (yield ep.sync_now(pipeline_id))
    first, other = ep.RESYNC_BODY_SHAPES
    try:
        answer = yield ep.resync(pipeline_id, resync_mode, body_shape=first)
    except HevoBadRequest as exc:
        if not names_the_body(exc):
            raise
        refused = ep.resync_body(resync_mode, first)
        log.warning(
            "Hevo refused the resync body %s of pipeline %s (%s); trying the other documented shape %s.",
            refused,
            pipeline_id,
            exc.body,
            ep.resync_body(resync_mode, other),
        )
        try:
            answer = yield ep.resync(pipeline_id, resync_mode, body_shape=other)
        except HevoBadRequest as again:
            if not names_the_body(again):
                raise
            raise HevoBadRequest(
                f"Hevo refused both documented resync bodies for pipeline {pipeline_id} ({refused}: {exc.body}; "
                f"{ep.resync_body(resync_mode, other)}: {again.body}). Nothing was started. Please report this "
                "with Hevo's answers; meanwhile start the resync in the Hevo UI.",
                status=again.status,
                body=again.body,
                method=again.method,
                url=again.url,
            ) from again
        log.warning(
            "Hevo accepted the resync body %s for pipeline %s (the body %s was refused).",
            ep.resync_body(resync_mode, other),
            pipeline_id,
            refused,
        )
        return answer
    log.info("Hevo accepted the resync body %s for pipeline %s.", ep.resync_body(resync_mode, first), pipeline_id)
    return answer
