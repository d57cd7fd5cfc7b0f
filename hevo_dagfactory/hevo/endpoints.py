"""Every Hevo call we make, described once as data and shared by the sync and the async client.

An :class:`ApiCall` names the method, path, query, body, whether repeating it is safe, and how to
parse the answer. The two clients only differ in how they send it (the httpx pattern: one request
model, two thin transports), so paths and parsing cannot drift between them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from .models import Job, JobPage
from .objects import ObjectPage

EDGE = "/api/v1"
CLASSIC = "/api/public/v2.0"
RESYNC_MODES = ("EVOLVE_AND_MERGE", "DROP_AND_LOAD")
#: The two documented resync bodies, the one Hevo's newest provider code sends first.
RESYNC_BODY_SHAPES = ("resync_mode", "drop_and_load")
MAX_PAGE_SIZE = 100


def _identity(data: Any) -> Any:
    return data


@dataclass(frozen=True)
class ApiCall:
    method: str
    path: str
    params: dict[str, Any] | None = None
    json: Any = None
    idempotent: bool = True
    parse: Callable[[Any], Any] = field(default=_identity, compare=False)


def _seg(value: Any) -> str:
    text = str(value).strip()
    if not text:
        raise ValueError("pipeline and job ids must not be empty")
    return quote(text, safe="")


def get_pipeline(pipeline_id: Any) -> ApiCall:
    return ApiCall("GET", f"{EDGE}/pipelines/{_seg(pipeline_id)}", parse=_unwrap)


def list_pipelines(limit: int = 50, cursor: str | None = None) -> ApiCall:
    return ApiCall("GET", f"{EDGE}/pipelines", params=_page(limit, cursor))


def sync_now(pipeline_id: Any) -> ApiCall:
    return ApiCall("POST", f"{EDGE}/pipelines/{_seg(pipeline_id)}/actions/sync-now", idempotent=False)


def resync_body(resync_mode: str, body_shape: str = "resync_mode") -> dict[str, Any]:
    """The resync body in one of the two documented shapes (hevo/resync.py says why there are two).

    ``{"resync_mode": "DROP_AND_LOAD"}`` and ``{"drop_and_load": true}`` ask for the same thing.
    """
    mode = str(resync_mode).strip().upper()
    if mode not in RESYNC_MODES:
        raise ValueError(f"unknown resync_mode {resync_mode!r}; use one of {', '.join(RESYNC_MODES)}.")
    if body_shape == "resync_mode":
        return {"resync_mode": mode}
    if body_shape == "drop_and_load":
        return {"drop_and_load": mode == "DROP_AND_LOAD"}
    raise ValueError(f"unknown resync body shape {body_shape!r}; use one of {', '.join(RESYNC_BODY_SHAPES)}.")


def resync(pipeline_id: Any, resync_mode: str = "EVOLVE_AND_MERGE", body_shape: str = "resync_mode") -> ApiCall:
    return ApiCall(
        "POST",
        f"{EDGE}/pipelines/{_seg(pipeline_id)}/actions/resync",
        json=resync_body(resync_mode, body_shape),
        idempotent=False,
    )


def enable_pipeline(pipeline_id: Any) -> ApiCall:
    return ApiCall("POST", f"{EDGE}/pipelines/{_seg(pipeline_id)}/actions/enable", idempotent=False)


def disable_pipeline(pipeline_id: Any, cancel_active_jobs: bool = False) -> ApiCall:
    return ApiCall(
        "POST",
        f"{EDGE}/pipelines/{_seg(pipeline_id)}/actions/disable",
        json={"cancel_active_jobs": bool(cancel_active_jobs)},
        idempotent=False,
    )


def list_jobs(pipeline_id: Any, limit: int = 10, cursor: str | None = None) -> ApiCall:
    return ApiCall(
        "GET", f"{EDGE}/pipelines/{_seg(pipeline_id)}/jobs", params=_page(limit, cursor), parse=JobPage.from_api
    )


def list_job_objects(pipeline_id: Any, job_id: Any, limit: int = MAX_PAGE_SIZE, cursor: str | None = None) -> ApiCall:
    """The objects (tables) a job processed, each with its status and error in that job."""
    return ApiCall(
        "GET",
        f"{EDGE}/pipelines/{_seg(pipeline_id)}/jobs/{_seg(job_id)}/objects",
        params=_page(limit, cursor),
        parse=ObjectPage.from_api,
    )


def list_pipeline_objects(pipeline_id: Any, limit: int = MAX_PAGE_SIZE, cursor: str | None = None) -> ApiCall:
    """The pipeline's objects: source objects and the destination tables they load into."""
    return ApiCall(
        "GET", f"{EDGE}/pipelines/{_seg(pipeline_id)}/objects", params=_page(limit, cursor), parse=ObjectPage.from_api
    )


def get_job(pipeline_id: Any, job_id: Any) -> ApiCall:
    return ApiCall("GET", f"{EDGE}/pipelines/{_seg(pipeline_id)}/jobs/{_seg(job_id)}", parse=Job.from_api)


def cancel_job(pipeline_id: Any, job_id: Any) -> ApiCall:
    return ApiCall("POST", f"{EDGE}/pipelines/{_seg(pipeline_id)}/jobs/{_seg(job_id)}/actions/cancel", idempotent=False)


def run_now_classic(pipeline_id: Any) -> ApiCall:
    """Classic pipelines: fire-and-forget (no job API exists; a run while ingesting is a no-op at Hevo)."""
    return ApiCall("POST", f"{CLASSIC}/pipelines/{_seg(pipeline_id)}/run-now", idempotent=False)


def _page(limit: int, cursor: str | None) -> dict[str, Any]:
    size = int(limit)
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise ValueError(f"limit must be between 1 and {MAX_PAGE_SIZE}, got {limit}")
    params: dict[str, Any] = {"limit": size}
    if cursor:
        params["cursor"] = cursor
    return params


def _unwrap(data: Any) -> Any:
    """Single resources are not wrapped in ``data`` per the provider's code; accept both shapes."""
    if isinstance(data, dict) and set(data) == {"data"} and isinstance(data["data"], dict):
        return data["data"]
    return data
