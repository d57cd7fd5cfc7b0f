"""Ask Hevo about every pipeline the workflows name: exists, is an Edge pipeline, enabled, Sync On Demand.

One GET of ``/api/v1/pipelines/{id}`` per distinct pipeline and credentials, through the client's
retry policy and the rate budget of the key. The answer is judged by the operator's own pre-flight
rules (``hevo.preflight.assess``), so ``validate --online`` fails exactly the pipelines a sync would
fail on, plus a Hevo-scheduled pipeline under a sync action (Hevo's Airflow guide asks for Sync On
Demand; at run time that is only a warning). A problem is reported at the ``pipeline_id`` node of the
file as ``path:line:col: message``. Hevo that cannot be asked (outage, timeouts, rate limit after the
retries, refused credentials) is :class:`HevoUnavailable`: the caller exits 2 and never blames a file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from hevo_dagfactory.hevo import EdgeClient, HevoError, HevoNotFound, RetryPolicy
from hevo_dagfactory.hevo.preflight import assess
from hevo_dagfactory.online.credentials import Credentials, CredentialsError, credentials_for
from hevo_dagfactory.spec import ConfigError, Workflow
from hevo_dagfactory.spec.errors import display_path
from hevo_dagfactory.spec.yamlsafe import load_document

#: A CLI must not hang for minutes on an outage: three tries, short waits, 15 s per request.
ONLINE_RETRY = RetryPolicy(max_attempts=3, initial_delay=0.5, max_delay=4.0, max_retry_after=30.0)
REQUEST_TIMEOUT_S = 15.0
SYNC_ACTIONS = ("sync_now", "resync")


class HevoUnavailable(Exception):
    """Hevo could not be asked (or refused the credentials): no file is judged; the message says why."""


@dataclass
class OnlineResult:
    errors: list[ConfigError] = field(default_factory=list)
    pipelines: int = 0  # distinct pipelines asked about
    hosts: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class _Answer:
    pipeline: Any = None  # the pipeline's JSON, or None when Hevo answered 404
    host: str = ""


def check_workflows(workflows: Iterable[Workflow], env: Mapping[str, str]) -> OnlineResult:
    """Check every sync's pipeline; raises :class:`HevoUnavailable` when Hevo cannot be asked."""
    result = OnlineResult()
    clients: dict[tuple[str, str], EdgeClient] = {}
    answers: dict[tuple[str, str, str], _Answer] = {}
    try:
        for workflow in workflows:
            try:
                creds = credentials_for(workflow.hevo.connection_id, workflow.hevo.region, env)
            except CredentialsError as exc:
                raise HevoUnavailable(str(exc)) from None
            client = clients.get((creds.base_url, creds.api_key)) or _client(creds, workflow.hevo.connection_id)
            clients[(creds.base_url, creds.api_key)] = client
            for index, sync in enumerate(workflow.syncs):
                key = (creds.base_url, creds.api_key, str(sync.pipeline_id))
                if key not in answers:
                    answers[key] = _ask(client, sync.pipeline_id, creds)
                result.hosts.add(answers[key].host)
                problem = _problem(answers[key], sync.pipeline_id, sync.action, creds)
                if problem:
                    result.errors.append(_error(workflow.source, index, *problem))
    finally:
        for client in clients.values():
            client.close()
    result.pipelines = len(answers)
    return result


def _client(creds: Credentials, conn_id: str) -> EdgeClient:
    return EdgeClient(
        creds.base_url,
        creds.api_key,
        creds.api_secret,
        timeout=REQUEST_TIMEOUT_S,
        retry=ONLINE_RETRY,
        headers=creds.headers or None,
        connection_id=conn_id,
    )


def _ask(client: EdgeClient, pipeline_id: Any, creds: Credentials) -> _Answer:
    try:
        return _Answer(client.get_pipeline(pipeline_id), client.host)
    except HevoNotFound:
        return _Answer(None, client.host)
    except HevoError as exc:
        what = (
            "refused the credentials"
            if exc.status in (401, 403)
            else "could not be asked"
            if exc.status is None or exc.status >= 429
            else "gave an unexpected answer"
        )
        raise HevoUnavailable(
            f"Hevo at {client.base_url} {what} (credentials from {creds.source}), so no pipeline was checked "
            f"online and no file is judged by it: {exc}"
        ) from None


def _problem(answer: _Answer, pipeline_id: Any, action: str, creds: Credentials) -> tuple[str, str] | None:
    """(message, hint) when the pipeline cannot serve the sync, else None."""
    if answer.pipeline is None:
        return (
            f"pipeline {pipeline_id} was not found among the Edge pipelines at {answer.host}",
            "check the id (the number in the pipeline's Hevo URL), the region or host of the connection "
            f"({creds.source}; a pipeline lives in one region), and that it is an Edge pipeline: classic "
            "pipelines have no job API, so a workflow cannot sync them",
        )
    verdict = assess(answer.pipeline, pipeline_id, action.replace("_", "-"))
    if verdict.problem and not verdict.settling:
        return verdict.problem, "the sync would fail at run time before starting anything"
    if verdict.scheduled and action in SYNC_ACTIONS:
        return verdict.scheduled, f"a sync with action {action} needs a pipeline on Sync On Demand"
    return None


def _error(source: Path, index: int, message: str, hint: str) -> ConfigError:
    shown = display_path(source)
    line, col, pointer = _position(str(source), shown, index)
    return ConfigError(message, shown, line, col, pointer, hint, "online")


def _position(path: str, shown: str, index: int) -> tuple[int | None, int | None, str]:
    """Where the sync's ``pipeline_id`` is written: in its sync, else in ``sync_defaults``, else the sync."""
    marks = _marks(path, shown)
    for pointer in (f"/syncs/{index}/pipeline_id", "/sync_defaults/pipeline_id", f"/syncs/{index}"):
        if pointer in marks:
            return (*marks[pointer], pointer)
    return None, None, f"/syncs/{index}/pipeline_id"


@lru_cache(maxsize=256)
def _marks(path: str, shown: str) -> dict[str, tuple[int, int]]:
    document, _ = load_document(Path(path), shown)
    return document.marks if document is not None else {}
