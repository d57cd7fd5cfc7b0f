"""What the sync and the async client share: configuration, auth header, URL building, answer decoding.

Only the transport differs between :class:`~.client.EdgeClient` and :class:`~.aclient.AsyncEdgeClient`;
everything that decides what an answer means lives here so both read Hevo the same way.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from .budget import DEFAULT_RATE_PER_MINUTE, DEFAULT_WINDOW_S, Budget, BudgetScope, budget_for
from .errors import error_for_response, is_rate_limit_answer, transport_error
from .retry import DEFAULT_RETRY, RetryPolicy, parse_retry_after
from .start import DEFAULT_DISCOVERY, DiscoveryPolicy

USER_AGENT = "hevo-dagfactory"


class ClientConfig:
    """Settings and helpers common to both clients (not used directly)."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        api_secret: str,
        *,
        timeout: float = 30.0,
        rate_per_minute: int = DEFAULT_RATE_PER_MINUTE,
        headers: Mapping[str, str] | None = None,
        retry: RetryPolicy | None = None,
        discovery: DiscoveryPolicy | None = None,
        rate_window_s: float = DEFAULT_WINDOW_S,
        connection_id: str | None = None,
        rate_scope: BudgetScope | str | None = None,
        rate_store: str | None = None,
    ) -> None:
        if not base_url or "://" not in base_url:
            raise ValueError(
                f"base_url must look like 'https://eu.hevodata.com', got {base_url!r}; build it with hevo.base_url()."
            )
        if not api_key or not api_secret:
            raise ValueError(
                "Hevo API key and secret are both required"
                + (f"; set login and password of connection '{connection_id}'." if connection_id else ".")
            )
        self.base_url = base_url.rstrip("/")
        self.host = urlsplit(self.base_url).netloc
        self.api_key = api_key
        self._secret = api_secret
        self.timeout = float(timeout)
        self.retry = retry or DEFAULT_RETRY
        self.discovery = discovery or DEFAULT_DISCOVERY
        self.connection_id = connection_id
        self.budget: Budget = budget_for(
            self.base_url,
            api_key,
            rate_per_minute,
            rate_window_s,
            scope=rate_scope,
            store=rate_store,
            lease_s=self.timeout,
        )
        token = base64.b64encode(f"{api_key}:{api_secret}".encode()).decode("ascii")
        self._headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        self._headers.update({str(k): str(v) for k, v in (headers or {}).items() if str(k).lower() != "authorization"})
        self._headers["Authorization"] = f"Basic {token}"
        self._secrets = (api_secret, token)

    def __repr__(self) -> str:  # never the secret
        return f"{type(self).__name__}(base_url={self.base_url!r}, api_key={self.api_key[:4]!r}…)"

    @property
    def where(self) -> str:
        return f"connection '{self.connection_id}'" if self.connection_id else "the Hevo credentials in use"

    def url(self, path: str) -> str:
        return self.base_url + path

    def rate_limit_pause(self, status: int, text: str, retry_after_header: str | None) -> float | None:
        """None, or how long the budget pauses after a rate-limit refusal (a 429, or Hevo's text under any status).

        Hevo's wait if it sent one, else a twelfth of the window (5 s at 60 s); capped at
        ``RetryPolicy.max_retry_after``, like the retry wait itself: a ``Retry-After: 86400`` must not
        silence every client of the user for a day. The budget applies it for every process sharing it.
        """
        if not is_rate_limit_answer(status, text):
            return None
        retry_after = parse_retry_after(retry_after_header)
        wait = retry_after if retry_after is not None else self.budget.window_s / 12.0
        return min(wait, self.retry.max_retry_after)

    def decode(self, status: int, text: str, retry_after_header: str | None, *, method: str, url: str) -> Any:
        """Turn one HTTP answer into JSON data or raise the typed error."""
        if 200 <= status < 300:
            if not text.strip():
                return {}
            try:
                return json.loads(text)
            except ValueError:
                raise transport_error(
                    "malformed",
                    f"HTTP {status} with a body that is not JSON: {text[:200]!r}",
                    method=method,
                    url=url,
                    secrets=self._secrets,
                ) from None
        retry_after = parse_retry_after(retry_after_header)
        raise error_for_response(
            status, text, method=method, url=url, where=self.where, secrets=self._secrets, retry_after=retry_after
        )

    def parse(self, call: Any, data: Any, *, url: str) -> Any:
        try:
            return call.parse(data)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise transport_error(
                "malformed", f"unexpected answer shape ({exc})", method=call.method, url=url, secrets=self._secrets
            ) from None
