"""Hevo regions and how a region or host becomes the base URL of the Edge API.

Hevo serves each region from its own host (``https://{region}.hevodata.com``). Users give us either a
region name, a bare host (``eu.hevodata.com``, ``127.0.0.1``), a ``host:port`` or a full URL (the
Airflow connection form invites all of these). We keep an explicit port: Hevo's own provider builds
``schema://host`` and silently drops it, which breaks proxies and local simulators.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

#: Region name -> host: the subdomain a user signs in at. Six from Hevo's docs and clients, ``eu2`` and
#: ``us-gcp`` from Hevo's MCP server reference (hevo-api.md §1, §7). ``apac`` is an old alias of ``asia``.
REGIONS: dict[str, str] = {
    "asia": "asia.hevodata.com",
    "au": "au.hevodata.com",
    "eu": "eu.hevodata.com",
    "eu2": "eu2.hevodata.com",
    "in": "in.hevodata.com",
    "us": "us.hevodata.com",
    "us2": "us2.hevodata.com",
    "us-gcp": "us-gcp.hevodata.com",
}
ALIASES = {"apac": "asia"}
HEVO_DOMAIN = "hevodata.com"
#: The known regions as a sentence, for forms and messages.
REGION_HELP = (
    "Hevo region of your account, the subdomain you sign in at: "
    + ", ".join(sorted(REGIONS))
    + f". Another region is used as <region>.{HEVO_DOMAIN} (with a warning)."
)
#: One DNS label: letters, digits and inner hyphens, at most 63 characters.
_HOST_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_warned: set[str] = set()


def region_host(region: str) -> str:
    """The host of a region: a known one (or alias), else ``<region>.hevodata.com`` with a warning.

    Hevo adds regions from time to time and a region is just the subdomain a user signs in at, so an
    unknown name that is a valid host label is used, not refused. Raises ``ValueError`` for a name
    that cannot be a subdomain.
    """
    key = str(region).strip().lower()
    key = ALIASES.get(key, key)
    if key in REGIONS:
        return REGIONS[key]
    if not _HOST_LABEL.match(key):
        raise ValueError(
            f"Hevo region {region!r} cannot be a subdomain of {HEVO_DOMAIN}; use one of: "
            f"{', '.join(sorted(REGIONS))}, or give an explicit host."
        )
    if key not in _warned:
        _warned.add(key)
        log.warning(
            "Hevo region %r is not one we know (%s); using https://%s.%s, the subdomain you would sign in at. "
            "If that is wrong, set the connection's host instead.",
            region,
            ", ".join(sorted(REGIONS)),
            key,
            HEVO_DOMAIN,
        )
    return f"{key}.{HEVO_DOMAIN}"


def base_url(
    region: str | None = None, host: str | None = None, scheme: str = "https", port: int | str | None = None
) -> str:
    """Return ``scheme://host[:port]`` (no trailing slash, no path) for a region or an explicit host.

    ``host`` wins over ``region``. A host given as a full URL keeps its own scheme and port unless
    ``port`` is passed explicitly. An unknown region becomes ``<region>.hevodata.com`` with a warning
    (:func:`region_host`). Raises ``ValueError`` with the accepted values when neither is usable.
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
    host = region_host(region)
    chosen_port = _port(port) if port not in (None, "") else None
    return f"{scheme}://{host}" + (f":{chosen_port}" if chosen_port else "")


def _port(port: int | str) -> int:
    try:
        value = int(port)
    except (TypeError, ValueError):
        raise ValueError(f"Hevo port must be a number, got {port!r}.") from None
    if not 0 < value < 65536:
        raise ValueError(f"Hevo port must be between 1 and 65535, got {value}.")
    return value
