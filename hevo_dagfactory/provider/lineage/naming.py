"""OpenLineage dataset names for the tables a Hevo pipeline reads and loads, and their Airflow Asset URIs.

OpenLineage names a dataset by a *namespace* (the system: ``scheme://authority``) and a *name* inside it
(OpenLineage's "Dataset Naming" spec). Hevo tells us the system's type and, leniently, where it is (the
pipeline's source and destination, ``hevo/connectors.py``), and each object's table as ``database.schema.
table`` (``hevo/objects.py``). :data:`KINDS` maps Hevo's type words onto the spec's kinds.

**Fallback.** A type the spec has no entry for (Salesforce, HubSpot and the other SaaS sources, MongoDB...),
or a known type whose location Hevo did not send (a Snowflake destination without its account), is named
under Hevo itself: ``hevo://<region>/pipelines/<pipeline_id>/source`` for a source,
``hevo://<region>/destinations/<destination_id>`` for a destination (``.../pipelines/<id>/destination``
when Hevo gives no destination id), with the object's ``database.schema.table`` (the parts Hevo gave) as name.
The pipeline Asset (``hevo://<region>/pipelines/<id>``) is thus a prefix of its fallback sources.

**Asset URIs** (docs/lineage.md): the namespace followed by the name's parts as path segments, each
percent-encoded (``snowflake://acme-prod/ANALYTICS/HEVO_RAW/ORDERS``, ``bigquery://project/dataset/table``,
``s3://bucket/key``). This is the AIP-60 form that Airflow's own providers use for these schemes (their URI
handlers reject the dotted OpenLineage form), and the OpenLineage provider turns such an Asset back into the
same dataset as our events name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:
    from hevo_dagfactory.hevo.connectors import Connector
    from hevo_dagfactory.hevo.objects import Namespace

HEVO_SCHEME = "hevo"


@dataclass(frozen=True)
class Kind:
    """How the spec names one kind of system: scheme, what makes its authority, how a table is named."""

    scheme: str
    words: tuple[str, ...]  # Hevo type words (``_``-separated tokens) that mean this kind
    authority: str  # host_port | redshift | snowflake | databricks | bucket | none
    parts: int  # 3 = database.schema.table, 2 = database.table, 0 = a path inside the authority
    port: int | None = None


#: Hevo type tokens -> OpenLineage kind (a data table). ``AMAZON_RDS_POSTGRES``, ``AURORA_MYSQL`` and the
#: like match through their tokens; the first kind with a matching token wins.
KINDS: tuple[Kind, ...] = (
    Kind("redshift", ("REDSHIFT",), "redshift", 3, 5439),
    Kind("snowflake", ("SNOWFLAKE",), "snowflake", 3),
    Kind("bigquery", ("BIGQUERY", "BQ"), "none", 3),
    Kind("databricks", ("DATABRICKS",), "databricks", 3),
    Kind("postgres", ("POSTGRES", "POSTGRESQL", "PG"), "host_port", 3, 5432),
    Kind("mysql", ("MYSQL", "MARIADB"), "host_port", 2, 3306),
    Kind("sqlserver", ("SQLSERVER", "MSSQL", "SQL_SERVER", "AZURE_SQL", "SYNAPSE"), "host_port", 3, 1433),
    Kind("oracle", ("ORACLE",), "host_port", 3, 1521),
    Kind("s3", ("S3",), "bucket", 0),
    Kind("gs", ("GCS", "GOOGLE_CLOUD_STORAGE"), "bucket", 0),
)


def kind_of(hevo_type: str | None) -> Kind | None:
    """The spec's kind for a Hevo type word, or None (then the fallback namespace applies)."""
    if not hevo_type:
        return None
    word = hevo_type.strip().upper().replace("-", "_").replace(" ", "_")
    tokens = set(word.split("_"))
    for kind in KINDS:
        if any(w in tokens or ("_" in w and w in word) for w in kind.words):
            return kind
    return None


def _host_port(connector: Connector, kind: Kind) -> str | None:
    host = connector.location.get("host")
    if not host:
        return None
    host = host.split("://", 1)[-1].strip("/").lower()
    port = connector.location.get("port") or (str(kind.port) if kind.port else None)
    return f"{host}:{port}" if port and ":" not in host else host


