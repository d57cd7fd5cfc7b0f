"""Typed errors for every way a Hevo call can fail, each with a message that says what to do.

Callers branch on the type (the trigger keeps polling on :func:`is_transient` errors, the operator fails
at once on the rest). Messages quote Hevo's response body, because that is what a user can search for
or send to Hevo support, and never the API secret: :func:`redact` runs over every message we build.
"""

from __future__ import annotations

import asyncio
from typing import Any

from .refusal import REFUSAL_STATUSES, means_job_in_progress

_MAX_BODY = 500


def redact(text: str, *secrets: str | None) -> str:
    """Replace every non-empty secret in ``text`` by ``***`` (longest first, so none leaves a fragment).

    A very short secret garbles the message where its characters occur; that is the lesser evil.
    """
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def excerpt(body: str | None) -> str:
    """A one-line, bounded quote of a response body for error messages."""
    if body is None:
        return "<no body>"
    text = " ".join(str(body).split())
    if not text:
        return "<empty body>"
    return text if len(text) <= _MAX_BODY else text[:_MAX_BODY] + "…"


class HevoError(Exception):
    """Base of every error raised by the Hevo client.

    ``status`` is the HTTP status (None for transport errors), ``body`` the response text as Hevo sent it
    (secret redacted), ``method``/``url`` the request. ``retry_after`` is set when Hevo asked us to wait.
    """

    default_hint = "See the Hevo response above."

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        body: str | None = None,
        method: str | None = None,
        url: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.body = body
        self.method = method
        self.url = url
        self.retry_after = retry_after

    def __str__(self) -> str:
        return self.message

    def __reduce__(
        self,
    ) -> tuple[Any, ...]:  # keep pickling (multiprocessing, Airflow's log shipping) working with kw-only args
        return (_rebuild, (type(self), self.message, self.__dict__))


def _rebuild(cls: type[HevoError], message: str, state: dict[str, Any]) -> HevoError:
    err = cls.__new__(cls)
    Exception.__init__(err, message)
    err.__dict__.update(state)
    return err


class HevoBadRequest(HevoError):
    """400: Hevo refused the parameters or the pipeline's state (e.g. sync-now on a pipeline that is not INITIALIZED)."""

    default_hint = "Check the pipeline id and its state in the Hevo UI (sync-now needs an INITIALIZED pipeline) and the request parameters."


class HevoAuthError(HevoError):
    """401: the API key or secret is wrong or was revoked."""

    default_hint = "Check the API key (login) and API secret (password) of {where}; keys are made at https://<region>.hevodata.com/account/api-keys."


class HevoPermissionError(HevoError):
    """403: the key's user may not do this (member keys are refused; use an owner/admin key)."""

    default_hint = "The API key's user lacks permission: use a key made by a team owner or admin, and check {where}."


class HevoNotFound(HevoError):
    """404: unknown pipeline or job (or a wrong region: pipelines live in one region only)."""

    default_hint = "Check the pipeline/job id and that {where} points at the region where the pipeline lives."


class HevoRateLimited(HevoError):
    """429: over Hevo's budget of 100 requests per minute per API key."""

    default_hint = "Too many requests for this API key: lower the number of concurrent syncs, raise poll intervals, or ask Hevo support to raise the limit."


class HevoServerError(HevoError):
    """5xx: a fault on Hevo's side; usually transient."""

    default_hint = "Hevo had a server error; it is usually transient. Retry later, and check https://status.hevodata.com if it persists."


class HevoTransportError(HevoError):
    """No usable answer: connection refused/reset, timeout, or a body that is not the JSON we expect.

    ``kind`` is ``"connection"``, ``"timeout"`` or ``"malformed"``.
    """

    default_hint = (
        "Check network access to {host} (proxy, firewall, DNS) and the connection's host; transient faults are retried."
    )

    def __init__(self, message: str, *, kind: str = "connection", **kw: Any) -> None:
        super().__init__(message, **kw)
        self.kind = kind


class HevoJobInProgress(HevoError):
    """A job of the pipeline is already running, so no new sync was started. ``job`` is that job if known."""

    default_hint = (
        "Wait for the running job, cancel it in the Hevo UI, or set if_running: attach to wait for it instead."
    )

    def __init__(self, message: str, *, job: Any = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.job = job


class HevoPipelineNotReady(HevoError):
    """The pre-flight check found a pipeline that cannot sync (paused, deleted, failed...); nothing was started.

    ``pipeline_status`` is the status Hevo reported.
    """

    default_hint = "Resume or fix the pipeline in the Hevo UI, then run the sync again."

    def __init__(self, message: str, *, pipeline_status: str | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.pipeline_status = pipeline_status


class HevoJobNotFound(HevoError):
    """A sync was (probably) started but its job could not be found in the pipeline's jobs list."""

    default_hint = "Look at the pipeline's Jobs tab in the Hevo UI; raise the discovery attempts if jobs appear slowly."


_BY_STATUS: dict[int, type[HevoError]] = {
    400: HevoBadRequest,
    401: HevoAuthError,
    403: HevoPermissionError,
    404: HevoNotFound,
    429: HevoRateLimited,
}


def error_for_response(
    status: int,
    body: str | None,
    *,
    method: str,
    url: str,
    where: str,
    secrets: tuple[str | None, ...] = (),
    retry_after: float | None = None,
) -> HevoError:
    """Build the typed error for a non-2xx answer. ``where`` names the credentials (e.g. "connection 'hevo_default'")."""
    body = redact(body or "", *secrets) if body is not None else None
    if status in REFUSAL_STATUSES and means_job_in_progress(body):
        cls: type[HevoError] = HevoJobInProgress
    elif status in _BY_STATUS:
        cls = _BY_STATUS[status]
    elif status >= 500:
        cls = HevoServerError
    else:
        cls = HevoBadRequest
    host = url.split("/")[2] if url.count("/") >= 2 else url
    hint = cls.default_hint.format(where=where, host=host)
    wait = f" Hevo asked to wait {retry_after:g} s." if retry_after is not None else ""
    message = f"Hevo answered HTTP {status} to {method} {url}: {excerpt(body)}.{wait} {hint}"
    return cls(redact(message, *secrets), status=status, body=body, method=method, url=url, retry_after=retry_after)


def transport_error(
    kind: str, detail: str, *, method: str, url: str, secrets: tuple[str | None, ...] = ()
) -> HevoTransportError:
    """Build a :class:`HevoTransportError` for a request that got no usable answer."""
    host = url.split("/")[2] if url.count("/") >= 2 else url
    what = {"timeout": "timed out", "malformed": "got a malformed answer", "connection": "could not connect"}.get(
        kind, kind
    )
    message = f"Hevo request {method} {url} {what}: {detail}. " + HevoTransportError.default_hint.format(
        host=host, where=""
    )
    return HevoTransportError(redact(message, *secrets), kind=kind, method=method, url=url)


def is_transient(exc: BaseException) -> bool:
    """True for faults worth waiting out (connection, timeout, malformed answer, 429, 5xx).

    A "job is in progress" refusal and 4xx answers are not transient: repeating them changes nothing.
    """
    if isinstance(exc, (HevoTransportError, HevoRateLimited, HevoServerError)):
        return True
    if isinstance(exc, HevoError):
        return False
    return isinstance(exc, (ConnectionError, TimeoutError, asyncio.TimeoutError))
