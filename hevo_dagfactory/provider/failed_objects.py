"""Which tables failed: the failing objects of a FAILED or COMPLETED_WITH_FAILURES job, for the result.

Why here, on the worker, and best effort: a job's status says *that* something failed; its objects
(``GET .../jobs/{job_id}/objects``) say *which* tables and why, which is what a user needs to fix
it. Reading them is one to ``MAX_PAGES`` GETs after the job ended, in the same rate budget. Nothing
here may change the task's outcome: any error (Hevo, network, an odd answer, the time bound) becomes
a note in the result and a warning in the log. The trigger never calls this (it only reads the job's
status and may run twice); every wait mode ends on the worker, where ``results.conclude`` does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hevo_dagfactory.provider.bounded import call_within

if TYPE_CHECKING:
    from hevo_dagfactory.hevo import EdgeClient, HevoObject

#: At most this many failing objects are named (XCom, log, failure message); the count covers all read.
MAX_NAMED = 20
#: Pages of objects read (100 objects each): 1,000 objects in the worst case.
MAX_PAGES = 10
#: The whole read is given up after this long.
READ_TIMEOUT_S = 30.0
#: One object's error in the failure message is cut here (the XCom keeps up to 500 characters).
MESSAGE_ERROR_CHARS = 200

Reader = Callable[[], "tuple[list[HevoObject], bool]"]


def has_failed_objects(status: str | None) -> bool:
    """Statuses whose job has failing objects to name: FAILED and the ``*_WITH_FAILURES`` ones."""
    key = (status or "").strip().upper()
    return key == "FAILED" or key.endswith(("WITH_FAILURES", "WITH_FAILURE"))


def reader(client: EdgeClient, pipeline_id: Any, job_id: Any) -> Reader:
    """A deferred, bounded read of the job's objects: (every object read, whether every page was read).

    Made at most once however often it is called (naming the failing tables and lineage share it); an error
    or the time bound is raised again on every call.
    """
    memo: dict[str, Any] = {}

    def pages() -> tuple[list[HevoObject], bool]:
        from hevo_dagfactory.hevo import endpoints as ep

        objects: list[HevoObject] = []
        for number, page in enumerate(
            client.pages(lambda cursor: ep.list_job_objects(pipeline_id, job_id, ep.MAX_PAGE_SIZE, cursor)), 1
        ):
            objects += page.objects
            if number >= MAX_PAGES and page.has_more:
                return objects, False
        return objects, True

    def read() -> tuple[list[HevoObject], bool]:
        if not memo:
            try:
                memo["answer"] = call_within(pages, READ_TIMEOUT_S, f"reading the objects of Hevo job {job_id}")
            except Exception as exc:  # noqa: BLE001 - kept and raised to every caller (CallTimedOut included)
                memo["error"] = exc
        if "error" in memo:
            raise memo["error"]
        return memo["answer"]

    return read


def add_failed_objects(result: dict[str, Any], read: Reader, log: logging.Logger | Any) -> None:
    """Put the failing objects into ``result`` and the log; never raises (best effort by contract).

    Keys: ``failed_objects`` (the first ``MAX_NAMED``, each ``{object, source, destination, status,
    error, ...}``), ``failed_objects_count`` (all failing ones read), ``failed_objects_complete``
    (False when more pages existed than were read), or ``failed_objects_error`` when reading failed.
    """
    where = f"Hevo job {result.get('job_id')} of pipeline {result.get('pipeline_id')}"
    try:
        objects, complete = read()
    except Exception as exc:  # noqa: BLE001 - best effort: never changes the outcome (CallTimedOut included)
        result["failed_objects_error"] = f"{type(exc).__name__}: {str(exc)[:300]}"
        log.warning(
            "Could not read which tables failed in %s (the task's outcome does not depend on it): %s", where, exc
        )
        return
    failed = [obj for obj in objects if obj.failed]
    result["failed_objects"] = [obj.to_dict() for obj in failed[:MAX_NAMED]]
    result["failed_objects_count"] = len(failed)
    result["failed_objects_complete"] = complete
    if not failed:
        log.info("%s lists no failing object.", where)
        return
    more = "" if complete else f" (the first {MAX_PAGES * 100} objects were read)"
    lines = [f"  - {_line(o)}" for o in result["failed_objects"]]
    if len(failed) > MAX_NAMED:
        lines.append(f"  ... and {len(failed) - MAX_NAMED} more")
    log.warning("%s: %d object(s) failed%s:\n%s", where, len(failed), more, "\n".join(lines))


def _line(obj: dict[str, Any], error_chars: int | None = None) -> str:
    name = obj.get("object") or "?"
    if obj.get("destination"):
        name += f" → {obj['destination']}"
    error = obj.get("error") or f"status {obj.get('status')}"
    if error_chars is not None and len(error) > error_chars:
        error = error[:error_chars] + "…"
    return f"{name}: {error}"


def summary(result: dict[str, Any]) -> str:
    """A sentence for a failure message naming the failing objects (empty when none were read)."""
    named = result.get("failed_objects") or []
    if not named:
        return ""
    count = result.get("failed_objects_count", len(named))
    listed = "; ".join(_line(o, MESSAGE_ERROR_CHARS) for o in named)
    more = f"; and {count - len(named)} more" if count > len(named) else ""
    return f" Failed objects ({count}): {listed}{more}."