def _redshift(connector: Connector, kind: Kind) -> str | None:
    """``{cluster_identifier}.{region}:{port}`` from ``cluster.xxxx.region.redshift.amazonaws.com``."""
    host = (connector.location.get("host") or "").lower()
    labels = host.split(".")
    port = connector.location.get("port") or str(kind.port)
    if len(labels) >= 4 and labels[3] == "redshift":
        return f"{labels[0]}.{labels[2]}:{port}"
    return _host_port(connector, kind)


def _snowflake(connector: Connector, kind: Kind) -> str | None:
    """The account identifier (``org-account``, or a locator with its region), as Hevo gives it, lower case."""
    account = connector.location.get("account")
    if not account:
        host = (connector.location.get("host") or "").lower().split("://", 1)[-1]
        account = host.removesuffix(".snowflakecomputing.com") if host.endswith(".snowflakecomputing.com") else None
    return account.lower() if account else None


def _databricks(connector: Connector, kind: Kind) -> str | None:
    host = connector.location.get("host")
    return host.split("://", 1)[-1].strip("/").lower() if host else None


def _bucket(connector: Connector, kind: Kind) -> str | None:
    return connector.location.get("bucket")


_AUTHORITY = {
    "host_port": _host_port,
    "redshift": _redshift,
    "snowflake": _snowflake,
    "databricks": _databricks,
    "bucket": _bucket,
}


def namespace(connector: Connector | None, fallback: str) -> tuple[str, Kind | None]:
    """The dataset namespace of one end, and its kind (None when the fallback namespace is used)."""
    kind = kind_of(connector.type) if connector else None
    if kind is None or connector is None:
        return fallback, None
    if kind.authority == "none":
        return kind.scheme, kind
    authority = _AUTHORITY[kind.authority](connector, kind)
    return (f"{kind.scheme}://{authority}", kind) if authority else (fallback, None)


def name_parts(table: Namespace, connector: Connector | None, kind: Kind | None) -> list[str]:
    """The parts of a dataset's name, outermost first (``[database, schema, table]`` for most warehouses)."""
    location = connector.location if connector else {}
    database = table.database or location.get("database") or location.get("project") or location.get("catalog")
    if kind is None:
        return [p for p in (table.database, table.schema, table.table) if p]
    if kind.parts == 0:  # a path under the bucket (and the configured prefix)
        prefix = (location.get("prefix") or "").strip("/")
        path = "/".join(p for p in (table.schema, table.table) if p)
        return [f"{prefix}/{path}" if prefix else path]
    if kind.parts == 2:  # MySQL: the schema is the database
        return [p for p in (table.database or table.schema or database, table.table) if p]
    return [p for p in (database, table.schema or location.get("schema") or location.get("dataset"), table.table) if p]


def asset_uri(namespace_: str, parts: list[str]) -> str:
    """The Airflow Asset URI of a dataset (module docstring): namespace, then the name's parts as a path."""
    path_like = namespace_.startswith(("s3://", "gs://"))
    path = "/".join(quote(p, safe="/" if path_like else "") for p in parts)
    if "://" not in namespace_:  # bigquery: a namespace without an authority
        return f"{namespace_}://{path}"
    return f"{namespace_.rstrip('/')}/{path}"


def fallback_namespace(authority: str, pipeline_id: object, end: str, connector: Connector | None) -> str:
    """``hevo://<region>/pipelines/<id>/source``, ``hevo://<region>/destinations/<id>`` (module docstring)."""
    if end == "destination" and connector is not None and connector.id:
        return f"{HEVO_SCHEME}://{authority}/destinations/{quote(connector.id, safe='')}"
    return f"{HEVO_SCHEME}://{authority}/pipelines/{pipeline_id}/{end}"


def hevo_authority(region: str | None, ui_base: str) -> str:
    """The ``<region>`` of ``hevo://`` names: the configured region, else the sign-in host's subdomain."""
    if region:
        return str(region).strip().lower()
    host = ui_base.split("://", 1)[-1].split("/", 1)[0].lower()
    return host.removesuffix(".hevodata.com") if host.endswith(".hevodata.com") else host
