"""The simulated pipelines' sources and destinations: types, configs and where their tables live.

``GET /api/v1/pipelines/{id}`` answers ``source{name, connector_id, source_type, config}`` and
``destination{id, name, connector_id, destination_type, status}`` (hevo-api.md §2, MED). Neither config is
documented; the simulator sends a plausible one per type (connection fields without the password, as
Hevo's UI shows them), and a destination config too, which the reference does not list: a client must work
with and without it (a script can set ``destination_config`` to ``{}`` to drop it). Objects name their
tables as ``{k0 table, k1 schema, k2 database}``, filled per type the way each system names a table: no
schema in MySQL, no database or schema for a SaaS object, project and dataset for BigQuery.

Shares no code with ``hevo/`` (the client's reading of these shapes must not be copied into the simulator).
"""

from __future__ import annotations

from typing import Any

#: source type -> (default config, whether its objects have a database, a schema)
SOURCES: dict[str, tuple[dict[str, Any], bool, bool]] = {
    "POSTGRES": ({"host": "shop-db.internal", "port": 5432, "database_name": "shop", "user": "hevo"}, True, True),
    "MYSQL": ({"host": "crm-db.internal", "port": 3306, "database_name": "crm", "user": "hevo"}, True, False),
    "SQL_SERVER": ({"host": "erp-db.internal", "port": 1433, "database_name": "erp", "user": "hevo"}, True, True),
    "ORACLE": ({"host": "ora.internal", "port": 1521, "service_name": "ORCL", "user": "hevo"}, True, True),
    "SALESFORCE": ({"environment": "PRODUCTION", "instance_url": "https://acme.my.salesforce.com"}, False, False),
    "HUBSPOT": ({"portal_id": "4411"}, False, False),
    "S3": ({"bucket": "acme-landing", "region": "eu-west-1", "prefix": "exports/", "file_format": "CSV"}, False, False),
    "MONGODB": ({"host": "events.mongo.internal", "port": 27017, "database_name": "events"}, True, False),
}
#: destination type -> (default config, what it calls the database: k2 of a destination object)
DESTINATIONS: dict[str, tuple[dict[str, Any], str]] = {
    "SNOWFLAKE": ({"account_name": "acme-prod", "warehouse": "LOADING", "database_name": "ANALYTICS"}, "ANALYTICS"),
    "BIGQUERY": ({"project_id": "acme-analytics", "dataset_location": "EU"}, "acme-analytics"),
    "REDSHIFT": (
        {"host": "warehouse.c1a2b3.eu-west-1.redshift.amazonaws.com", "port": 5439, "database_name": "analytics"},
        "analytics",
    ),
    "DATABRICKS": ({"server_hostname": "adb-1234.5.azuredatabricks.net", "catalog": "main"}, "main"),
    "POSTGRES": ({"host": "dwh.internal", "port": 5432, "database_name": "dwh"}, "dwh"),
}


def _known(kind: str, table: dict[str, Any], what: str) -> None:
    if kind not in table:
        raise ValueError(f"{what} must be one of {', '.join(sorted(table))}, got {kind!r}")


def check_types(source_type: str, destination_type: str) -> None:
    """Refuse a type the simulator cannot describe (a script error, named with the valid ones)."""
    _known(source_type, SOURCES, "source_type")
    _known(destination_type, DESTINATIONS, "destination_type")


def source_to_api(pipeline_id: str, source_type: str, config: dict[str, Any] | None) -> dict[str, Any]:
    default, _, _ = SOURCES[source_type]
    return {
        "name": f"{source_type.title().replace('_', ' ')} source of pipeline {pipeline_id}",
        "connector_id": source_type.lower(),
        "source_type": source_type,
        "config": dict(default if config is None else config),
    }


def destination_to_api(destination_id: int, destination_type: str, config: dict[str, Any] | None) -> dict[str, Any]:
    default, _ = DESTINATIONS[destination_type]
    answer: dict[str, Any] = {
        "id": destination_id,
        "name": f"{destination_type.title()} warehouse",
        "connector_id": destination_type.lower(),
        "destination_type": destination_type,
        "status": "ACTIVE",
    }
    config = dict(default if config is None else config)
    if config:  # an empty config leaves the field out, as in the reference's shape
        answer["config"] = config
    return answer


def source_namespace(source_type: str, config: dict[str, Any] | None, table: str) -> dict[str, Any]:
    """``{k0, k1, k2}`` of a source table written ``schema.table`` (the schema part is ignored where none)."""
    default, has_database, has_schema = SOURCES[source_type]
    config = default if config is None else config
    schema, _, name = table.rpartition(".")
    database = config.get("database_name") or config.get("service_name")
    return {
        "k0": name,
        "k1": (schema or None) if has_schema else None,
        "k2": database if has_database else None,
    }


def destination_namespace(destination_type: str, config: dict[str, Any] | None, schema: str, table: str) -> dict:
    """``{k0, k1, k2}`` of the destination table a source table is loaded into (same table name)."""
    default, database = DESTINATIONS[destination_type]
    config = default if config is None else config
    database = config.get("database_name") or config.get("project_id") or config.get("catalog") or database
    if destination_type == "SNOWFLAKE":  # unquoted Snowflake identifiers are upper case
        return {"k0": table.rpartition(".")[2].upper(), "k1": schema.upper(), "k2": str(database).upper()}
    return {"k0": table.rpartition(".")[2], "k1": schema, "k2": database}
