"""The simulator's HTTP face: an aiohttp.web app speaking Hevo's Edge API shapes on 127.0.0.1.

Requests pass, in order: request log → admin routes (no auth, no rate limit) → Basic auth (401) →
the per-key rate window (429 + Retry-After) → the pipeline's scripted faults → the handler. The
server only binds 127.0.0.1: it has a fixed test key and is never meant to be reachable.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import email.utils
import math
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

from aiohttp import web

from .responses import error_response
from .script import PipelineScript
from .state import PipelineState, SimState

LOOPBACK = "127.0.0.1"
MALFORMED_BODY = '{"data": [{"job_id": "truncated'


class Simulator:
    """A local Hevo Edge API. ``with sim.serve_in_thread() as url`` or ``await sim.start(port)``."""

    def __init__(
        self,
        api_key: str = "test-key",
        api_secret: str = "test-secret",
        rate_per_minute: int = 100,
        *,
        rate_window_s: float = 60.0,
    ) -> None:
        self.api_key = api_key
        self.state = SimState(api_key, api_secret, rate_per_minute, rate_window_s)
        self.url: str | None = None
        self.port: int | None = None
        self._runner: web.AppRunner | None = None

    # -- scripting and inspection (thread-safe) ------------------------------------------------------
    def add_pipeline(self, pipeline_id: Any, script: PipelineScript | dict | None = None) -> None:
        if isinstance(script, dict):
            script = PipelineScript.from_dict(script)
        self.state.add_pipeline(pipeline_id, script)

    def script(self, pipeline_id: Any) -> PipelineScript:
        """The live script of a pipeline: change its fields to change what happens next."""
        with self.state.lock:
            return self.state.pipelines[str(pipeline_id)].script

    def _count(self, pipeline_id: Any, attr: str) -> int:
        with self.state.lock:
            pipe = self.state.pipelines.get(str(pipeline_id))
            return getattr(pipe, attr) if pipe else 0

    def sync_now_posts(self, pipeline_id: Any) -> int:
        return self._count(pipeline_id, "sync_now_posts")

    def resync_posts(self, pipeline_id: Any) -> int:
        return self._count(pipeline_id, "resync_posts")

    def cancel_posts(self, pipeline_id: Any) -> int:
        return self._count(pipeline_id, "cancel_posts")

    def run_now_posts(self, pipeline_id: Any) -> int:
        return self._count(pipeline_id, "run_now_posts")

    def resync_bodies(self, pipeline_id: Any) -> list[Any]:
        """The JSON bodies of the resync POSTs received, in order (refused ones included)."""
        with self.state.lock:
            pipe = self.state.pipelines.get(str(pipeline_id))
            return list(pipe.resync_bodies) if pipe else []

    def jobs(self, pipeline_id: Any) -> list[dict[str, Any]]:
        """Every job of the pipeline as Hevo would show it now (hidden ones included), newest first."""
        now = time.time()
        with self.state.lock:
            pipe = self.state.pipelines.get(str(pipeline_id))
            if pipe is None:
                return []
            pipe.advance(now)
            return [j.to_api(now) for j in reversed(pipe.jobs)]

    @property
    def request_log(self) -> list[dict[str, Any]]:
        with self.state.lock:
            return [dict(entry) for entry in self.state.request_log]

    @property
    def rate_limited_count(self) -> int:
        with self.state.lock:
            return self.state.rate_limited_count

    @property
    def max_requests_in_window(self) -> int:
        """The most requests one key had accepted in any rolling window so far."""
        with self.state.lock:
            return self.state.rate.max_in_window

    def stats(self) -> dict[str, Any]:
        with self.state.lock:
            pipes = self.state.pipelines
            return {
                "sync_now_posts": {pid: p.sync_now_posts for pid, p in pipes.items()},
                "resync_posts": {pid: p.resync_posts for pid, p in pipes.items()},
                "cancel_posts": {pid: p.cancel_posts for pid, p in pipes.items()},
                "run_now_posts": {pid: p.run_now_posts for pid, p in pipes.items()},
                "requests": self.state.requests_seen,
                "rate_limited": self.state.rate_limited_count,
                "max_requests_in_window": self.state.rate.max_in_window,
                "rate_limit": {"limit": self.state.rate.limit, "window_s": self.state.rate.window_s},
            }

    def reset(self) -> None:
        self.state.reset()

    # -- serving -----------------------------------------------------------------------------------
    def make_app(self) -> web.Application:
        from .routes import add_routes

        app = web.Application(middlewares=[self._middleware])
        add_routes(app, self)
        return app

    async def start(self, port: int = 0) -> str:
        """Serve on 127.0.0.1:``port`` (0 = a free port) in the running loop; returns the base URL."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((LOOPBACK, int(port)))
        self._runner = web.AppRunner(self.make_app(), access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.SockSite(self._runner, sock, backlog=1024)
        await site.start()
        self.port = sock.getsockname()[1]
        self.url = f"http://{LOOPBACK}:{self.port}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @contextlib.contextmanager
    def serve_in_thread(self, port: int = 0) -> Iterator[str]:
        """Run the server in a background thread with its own event loop for the ``with`` block."""
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self.start(port))
            except BaseException as exc:  # noqa: BLE001 - reported to the caller below
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.run_until_complete(self.stop())
                loop.close()

        thread = threading.Thread(target=run, name=f"hevo-simulator-{port}", daemon=True)
        thread.start()
        ready.wait(10)
        if failure:
            raise RuntimeError(f"simulator could not start on {LOOPBACK}:{port}: {failure[0]}") from failure[0]
        try:
            assert self.url is not None
            yield self.url
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)

    # -- the request pipeline ----------------------------------------------------------------------
    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        entry = {
            "method": request.method,
            "path": request.path,
            "status": None,
            "time": time.time(),
            "pipeline_id": request.match_info.get("pid"),
        }
        if not request.path.startswith("/_sim/"):
            with self.state.lock:
                self.state.request_log.append(entry)
                self.state.requests_seen += 1
        try:
            response = await self._dispatch(request, handler)
        except web.HTTPException as exc:
            entry["status"] = exc.status
            raise
        entry["status"] = "dropped" if response.status == 599 else response.status
        return response

    async def _dispatch(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path.startswith("/_sim/"):
            return await handler(request)
        key = self._authenticate(request)
        if key is None:
            return error_response(401, "Invalid API credentials. Provide a valid API key and secret (HTTP Basic auth).")
        now = time.monotonic()
        with self.state.lock:
            wait = self.state.rate.admit(key, now)
            if wait is not None:
                self.state.rate_limited_count += 1
        if wait is not None:
            return error_response(429, "Request rate limit exceeded", {"Retry-After": str(max(1, math.ceil(wait)))})
        pipe = self._pipeline_of(request)
        fault = self._take_fault(pipe, request) if pipe else None
        if fault == "rate_limit":
            with self.state.lock:
                self.state.rate_limited_count += 1
            return error_response(429, "Request rate limit exceeded", {"Retry-After": pipe.script.retry_after or "1"})
        if fault == "fail":
            return error_response(pipe.script.fail_status, "Internal error, please try again later")
        if fault == "drop":
            if request.transport is not None:
                request.transport.abort()  # the client sees a reset connection and no answer
            return web.Response(status=599)
        response = await handler(request)
        if fault == "slow":
            await asyncio.sleep(pipe.script.delay_s)
        elif fault == "malformed" and response.status < 300:
            return web.Response(text=MALFORMED_BODY, status=200, content_type="application/json")
        return response

    def _authenticate(self, request: web.Request) -> str | None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return None
        try:
            key, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        return key if self.state.credentials.get(key) == secret else None

    def _pipeline_of(self, request: web.Request) -> PipelineState | None:
        pid = request.match_info.get("pid")
        with self.state.lock:
            return self.state.pipelines.get(pid) if pid else None

    def _take_fault(self, pipe: PipelineState, request: web.Request) -> str | None:
        method = request.method.lower()
        targets = {"all", method}
        if method == "get" and request.path.endswith(f"/pipelines/{pipe.pipeline_id}"):
            targets.add("pipeline")
        if method == "get" and request.path.endswith("/objects"):
            targets.add("objects")
        with self.state.lock:
            script = pipe.script
            if script.faults_on not in targets:
                return None
            for attr, name in (
                ("rate_limit_next", "rate_limit"),
                ("fail_next", "fail"),
                ("drop_next", "drop"),
                ("slow_next", "slow"),
                ("malformed_next", "malformed"),
            ):
                if getattr(script, attr) > 0:
                    setattr(script, attr, getattr(script, attr) - 1)
                    return name
        return None


def http_date(seconds_from_now: float) -> str:
    """A Retry-After value in HTTP-date form (for scripting ``retry_after``)."""
    return email.utils.formatdate(time.time() + seconds_from_now, usegmt=True)
