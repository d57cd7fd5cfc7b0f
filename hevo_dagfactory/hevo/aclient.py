"""The asyncio Hevo Edge client (``aiohttp.ClientSession``), for triggers in the triggerer's event loop.

It never blocks the loop: no ``time.sleep``, no ``requests``; rate-budget waits and retry backoffs are
``asyncio.sleep``. The session is created lazily inside the running loop (aiohttp sessions are bound to
the loop they were created in) and closed by ``async with`` or :meth:`aclose`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Generator
from typing import Any, TypeVar

import aiohttp

from . import endpoints as ep
from .base import ClientConfig
from .completion import CompletionWatch
from .drive import NoAnswer, adrive
from .errors import transport_error
from .models import Job, JobPage, StartedJob
from .objects import HevoObject, ObjectPage
from .start import start_job_flow
from .wait import JobWatch, WaitPolicy, WaitResult, Watch, wait_flow

T = TypeVar("T")


class AsyncEdgeClient(ClientConfig):
    """Async twin of :class:`~.client.EdgeClient`: same constructor, same method names (awaitable)."""

    def __init__(self, *args: Any, session: aiohttp.ClientSession | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._session = session
        self._own_session = session is None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def __aenter__(self) -> AsyncEdgeClient:
        self._ensure_session()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._session is not None and self._own_session and not self._session.closed:
            await self._session.close()
        if self._own_session:
            self._session = None

    def _ensure_session(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._session is not None and self._own_session and self._loop is not loop:
            # An aiohttp session only works in the loop that made it (e.g. a client reused across
            # asyncio.run calls); the old loop is gone, so start a fresh session in this one.
            self._session = None
        if self._session is None or self._session.closed:
            self._loop = loop
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                trust_env=True,
                connector=aiohttp.TCPConnector(limit=100, ttl_dns_cache=300),
            )
            self._own_session = True
        return self._session

    # -- transport ---------------------------------------------------------------------------------
    async def _send_once(self, call: ep.ApiCall) -> Any:
        url = self.url(call.path)
        session = self._ensure_session()
        slot = await self.budget.acquire_async()
        try:
            async with session.request(
                call.method, url, params=call.params, json=call.json, headers=self._headers
            ) as resp:
                text = await resp.text(errors="replace")
                status, retry_after = resp.status, resp.headers.get("Retry-After")
        except asyncio.TimeoutError:
            raise transport_error(
                "timeout", f"no answer within {self.timeout:g} s", method=call.method, url=url, secrets=self._secrets
            ) from None
        except aiohttp.ClientError as exc:
            raise transport_error(
                "connection",
                type(exc).__name__ + ": " + str(exc)[:200],
                method=call.method,
                url=url,
                secrets=self._secrets,
            ) from None
        finally:
            self.budget.done(slot)  # the budget counts the request until one window after its answer
        data = self.decode(status, text, retry_after, method=call.method, url=url)
        return self.parse(call, data, url=url)

    async def call(self, call: ep.ApiCall) -> Any:
        """Send one described call with the retry policy; returns the parsed answer."""
        async for attempt in self.retry.async_retrying(idempotent=call.idempotent):
            with attempt:
                return await self._send_once(call)
        raise AssertionError("unreachable")  # pragma: no cover

    # -- Edge API ----------------------------------------------------------------------------------
    async def get_pipeline(self, pipeline_id: Any) -> dict[str, Any]:
        return await self.call(ep.get_pipeline(pipeline_id))

    async def list_pipelines(self, limit: int = 50, cursor: str | None = None) -> dict[str, Any]:
        return await self.call(ep.list_pipelines(limit, cursor))

    async def sync_now(self, pipeline_id: Any) -> dict[str, Any]:
        return await self.call(ep.sync_now(pipeline_id))

    async def resync(self, pipeline_id: Any, resync_mode: str = "EVOLVE_AND_MERGE") -> dict[str, Any]:
        return await self.call(ep.resync(pipeline_id, resync_mode))

    async def list_jobs(self, pipeline_id: Any, limit: int = 10, cursor: str | None = None) -> JobPage:
        return await self.call(ep.list_jobs(pipeline_id, limit, cursor))

    async def pages(
        self, make_call: Callable[[str | None], ep.ApiCall], max_pages: int | None = None
    ) -> AsyncIterator[Any]:
        """Every page of a cursor-paged list: ``make_call(cursor)`` describes one page's request."""
        cursor, pages = None, 0
        while True:
            page = await self.call(make_call(cursor))
            yield page
            pages += 1
            if not page.has_more or not page.next_cursor or (max_pages is not None and pages >= max_pages):
                return
            cursor = page.next_cursor

    async def iter_jobs(
        self, pipeline_id: Any, page_size: int = 50, max_pages: int | None = None
    ) -> AsyncIterator[Job]:
        async for page in self.pages(lambda cursor: ep.list_jobs(pipeline_id, page_size, cursor), max_pages):
            for job in page.jobs:
                yield job

    async def list_job_objects(
        self, pipeline_id: Any, job_id: Any, limit: int = ep.MAX_PAGE_SIZE, cursor: str | None = None
    ) -> ObjectPage:
        return await self.call(ep.list_job_objects(pipeline_id, job_id, limit, cursor))

    async def iter_job_objects(
        self, pipeline_id: Any, job_id: Any, page_size: int = ep.MAX_PAGE_SIZE, max_pages: int | None = None
    ) -> AsyncIterator[HevoObject]:
        def page(cursor: str | None) -> ep.ApiCall:
            return ep.list_job_objects(pipeline_id, job_id, page_size, cursor)

        async for one in self.pages(page, max_pages):
            for obj in one.objects:
                yield obj

    async def list_pipeline_objects(
        self, pipeline_id: Any, limit: int = ep.MAX_PAGE_SIZE, cursor: str | None = None
    ) -> ObjectPage:
        return await self.call(ep.list_pipeline_objects(pipeline_id, limit, cursor))

    async def iter_pipeline_objects(
        self, pipeline_id: Any, page_size: int = ep.MAX_PAGE_SIZE, max_pages: int | None = None
    ) -> AsyncIterator[HevoObject]:
        def page(cursor: str | None) -> ep.ApiCall:
            return ep.list_pipeline_objects(pipeline_id, page_size, cursor)

        async for one in self.pages(page, max_pages):
            for obj in one.objects:
                yield obj

    async def get_job(self, pipeline_id: Any, job_id: Any) -> Job:
        return await self.call(ep.get_job(pipeline_id, job_id))

    async def cancel_job(self, pipeline_id: Any, job_id: Any) -> dict[str, Any]:
        return await self.call(ep.cancel_job(pipeline_id, job_id))

    async def enable_pipeline(self, pipeline_id: Any) -> dict[str, Any]:
        return await self.call(ep.enable_pipeline(pipeline_id))

    async def disable_pipeline(self, pipeline_id: Any, cancel_active_jobs: bool = False) -> dict[str, Any]:
        return await self.call(ep.disable_pipeline(pipeline_id, cancel_active_jobs))

    async def run_now_classic(self, pipeline_id: Any) -> dict[str, Any]:
        return await self.call(ep.run_now_classic(pipeline_id))

    async def start_job(
        self,
        pipeline_id: Any,
        action: str = "sync_now",
        job_type: str | None = None,
        resync_mode: str = "EVOLVE_AND_MERGE",
        if_running: str = "attach",
        attach_only: bool = False,
        since_ms: int | None = None,
    ) -> StartedJob:
        """Start (or attach to) a job without ever starting two; see :mod:`.start` for the rules."""
        return await self.run_flow(
            start_job_flow(
                pipeline_id,
                action=action,
                job_type=job_type,
                resync_mode=resync_mode,
                if_running=if_running,
                attach_only=attach_only,
                since_ms=since_ms,
                discovery=self.discovery,
            )
        )

    async def run_flow(self, flow: Generator[Any, Any, T]) -> T:
        """Drive a flow written once for both clients (see ``EdgeClient.run_flow``), sleeping with
        ``asyncio.sleep`` so the event loop never blocks (:func:`~.drive.adrive`)."""
        return await adrive(flow, self.call)

    async def wait(
        self, watch: Watch, *, deadline: float | None = None, policy: WaitPolicy | None = None, logger: Any = None
    ) -> WaitResult:
        """Look until ``watch`` sees the end, the ``deadline`` (epoch seconds) passes or an error ends it.

        See :mod:`.wait` for the rules. Nothing awaited runs past the deadline: each call, with its
        retries, ``Retry-After`` pauses and rate-budget waits, is cut there (``asyncio.wait_for``).
        """
        flow = wait_flow(watch, deadline=deadline, policy=policy, logger=logger)
        return await adrive(flow, self._send_before(deadline))

    async def wait_for_job(
        self,
        pipeline_id: Any,
        job_id: str,
        *,
        deadline: float | None = None,
        policy: WaitPolicy | None = None,
        logger: Any = None,
    ) -> WaitResult:
        """Wait for one job to reach a terminal status (:meth:`wait` of a :class:`~.wait.JobWatch`)."""
        return await self.wait(JobWatch(pipeline_id, job_id), deadline=deadline, policy=policy, logger=logger)

    async def wait_for_completion(
        self,
        pipeline_id: Any,
        after_ms: int,
        *,
        job_type: str | None = None,
        accept_completed_with_failures: bool = False,
        deadline: float | None = None,
        policy: WaitPolicy | None = None,
        logger: Any = None,
    ) -> WaitResult:
        """Wait, starting nothing, for a job of the type that completes after ``after_ms`` (epoch ms).

        For pipelines Hevo schedules itself; the rules are in :mod:`.completion`.
        """
        watch = CompletionWatch(
            pipeline_id,
            after_ms,
            job_type=job_type,
            accept_completed_with_failures=accept_completed_with_failures,
            discovery=self.discovery,
        )
        return await self.wait(watch, deadline=deadline, policy=policy, logger=logger)

    def _send_before(self, deadline: float | None) -> Any:
        """``call``, cut at ``deadline``: the flow gets :class:`~.drive.NoAnswer` when the time is up."""

        async def send(call: ep.ApiCall) -> Any:
            if deadline is None:
                return await self.call(call)
            try:
                return await asyncio.wait_for(self.call(call), max(deadline - time.time(), 0.0))
            except asyncio.TimeoutError:  # the client turns its own timeouts into HevoTransportError
                raise NoAnswer(f"{call.method} {self.url(call.path)} got no answer before the deadline") from None

        return send
