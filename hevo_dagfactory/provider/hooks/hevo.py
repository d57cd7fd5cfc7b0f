"""HevoHook: an Airflow connection → a Hevo Edge API client.

Why a hook at all: credentials live in Airflow connections (secrets backends, masking), and
Airflow's UI builds the connection form from the hook's connection type. The hook accepts
both the seed guide's HTTP connection (host = region host, schema https, login = API key,
password = API secret, extra ``{"headers": {...}}``) and our own ``hevo`` type (extra
``region``, optional host), so existing set-ups keep working.

There are two lookups: ``settings()`` for workers (sync) and ``asettings()`` for the
triggerer, which never performs a sync DB/API call on the event loop.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from hevo_dagfactory.hevo import HevoError
from hevo_dagfactory.hevo.connection import connection_base_url, region_of
from hevo_dagfactory.hevo.regions import REGION_HELP
from hevo_dagfactory.provider.compat import (
    AirflowException,
    AirflowNotFoundException,
    BaseHook,
    aget_connection,
    aget_extra_dejson,
)

if TYPE_CHECKING:
    # The clients import requests / aiohttp / tenacity; every DAG-parse process imports this
    # module (through the operator), but only a running task needs a client, so the methods
    # below import them when they build one.
    from hevo_dagfactory.hevo import AsyncEdgeClient, DiscoveryPolicy, EdgeClient

DEFAULT_CONN_ID = "hevo_airflow_conn_id"


class HevoConnectionError(AirflowException):
    """The Airflow connection for Hevo is missing or incomplete; the message says how to fix it."""


def how_to_create(conn_id: str) -> str:
    """The command a user runs to create a working connection (no real secret in it)."""
    return (
        f"Create it with: airflow connections add {conn_id} --conn-type hevo "
        '--conn-login <API key> --conn-password <API secret> --conn-extra \'{"region": "us"}\' '
        f"(or set AIRFLOW_CONN_{conn_id.upper()} to the JSON form). "
        "API keys are made in Hevo under Account > API Keys (https://<region>.hevodata.com/account/api-keys)."
    )


@dataclass(frozen=True)
class HevoConnSettings:
    """Everything a client needs, resolved from one connection. ``repr`` never shows the secret."""

    base_url: str
    api_key: str
    api_secret: str = field(repr=False)
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def ui_base(self) -> str:
        """Scheme, host and port of the Hevo UI (the API base without any path)."""
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}"


def job_url(ui_base: str, pipeline_id: Any, job_id: Any) -> str:
    """Link to a job in the Hevo UI: ``<ui_base>/pipelines/<pipeline_id>/jobs/<job_id>``.

    Hevo documents no UI route for Edge jobs, so this is our best guess at the job's own page
    (the pipeline's page followed by the job); if Hevo routes it elsewhere, the pipeline part
    of the link still leads the user to the pipeline.
    """
    return f"{ui_base}/pipelines/{pipeline_id}/jobs/{job_id}"


def settings_from_connection(
    conn: Any, extra: dict[str, Any], *, conn_id: str, region: str | None = None
) -> HevoConnSettings:
    """Resolve a connection (HTTP or ``hevo`` type) into client settings.

    Precedence: the connection's host (with its schema and PORT) wins; otherwise the region
    from the connection's extra; otherwise the operator's ``region``. Raises
    ``HevoConnectionError`` with the fix when the key, the secret or a location is missing.
    """
    login = (conn.login or "").strip()
    password = conn.password or ""
    missing = [name for name, value in (("login (API key)", login), ("password (API secret)", password)) if not value]
    if missing:
        raise HevoConnectionError(
            f"Airflow connection '{conn_id}' has no {' and no '.join(missing)}. {how_to_create(conn_id)}"
        )
    headers = extra.get("headers") or {}
    if not isinstance(headers, dict):
        raise HevoConnectionError(
            f"Airflow connection '{conn_id}': extra 'headers' must be a JSON object, e.g. "
            '{"headers": {"X-Team": "data"}}.'
        )
    try:
        url = connection_base_url(conn.host, conn.schema, conn.port, region_of(extra, region))
    except ValueError as exc:
        raise HevoConnectionError(f"Airflow connection '{conn_id}': {exc}") from None
    if url is None:
        raise HevoConnectionError(
            f"Airflow connection '{conn_id}' has neither a host (e.g. eu.hevodata.com) nor a region. "
            f"Set one of them, or pass region= to the operator. {how_to_create(conn_id)}"
        )
    return HevoConnSettings(
        base_url=url, api_key=login, api_secret=password, headers={str(k): str(v) for k, v in headers.items()}
    )


def _parse_extra(conn: Any) -> dict[str, Any]:
    """Sync extra parsing for workers (``extra_dejson`` masks secrets; fine off the loop)."""
    extra = conn.extra_dejson
    return extra if isinstance(extra, dict) else {}


class HevoHook(BaseHook):
    """Builds Hevo Edge API clients from an Airflow connection.

    :param connection_id: Airflow connection id (default ``hevo_airflow_conn_id``).
    :param region: Hevo region used when the connection has no host and no region.
    :param timeout: per-request timeout in seconds.
    :param rate_per_minute: this process's share of the 100 requests/minute API budget.
    """

    conn_name_attr = "connection_id"
    default_conn_name = DEFAULT_CONN_ID
    conn_type = "hevo"
    hook_name = "Hevo Data"

    def __init__(
        self,
        connection_id: str = DEFAULT_CONN_ID,
        region: str | None = None,
        *,
        timeout: float = 30,
        rate_per_minute: int = 100,
    ) -> None:
        super().__init__()
        self.connection_id = connection_id
        self.region = region
        self.timeout = timeout
        self.rate_per_minute = rate_per_minute

    # --- lookups ------------------------------------------------------------------------
    def settings(self) -> HevoConnSettings:
        """Sync lookup, for workers only (never call from a trigger)."""
        try:
            conn = self.get_connection(self.connection_id)
        except AirflowNotFoundException:
            raise HevoConnectionError(
                f"Airflow connection '{self.connection_id}' does not exist. {how_to_create(self.connection_id)}"
            ) from None
        return settings_from_connection(conn, _parse_extra(conn), conn_id=self.connection_id, region=self.region)

    async def asettings(self) -> HevoConnSettings:
        """Async lookup for the triggerer: no sync DB or API call on the event loop."""
        try:
            conn = await aget_connection(self.connection_id)
        except AirflowNotFoundException:
            raise HevoConnectionError(
                f"Airflow connection '{self.connection_id}' does not exist. {how_to_create(self.connection_id)}"
            ) from None
        extra = await aget_extra_dejson(conn)
        return settings_from_connection(
            conn, extra if isinstance(extra, dict) else {}, conn_id=self.connection_id, region=self.region
        )

    # --- clients ------------------------------------------------------------------------
    def client_for(self, settings: HevoConnSettings, *, discovery: DiscoveryPolicy | None = None) -> EdgeClient:
        """A sync client (requests) for already-resolved settings."""
        from hevo_dagfactory.hevo.client import EdgeClient

        return EdgeClient(
            settings.base_url,
            settings.api_key,
            settings.api_secret,
            timeout=self.timeout,
            rate_per_minute=self.rate_per_minute,
            headers=settings.headers or None,
            discovery=discovery,
            connection_id=self.connection_id,
        )

    def get_conn(self) -> EdgeClient:
        """A sync client (requests) for workers."""
        return self.client_for(self.settings())

    async def aget_conn(self) -> AsyncEdgeClient:
        """An async client (aiohttp) for triggers; use it as ``async with await hook.aget_conn() as c``."""
        from hevo_dagfactory.hevo.aclient import AsyncEdgeClient

        s = await self.asettings()
        return AsyncEdgeClient(
            s.base_url,
            s.api_key,
            s.api_secret,
            timeout=self.timeout,
            rate_per_minute=self.rate_per_minute,
            headers=s.headers or None,
            connection_id=self.connection_id,
        )

    def test_connection(self) -> tuple[bool, str]:
        """Cheap GET to prove host and credentials work (Airflow UI "Test" button).

        Asks for a pipeline id that cannot exist: 404 proves the key was accepted, 401/403
        prove it was not. Nothing is started or changed.
        """
        try:
            client = self.get_conn()
        except HevoConnectionError as exc:
            return False, str(exc)
        try:
            client.get_pipeline(0)
        except HevoError as exc:
            if getattr(exc, "status", None) == 404:
                return True, "Connection works: Hevo accepted the API key."
            return False, f"Hevo answered {getattr(exc, 'status', None) or 'no HTTP status'}: {exc}"
        finally:
            close = getattr(client, "close", None)
            if callable(close):
                close()
        return True, "Connection works: Hevo accepted the API key."

    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        """The Region field of the connection form on Airflow 2.x.

        Airflow >= 3.2 reads ``conn-fields`` from ``get_provider_info()`` and never calls this
        (it would warn); 2.x builds its Flask form only from this method. Imports are lazy:
        wtforms and Flask-AppBuilder exist only where the 2.x webserver does.
        """
        from flask_appbuilder.fieldwidgets import BS3TextFieldWidget
        from flask_babel import lazy_gettext
        from wtforms import StringField

        return {
            "region": StringField(
                lazy_gettext("Region"),
                widget=BS3TextFieldWidget(),
                description=REGION_HELP,
            ),
        }

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """Form layout for Airflow 2.x, which does not read it from provider info."""
        return {
            "hidden_fields": ["schema"],
            "relabeling": {"login": "API Key", "password": "API Secret", "host": "Host (optional)"},
            "placeholders": {"extra": json.dumps({"region": "us"})},
        }
