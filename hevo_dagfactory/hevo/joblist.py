"""Reading a pipeline's jobs list in a flow, without relying on its order.

Hevo does not document the order of ``GET /pipelines/{id}/jobs`` (hevo-api.md), so :func:`scan`
follows the cursors up to ``max_pages`` pages and stops early only when what was read really is
newest-first by ``created_ts`` and the caller says nothing further down (older) can matter.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Generator, Iterable
from typing import Any

from . import endpoints as ep
from .flow import Op
from .models import Job, JobOutcome, JobPage


def newest(jobs: Iterable[Job]) -> Job | None:
    """The job with the latest ``created_ts`` (jobs without one count as oldest)."""
    jobs = list(jobs)
    if not jobs:
        return None
    return max(jobs, key=lambda j: (j.created_ts is not None, j.created_ts or 0))


def running_of(jobs: Iterable[Job], types: frozenset[str] | None) -> Job | None:
    """The newest running job of one of ``types`` (any type when None)."""
    return newest(j for j in jobs if j.outcome is JobOutcome.RUNNING and (types is None or j.type_key in types))


def newest_first(jobs: list[Job]) -> bool:
    """True if every job has a ``created_ts`` and they never get newer down the list."""
    stamps = [j.created_ts for j in jobs]
    return None not in stamps and all(a >= b for a, b in itertools.pairwise(stamps))  # type: ignore[operator]


def scan(
    pipeline_id: Any, page_size: int, max_pages: int, enough: Callable[[list[Job]], bool]
) -> Generator[Op, Any, list[Job]]:
    """Read the jobs list, following cursors up to ``max_pages`` pages.

    Paging stops early only when every job read so far is newest-first by ``created_ts`` and
    ``enough(jobs)`` says nothing further down (older) matters.
    """
    jobs: list[Job] = []
    cursor: str | None = None
    ordered = True
    for _ in range(max_pages):
        page: JobPage = yield ep.list_jobs(pipeline_id, limit=page_size, cursor=cursor)
        ordered = ordered and newest_first(jobs[-1:] + page.jobs)
        jobs += page.jobs
        if not page.has_more or not page.next_cursor or (ordered and jobs and enough(jobs)):
            break
        cursor = page.next_cursor
    return jobs


def has_type(expected: frozenset[str]) -> Callable[[list[Job]], bool]:
    """Enough for a running-job check in a newest-first list: a job of the expected type was seen.

    Hevo starts no sync while a job runs, so a job of that type older than the newest one cannot
    still be running (and the newest one is what a task retry may adopt).
    """
    return lambda jobs: any(j.type_key in expected for j in jobs)
