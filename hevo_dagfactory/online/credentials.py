"""Which Hevo credentials a workflow's ``hevo.connection_id`` means, without importing Airflow.

In order: the Airflow connection in ``AIRFLOW_CONN_<ID>`` (the id upper-cased, as Airflow reads it),
in Airflow's JSON form or its URI form, of our ``hevo`` type or the seed guide's HTTP type; else
``HEVO_API_KEY`` + ``HEVO_API_SECRET`` with ``HEVO_REGION`` (or ``HEVO_HOST``, a full URL such as
``http://127.0.0.1:8089``, e.g. for the local simulator), falling back to the workflow's
``hevo.region``. A connection in Airflow's metadata database or a secrets backend is not visible
here: export it as ``AIRFLOW_CONN_<ID>`` or use the ``HEVO_*`` variables. No message quotes a
variable's value: it holds the API secret.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from hevo_dagfactory.hevo.connection import connection_base_url, region_of

CONN_PREFIX = "AIRFLOW_CONN_"
ENV_KEY, ENV_SECRET, ENV_REGION, ENV_HOST = "HEVO_API_KEY", "HEVO_API_SECRET", "HEVO_REGION", "HEVO_HOST"


class CredentialsError(Exception):
    """No usable credentials for a connection; the message says which variable to set (never its value)."""


@dataclass(frozen=True)
class Credentials:
    """What a client needs; ``source`` says where it came from (for messages). ``repr`` hides the secret."""

    base_url: str
    api_key: str
    api_secret: str = field(repr=False)
    headers: dict[str, str] = field(default_factory=dict)
    source: str = ""


def conn_variable(conn_id: str) -> str:
    return CONN_PREFIX + conn_id.upper()


def _fields_from_json(text: str, variable: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError:
        raise CredentialsError(f"{variable} is not valid JSON; give Airflow's JSON or URI form.") from None
    if not isinstance(data, dict):
        raise CredentialsError(f"{variable} must be a JSON object (Airflow's connection JSON form).")
    extra = data.get("extra") or {}
    if isinstance(extra, str):
        try:
            extra = json.loads(extra) if extra.strip() else {}
        except ValueError:
            raise CredentialsError(f"the extra of {variable} is not valid JSON.") from None
    data["extra"] = extra if isinstance(extra, dict) else {}
    return data


def _fields_from_uri(text: str, variable: str) -> dict[str, Any]:
    """Airflow's URI form, read as Airflow reads it: ``conn-type://login:password@host:port/schema?key=value``
    (a query value that is JSON is decoded; ``__extra__=<json>`` is the whole extra; a host may carry its
    own protocol: ``conn-type://https://login:password@host``)."""
    conn_type, _, rest = text.partition("://")
    protocol = ""
    if "://" in rest:  # a host with its own protocol
        protocol, _, rest = rest.partition("://")
        if "@" in protocol or ":" in protocol or "://" in rest:
            raise CredentialsError(f"{variable} is not a valid connection URI.")
    try:
        parts = urlsplit("//" + rest)
        port = parts.port
    except ValueError:
        raise CredentialsError(f"{variable} is not a valid connection URI.") from None
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    if "__extra__" in query:
        try:
            extra: Any = json.loads(query["__extra__"])
        except ValueError:
            raise CredentialsError(f"the __extra__ of {variable} is not valid JSON.") from None
    else:
        extra = {key: _maybe_json(value) for key, value in query.items()}
    host = unquote(parts.hostname or "")
    return {
        "conn_type": conn_type.replace("-", "_"),
        "host": f"{protocol}://{host}" if protocol and host else host,
        "port": port,
        "schema": unquote(parts.path[1:]) if parts.path else "",
        "login": unquote(parts.username or ""),
        "password": unquote(parts.password or ""),
        "extra": extra if isinstance(extra, dict) else {},
    }


def _maybe_json(value: str) -> Any:
    try:
        return json.loads(value) if value else value
    except ValueError:
        return value


def from_connection(conn_id: str, value: str, region: str | None) -> Credentials:
    """Credentials from the text of ``AIRFLOW_CONN_<ID>`` (JSON or URI)."""
    variable = conn_variable(conn_id)
    text = value.strip()
    fields = _fields_from_json(text, variable) if text.startswith("{") else _fields_from_uri(text, variable)
    login, password = str(fields.get("login") or "").strip(), str(fields.get("password") or "")
    if not login or not password:
        raise CredentialsError(
            f"{variable} (connection '{conn_id}') has no {'login (API key)' if not login else 'password (API secret)'}."
        )
    extra = fields["extra"]
    try:
        url = connection_base_url(
            fields.get("host"), fields.get("schema"), fields.get("port"), region_of(extra, region)
        )
    except ValueError as exc:
        raise CredentialsError(f"{variable} (connection '{conn_id}'): {exc}") from None
    if url is None:
        raise CredentialsError(f"{variable} (connection '{conn_id}') has neither a host nor a region.")
    headers = extra.get("headers") if isinstance(extra.get("headers"), dict) else {}
    return Credentials(url, login, password, {str(k): str(v) for k, v in headers.items()}, f"${variable}")


def from_hevo_variables(env: Mapping[str, str], region: str | None) -> Credentials | None:
    """Credentials from ``HEVO_API_KEY``/``HEVO_API_SECRET`` (+ ``HEVO_REGION`` or ``HEVO_HOST``); None if unset."""
    key, secret = env.get(ENV_KEY, "").strip(), env.get(ENV_SECRET, "")
    if not key and not secret:
        return None
    if not key or not secret:
        raise CredentialsError(f"set both {ENV_KEY} and {ENV_SECRET} (only {ENV_KEY if key else ENV_SECRET} is set).")
    host = env.get(ENV_HOST, "").strip() or None
    try:
        url = connection_base_url(host, None, None, env.get(ENV_REGION, "").strip() or region)
    except ValueError as exc:
        raise CredentialsError(f"{ENV_HOST if host else ENV_REGION}: {exc}") from None
    assert url is not None  # a region always comes from the workflow at least
    return Credentials(url, key, secret, {}, f"${ENV_KEY}")


def credentials_for(conn_id: str, region: str, env: Mapping[str, str]) -> Credentials:
    """The credentials the workflow's connection means (see the module docstring)."""
    value = env.get(conn_variable(conn_id))
    if value and value.strip():
        return from_connection(conn_id, value, region)
    found = from_hevo_variables(env, region)
    if found is None:
        raise CredentialsError(
            f"no Hevo credentials for connection '{conn_id}': set {conn_variable(conn_id)} to the connection "
            f"(Airflow's JSON or URI form, as the DAGs use it), or set {ENV_KEY} and {ENV_SECRET} "
            f"(and {ENV_REGION}). A connection kept in Airflow's database is not visible to this command."
        )
    return found
