"""Handlers of the simulated Edge API (and the classic run-now) plus the ``/_sim`` admin endpoints."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .responses import error_response, json_response
from .script import RESYNC_TYPES, SYNC_NOW_TYPE, PipelineScript
from .state import object_to_api

if TYPE_CHECKING:
    from .server import Simulator
    from .state import PipelineState

EDGE = "/api/v1"


def add_routes(app: web.Application, sim: Simulator) -> None:
    h = _Handlers(sim)
    app.router.add_get(f"{EDGE}/pipelines", h.list_pipelines)
    app.router.add_get(f"{EDGE}/pipelines/{{pid}}", h.get_pipeline)
    app.router.add_post(f"{EDGE}/pipelines/{{pid}}/actions/{{action}}", h.pipeline_action)
    app.router.add_get(f"{EDGE}/pipelines/{{pid}}/jobs", h.list_jobs)
    app.router.add_get(f"{EDGE}/pipelines/{{pid}}/jobs/{{jid}}", h.get_job)
    app.router.add_get(f"{EDGE}/pipelines/{{pid}}/jobs/{{jid}}/objects", h.list_job_objects)
    app.router.add_get(f"{EDGE}/pipelines/{{pid}}/objects", h.list_pipeline_objects)
    app.router.add_post(f"{EDGE}/pipelines/{{pid}}/jobs/{{jid}}/actions/cancel", h.cancel_job)
    app.router.add_post("/api/public/v2.0/pipelines/{pid}/run-now", h.run_now_classic)
    app.router.add_put("/_sim/pipelines/{pid}", h.admin_put_pipeline)
    app.router.add_get("/_sim/pipelines/{pid}/jobs", h.admin_jobs)
    app.router.add_get("/_sim/stats", h.admin_stats)
    app.router.add_get("/_sim/requests", h.admin_requests)
    app.router.add_post("/_sim/reset", h.admin_reset)


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode()


def _offset(cursor: str | None) -> int | None:
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        return int(text[2:]) if text.startswith("o:") else None
    except (ValueError, UnicodeDecodeError):
        return None


def _page_window(request: web.Request) -> tuple[int, int] | web.Response:
    """(offset, limit) from ``limit`` (1-100, default 10) and ``cursor``, or the 400 answer."""
    try:
        limit = int(request.query.get("limit", "10"))
    except ValueError:
        return error_response(400, "limit must be a number")
    if not 1 <= limit <= 100:
        return error_response(400, "limit must be between 1 and 100")
    offset = _offset(request.query.get("cursor"))
    if offset is None:
        return error_response(400, "Invalid cursor")
    return offset, limit


def resync_mode_of(body: Any, accepts: str) -> str | web.Response:
    """The resync mode a body asks for, in the shape(s) this Hevo accepts; else a 400 that names the body
    (nothing is started). ``accepts``: resync_mode | drop_and_load | either | neither."""
    body = body if isinstance(body, dict) else {}
    if "resync_mode" in body and accepts in ("resync_mode", "either"):
        mode = str(body["resync_mode"]).upper()
        if mode in RESYNC_TYPES:
            return mode
        return error_response(400, f"Invalid value {body['resync_mode']!r} for field 'resync_mode' in request body")
    if "drop_and_load" in body and accepts in ("drop_and_load", "either"):
        if isinstance(body["drop_and_load"], bool):
            return "DROP_AND_LOAD" if body["drop_and_load"] else "EVOLVE_AND_MERGE"
        return error_response(400, "Field 'drop_and_load' in request body must be a boolean")
    unknown = ", ".join(sorted(body)) or "none"
    wanted = {"resync_mode": "resync_mode", "drop_and_load": "drop_and_load (boolean)"}.get(accepts, "a resync option")
    return error_response(400, f"Invalid request body: expected field {wanted}; got field(s): {unknown}")


def _paged(data: list[Any], offset: int, limit: int, total: int) -> web.Response:
    more = offset + limit < total
    return json_response({"data": data, "has_more": more, "next_cursor": _cursor(offset + limit) if more else None})


class _Handlers:
    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.state = sim.state

    def _pipe(self, request: web.Request, now: float | None = None) -> PipelineState:
        """The pipeline of the request (call under the lock), with Hevo's scheduler caught up to ``now``."""
        pid = request.match_info["pid"]
        pipe = self.state.pipelines.get(pid)
        if pipe is None:
            raise web.HTTPNotFound(
                text=json.dumps({"message": f"Pipeline with id {pid} not found"}), content_type="application/json"
            )
        pipe.advance(time.time() if now is None else now)
        return pipe

    def _paged_list(
        self,
        request: web.Request,
        items: Callable[[float], list[Any]],
        render: Callable[[Any, float], Any] = lambda item, now: item,
    ) -> web.Response:
        """One page (``limit``/``cursor``) of ``items(now)``, each page item rendered under the lock."""
        window = _page_window(request)
        if isinstance(window, web.Response):
            return window
        offset, limit = window
        now = time.time()
        with self.state.lock:
            every = items(now)
            page = [render(item, now) for item in every[offset : offset + limit]]
        return _paged(page, offset, limit, len(every))

    async def list_pipelines(self, request: web.Request) -> web.Response:
        return self._paged_list(
            request, lambda now: list(self.state.pipelines.values()), lambda pipe, now: pipe.to_api()
        )

    async def get_pipeline(self, request: web.Request) -> web.Response:
        with self.state.lock:
            return json_response(self._pipe(request).to_api())

    async def pipeline_action(self, request: web.Request) -> web.Response:
        action = request.match_info["action"]
        body: Any = {}
        if request.can_read_body:
            try:
                body = await request.json()
            except ValueError:
                return error_response(400, "Request body is not valid JSON")
        now = time.time()
        with self.state.lock:
            pipe = self._pipe(request, now)
            if action in ("sync-now", "resync"):
                return self._start(pipe, action, body, now)
            if action == "enable":
                pipe.status = "INITIALIZED"
                return json_response({"success": True, "status": pipe.status})
            if action == "disable":
                if isinstance(body, dict) and body.get("cancel_active_jobs"):
                    job = pipe.running_job(now)
                    if job is not None:
                        job.cancel_at = now
                pipe.status = "DISABLED"
                return json_response({"success": True, "status": pipe.status})
        return error_response(404, f"Unknown pipeline action {action}")

    def _start(self, pipe: PipelineState, action: str, body: Any, now: float) -> web.Response:
        """sync-now or resync (under the lock): refused, or a new job."""
        script = pipe.script
        if action == "sync-now":
            pipe.sync_now_posts += 1
            job_type = SYNC_NOW_TYPE
        else:
            pipe.resync_posts += 1
            pipe.resync_bodies.append(body)
            mode = resync_mode_of(body, script.resync_body)
            if isinstance(mode, web.Response):
                return mode
            job_type = pipe.resync_type(mode)
        if pipe.status != "INITIALIZED":
            return error_response(400, f"Pipeline must be in the INITIALIZED state to sync; it is {pipe.status}")
        if pipe.running_job(now) is not None:
            return error_response(script.in_progress_status, script.in_progress_message)
        if script.scheduled_job_before_post_s is not None:  # Hevo's scheduler ran one just before
            before = now - float(script.scheduled_job_before_post_s)
            early = pipe.new_job(job_type, before, duration_s=0.0, created=before)
            early.final_status = "COMPLETED"
            script.scheduled_job_before_post_s = None
        job = pipe.new_job(job_type, now)
        if script.scheduled_run_after_post_s is not None and script.scheduled:  # Hevo's scheduler runs next
            pipe.next_scheduled_run = now + float(script.scheduled_run_after_post_s)
            script.scheduled_run_after_post_s = None
        if script.sync_now_error_after_start > 0:
            script.sync_now_error_after_start -= 1
            return error_response(script.error_status, "Bad gateway")
        answer: dict[str, Any] = {"success": True, "message": "Sync triggered"}
        if script.return_job_id:
            answer["job_id"] = job.job_id
        if script.answer_status is not None:
            answer["status"] = script.answer_status
        return json_response(answer)

    async def list_jobs(self, request: web.Request) -> web.Response:
        return self._paged_list(
            request, lambda now: self._pipe(request, now).listed_jobs(now), lambda job, now: job.to_api(now)
        )

    def _job(self, request: web.Request, now: float):
        pipe = self._pipe(request, now)
        jid = request.match_info["jid"]
        for job in pipe.jobs:
            if job.job_id == jid and job.visible(now):
                return pipe, job
        raise web.HTTPNotFound(
            text=json.dumps({"message": f"Job with id {jid} not found"}), content_type="application/json"
        )

    async def get_job(self, request: web.Request) -> web.Response:
        now = time.time()
        with self.state.lock:
            _, job = self._job(request, now)
            return json_response(job.to_api(now))

    async def list_job_objects(self, request: web.Request) -> web.Response:
        return self._paged_list(request, lambda now: self._job(request, now)[1].objects_to_api(now))

    async def list_pipeline_objects(self, request: web.Request) -> web.Response:
        def objects(now: float) -> list[dict[str, Any]]:
            script = self._pipe(request, now).script
            return [object_to_api(script, t) for t in script.table_names()]

        return self._paged_list(request, objects)

    async def cancel_job(self, request: web.Request) -> web.Response:
        now = time.time()
        with self.state.lock:
            pipe = self._pipe(request, now)
            pipe.cancel_posts += 1
            _, job = self._job(request, now)
            if not job.running(now):
                return error_response(400, f"Job {job.job_id} is {job.status(now)} and cannot be cancelled")
            if job.cancel_at is None:
                job.cancel_at = now
            return json_response({"success": True, "job_id": job.job_id, "status": job.status(now)})

    async def run_now_classic(self, request: web.Request) -> web.Response:
        with self.state.lock:
            pipe = self._pipe(request)
            pipe.run_now_posts += 1
        return json_response({"success": True})

    # -- admin (no auth, not rate limited, loopback only) ------------------------------------------
    async def admin_put_pipeline(self, request: web.Request) -> web.Response:
        try:
            data = await request.json() if request.can_read_body else {}
            script = PipelineScript.from_dict(data)
        except (ValueError, TypeError) as exc:
            return error_response(400, f"bad PipelineScript: {exc}")
        self.sim.add_pipeline(request.match_info["pid"], script)
        return json_response({"pipeline_id": request.match_info["pid"], "script": script.to_dict()})

    async def admin_jobs(self, request: web.Request) -> web.Response:
        pid = request.match_info["pid"]
        if pid not in self.state.pipelines:
            return error_response(404, f"Pipeline with id {pid} not found")
        return json_response({"data": self.sim.jobs(pid)})

    async def admin_stats(self, request: web.Request) -> web.Response:
        return json_response(self.sim.stats())

    async def admin_requests(self, request: web.Request) -> web.Response:
        return json_response({"data": self.sim.request_log})

    async def admin_reset(self, request: web.Request) -> web.Response:
        self.sim.reset()
        return json_response({"success": True})
