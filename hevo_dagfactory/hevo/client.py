"""The blocking Hevo Edge client (``requests.Session``), for operators and sensors running in a worker."""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from typing import Any, TypeVar

import requests

from . import endpoints as ep
from .base import ClientConfig
from .completion import CompletionWatch
from .drive import drive
from .errors import transport_error
from .models import Job, JobPage, StartedJob
from .objects import HevoObject, ObjectPage
from .start import start_job_flow
from .wait import JobWatch, WaitPolicy, WaitResult, Watch, wait_flow

T = TypeVar("T")


class EdgeClient(ClientConfig):
    """Sync client: ``EdgeClient(base_url, api_key, api_secret, timeout=30, rate_per_minute=100, ...)``.

    Every call goes through the shared rate budget and the retry policy (see :mod:`.retry`). Use it as a
    context manager or call :meth:`close` to release the connection pool.
    """

    def __init__(self, *args: Any, session: requests.Session | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._session = session or requests.Session()

    def __enter__(self) -> EdgeClient:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        self._session.close()

    # -- transport ---------------------------------------------------------------------------------
    def _send_once(self, call: ep.ApiCall) -> Any:
        url = self.url(call.path)
        slot = self.budget.acquire()
        try:
            resp = self._session.request(
                call.method,
                url,
                params=call.params,
                json=call.json,
                headers=self._headers,
                timeout=(self.timeout, self.timeout),
            )
            text = resp.text
        except requests.Timeout as exc:
            raise transport_error(
                "timeout",
                f"no answer within {self.timeout:g} s ({type(exc).__name__})",
                method=call.method,
                url=url,
                secrets=self._secrets,
            ) from None
        except requests.RequestException as exc:
            raise transport_error(
                "connection",
                type(exc).__name__ + ": " + str(exc)[:200],
                method=call.method,
                url=url,
                secrets=self._secrets,
            ) from None
        finally:
            self.budget.done(slot)  # the budget counts the request until one window after its answer
        data = self.decode(resp.status_code, text, resp.headers.get("Retry-After"), method=call.method, url=url)
        return self.parse(call, data, url=url)

    def call(self, call: ep.ApiCall) -> Any:
        """Send one described call with the retry policy; returns the parsed answer."""
        for attempt in self.retry.retrying(idempotent=call.idempotent):
            with attempt:
                return self._send_once(call)
        raise AssertionError("unreachable")  # pragma: no cover

    # -- Edge API ----------------------------------------------------------------------------------
    def get_pipeline(self, pipeline_id: Any) -> dict[str, Any]:
        return self.call(ep.get_pipeline(pipeline_id))

    def list_pipelines(self, limit: int = 50, cursor: str | None = None) -> dict[str, Any]:
        return self.call(ep.list_pipelines(limit, cursor))

    def sync_now(self, pipeline_id: Any) -> dict[str, Any]:
        """Raw POST sync-now (never repeated on 5xx/timeouts). Prefer :meth:`start_job`."""
        return self.call(ep.sync_now(pipeline_id))

    def resync(self, pipeline_id: Any, resync_mode: str = "EVOLVE_AND_MERGE") -> dict[str, Any]:
        """Raw POST resync. Prefer :meth:`start_job` with ``action="resync"``."""
        return self.call(ep.resync(pipeline_id, resync_mode))

    def list_jobs(self, pipeline_id: Any, limit: int = 10, cursor: str | None = None) -> JobPage:
        return self.call(ep.list_jobs(pipeline_id, limit, cursor))

    def pages(self, make_call: Callable[[str | None], ep.ApiCall], max_pages: int | None = None) -> Iterator[Any]:
        """Every page of a cursor-paged list: ``make_call(cursor)`` describes one page's request."""
        cursor, pages = None, 0
        while True:
            page = self.call(make_call(cursor))
            yield page
            pages += 1
            if not page.has_more or not page.next_cursor or (max_pages is not None and pages >= max_pages):
                return
            cursor = page.next_cursor

    def iter_jobs(self, pipeline_id: Any, page_size: int = 50, max_pages: int | None = None) -> Iterator[Job]:
        """Every job, following cursors (bounded by ``max_pages`` if given)."""
        for page in self.pages(lambda cursor: ep.list_jobs(pipeline_id, page_size, cursor), max_pages):
            yield from page.jobs

    def list_job_objects(
        self, pipeline_id: Any, job_id: Any, limit: int = ep.MAX_PAGE_SIZE, cursor: str | None = None
    ) -> ObjectPage:
        return self.call(ep.list_job_objects(pipeline_id, job_id, limit, cursor))

    def iter_job_objects(
        self, pipeline_id: Any, job_id: Any, page_size: int = ep.MAX_PAGE_SIZE, max_pages: int | None = None
    ) -> Iterator[HevoObject]:
        """Every object the job processed, with its status and error in that job."""
        for page in self.pages(lambda cursor: ep.list_job_objects(pipeline_id, job_id, page_size, cursor), max_pages):
            yield from page.objects

    def list_pipeline_objects(
        self, pipeline_id: Any, limit: int = ep.MAX_PAGE_SIZE, cursor: str | None = None
    ) -> ObjectPage:
        return self.call(ep.list_pipeline_objects(pipeline_id, limit, cursor))

    def iter_pipeline_objects(
        self, pipeline_id: Any, page_size: int = ep.MAX_PAGE_SIZE, max_pages: int | None = None
    ) -> Iterator[HevoObject]:
        """Every object of the pipeline (source objects and the destination tables they load into)."""
        for page in self.pages(lambda cursor: ep.list_pipeline_objects(pipeline_id, page_size, cursor), max_pages):
            yield from page.objects

    def get_job(self, pipeline_id: Any, job_id: Any) -> Job:
        return self.call(ep.get_job(pipeline_id, job_id))

    def cancel_job(self, pipeline_id: Any, job_id: Any) -> dict[str, Any]:
        return self.call(ep.cancel_job(pipeline_id, job_id))

    def enable_pipeline(self, pipeline_id: Any) -> dict[str, Any]:
        return self.call(ep.enable_pipeline(pipeline_id))

    def disable_pipeline(self, pipeline_id: Any, cancel_active_jobs: bool = False) -> dict[str, Any]:
        return self.call(ep.disable_pipeline(pipeline_id, cancel_active_jobs))

    def run_now_classic(self, pipeline_id: Any) -> dict[str, Any]:
        return self.call(ep.run_now_classic(pipeline_id))

    def start_job(
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
        return self.run_flow(
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

    def run_flow(self, flow: Generator[Any, Any, T]) -> T:
        """Drive a flow written once for both clients: send each :class:`~.endpoints.ApiCall` it yields
        (with the retry policy and the budget) and sleep for each ``Sleep``; a ``HevoError`` is thrown
        back into the flow. Returns the flow's return value (:func:`~.drive.drive`)."""
        return drive(flow, self.call)

    def wait(
        self, watch: Watch, *, deadline: float | None = None, policy: WaitPolicy | None = None, logger: Any = None
    ) -> WaitResult:
        """Look until ``watch`` sees the end, the ``deadline`` (epoch seconds) passes or an error ends it.

        See :mod:`.wait` for the rules. The deadline is checked between calls; one call may outlive it by
        its own retries (the provider's worker-side poll also abandons a call at the deadline).
        """
        return self.run_flow(wait_flow(watch, deadline=deadline, policy=policy, logger=logger))

    def wait_for_job(
        self,
        pipeline_id: Any,
        job_id: str,
        *,
        deadline: float | None = None,
        policy: WaitPolicy | None = None,
        logger: Any = None,
    ) -> WaitResult:
        """Wait for one job to reach a terminal status (:meth:`wait` of a :class:`~.wait.JobWatch`)."""
        return self.wait(JobWatch(pipeline_id, job_id), deadline=deadline, policy=policy, logger=logger)

    def wait_for_completion(
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
        return self.wait(watch, deadline=deadline, policy=policy, logger=logger)
