"""Hevo regions and how a region or host becomes the base URL of the Edge API.

Hevo serves each region from its own host (``https://{region}.hevodata.com``). Users give us either a
region name, a bare host (``eu.hevodata.com``, ``127.0.0.1``), a ``host:port`` or a full URL (the
Airflow connection form invites all of these). We keep an explicit port: Hevo's own provider builds
``schema://host`` and silently drops it, which breaks proxies and local simulators.
"""

from __future__ import annotations

from urllib.parse import urlsplit

#: Region name -> host. ``apac`` is an old alias of ``asia`` seen in third-party clients.
REGIONS: dict[str, str] = {
    "asia": "asia.hevodata.com",
    "au": "au.hevodata.com",
    "eu": "eu.hevodata.com",
    "in": "in.hevodata.com",
    "us": "us.hevodata.com",
    "us2": "us2.hevodata.com",
}
_ALIASES = {"apac": "asia"}


def base_url(
    region: str | None = None, host: str | None = None, scheme: str = "https", port: int | str | None = None
) -> str:
    """Return ``scheme://host[:port]`` (no trailing slash, no path) for a region or an explicit host.

    ``host`` wins over ``region``. A host given as a full URL keeps its own scheme and port unless
    ``port`` is passed explicitly. Raises ``ValueError`` with the accepted values when neither is usable.
    """
    scheme = (scheme or "https").strip().lower().rstrip(":/") or "https"
    if scheme not in ("http", "https"):
        raise ValueError(
            f"Hevo URL scheme must be 'http' or 'https', got {scheme!r}; fix the connection's schema field."
        )
    if host is not None and str(host).strip():
        raw = str(host).strip()
        if "://" in raw:
            parts = urlsplit(raw)
            scheme = (parts.scheme or scheme).lower()
            hostname, url_port = parts.hostname, parts.port
        else:
            parts = urlsplit("//" + raw)
            hostname, url_port = parts.hostname, parts.port
        if not hostname:
            raise ValueError(
                f"cannot read a host name from {raw!r}; give e.g. 'eu.hevodata.com' or 'http://127.0.0.1:8080'."
            )
        chosen_port = _port(port) if port not in (None, "") else url_port
        if ":" in hostname:  # IPv6 literal
            hostname = f"[{hostname}]"
        return f"{scheme}://{hostname}" + (f":{chosen_port}" if chosen_port else "")
    if region is None or not str(region).strip():
        raise ValueError(
            "no Hevo region or host given; set the connection's host (e.g. 'us.hevodata.com') "
            f"or a region, one of: {', '.join(sorted(REGIONS))}."
        )
    key = str(region).strip().lower()
    key = _ALIASES.get(key, key)
    if key not in REGIONS:
        raise ValueError(
            f"unknown Hevo region {region!r}; use one of: {', '.join(sorted(REGIONS))}, or give an explicit host."
        )
    chosen_port = _port(port) if port not in (None, "") else None
    return f"{scheme}://{REGIONS[key]}" + (f":{chosen_port}" if chosen_port else "")


def _port(port: int | str) -> int:
    try:
        value = int(port)
    except (TypeError, ValueError):
        raise ValueError(f"Hevo port must be a number, got {port!r}.") from None
    if not 0 < value < 65536:
        raise ValueError(f"Hevo port must be between 1 and 65535, got {value}.")
    return value
