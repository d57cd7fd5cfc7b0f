"""Where an Airflow-style connection's fields point: host, schema, port and the ``region`` extra → base URL.

Shared by the provider's hook (which has Airflow's ``Connection``) and ``validate --online`` (which
reads ``AIRFLOW_CONN_<ID>`` itself, without importing Airflow), so both resolve a connection alike.
Precedence: the connection's host (with its schema and port) wins; otherwise the ``region`` extra
(``extra__hevo__region`` is the older form-field spelling); otherwise the caller's fallback region.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .regions import base_url

#: Extra keys that may hold the region (the form field of older Airflow versions is prefixed).
REGION_EXTRAS = ("region", "extra__hevo__region")


def region_of(extra: Mapping[str, Any], fallback: str | None = None) -> str | None:
    """The region a connection's extra names, else ``fallback``."""
    for key in REGION_EXTRAS:
        value = extra.get(key)
        if value not in (None, ""):
            return str(value)
    return fallback


def connection_base_url(host: str | None, schema: str | None, port: Any, region: str | None) -> str | None:
    """The API base URL, or None when the connection has neither a host nor a region.

    Raises ``ValueError`` (with what is accepted) for an unusable host, port or region. A schema other
    than http/https (the seed guide leaves it empty or sets ``https``) means https.
    """
    host = (host or "").strip()
    scheme = (schema or "").strip().lower()
    if not host and not region:
        return None
    return base_url(
        region=str(region) if region else None,
        host=host or None,
        scheme=scheme if scheme in ("http", "https") else "https",
        port=port,
    )
