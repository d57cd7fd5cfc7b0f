"""OpenLineage dataset names per kind of system Hevo reports, the hevo:// fallback, and the Asset URIs.

Each case is one object of a pipeline (its table as Hevo names it) read from the end Hevo describes; the
names follow OpenLineage's naming spec, and every Asset URI is one Airflow accepts unchanged.
"""

from __future__ import annotations

import pytest

from hevo_dagfactory.hevo.connectors import Connector
from hevo_dagfactory.hevo.objects import Namespace
from hevo_dagfactory.provider.compat import Asset
from hevo_dagfactory.provider.lineage import naming
from hevo_dagfactory.provider.lineage.collect import dataset_name

FALLBACK = "hevo://eu/pipelines/7/source"


def end(kind, **location):
    return Connector(type=kind, location={k: str(v) for k, v in location.items()})


CASES = [
    # (Hevo type, location, table as Hevo names it, namespace, name, Asset URI)
    (
        "POSTGRES",
        {"host": "db.internal", "port": 5433, "database": "shop"},
        Namespace("orders", "public", "shop"),
        "postgres://db.internal:5433",
        "shop.public.orders",
        "postgres://db.internal:5433/shop/public/orders",
    ),
    (
        "AURORA_POSTGRESQL",  # a variant, and the default port
        {"host": "pg.cluster.eu-west-1.rds.amazonaws.com"},
        Namespace("orders", "public", "shop"),
        "postgres://pg.cluster.eu-west-1.rds.amazonaws.com:5432",
        "shop.public.orders",
        "postgres://pg.cluster.eu-west-1.rds.amazonaws.com:5432/shop/public/orders",
    ),
    (
        "MYSQL",
        {"host": "crm-db", "database": "crm"},
        Namespace("accounts", None, "crm"),
        "mysql://crm-db:3306",
        "crm.accounts",
        "mysql://crm-db:3306/crm/accounts",
    ),
    (
        "MARIADB",  # a schema-only namespace: in MySQL the schema is the database
        {"host": "maria", "port": 3307},
        Namespace("accounts", "crm", None),
        "mysql://maria:3307",
        "crm.accounts",
        "mysql://maria:3307/crm/accounts",
    ),
    (
        "AZURE_SQL_SERVER",
        {"host": "erp.database.windows.net", "database": "erp"},
        Namespace("invoices", "dbo", None),
        "sqlserver://erp.database.windows.net:1433",
        "erp.dbo.invoices",
        "sqlserver://erp.database.windows.net:1433/erp/dbo/invoices",
    ),
    (
        "ORACLE",
        {"host": "ora", "database": "ORCL"},
        Namespace("EMP", "HR", "ORCL"),
        "oracle://ora:1521",
        "ORCL.HR.EMP",
        "oracle://ora:1521/ORCL/HR/EMP",
    ),
    (
        "REDSHIFT",  # cluster identifier and region from the endpoint
        {"host": "analytics.c1a2b3.eu-west-1.redshift.amazonaws.com", "port": 5439},
        Namespace("orders", "hevo_raw", "dev"),
        "redshift://analytics.eu-west-1:5439",
        "dev.hevo_raw.orders",
        "redshift://analytics.eu-west-1:5439/dev/hevo_raw/orders",
    ),
    (
        "SNOWFLAKE",
        {"account": "ACME-Prod"},
        Namespace("ORDERS", "HEVO_RAW", "ANALYTICS"),
        "snowflake://acme-prod",
        "ANALYTICS.HEVO_RAW.ORDERS",
        "snowflake://acme-prod/ANALYTICS/HEVO_RAW/ORDERS",
    ),
    (
        "SNOWFLAKE",  # no account field: the account from the host
        {"host": "https://xy12345.eu-west-1.snowflakecomputing.com"},
        Namespace("ORDERS", "HEVO_RAW", "ANALYTICS"),
        "snowflake://xy12345.eu-west-1",
        "ANALYTICS.HEVO_RAW.ORDERS",
        "snowflake://xy12345.eu-west-1/ANALYTICS/HEVO_RAW/ORDERS",
    ),
    (
        "BIGQUERY",
        {"project": "acme"},
        Namespace("orders", "hevo_raw", None),  # the project from the destination's config
        "bigquery",
        "acme.hevo_raw.orders",
        "bigquery://acme/hevo_raw/orders",
    ),
    (
        "DATABRICKS",
        {"host": "https://adb-1.2.azuredatabricks.net/", "catalog": "main"},
        Namespace("orders", "hevo_raw", None),
        "databricks://adb-1.2.azuredatabricks.net",
        "main.hevo_raw.orders",
        "databricks://adb-1.2.azuredatabricks.net/main/hevo_raw/orders",
    ),
    (
        "AMAZON_S3",
        {"bucket": "landing", "prefix": "exports/"},
        Namespace("orders", None, None),
        "s3://landing",
        "exports/orders",
        "s3://landing/exports/orders",
    ),
    (
        "GOOGLE_CLOUD_STORAGE",
        {"bucket": "landing"},
        Namespace("orders", "daily", None),
        "gs://landing",
        "daily/orders",
        "gs://landing/daily/orders",
    ),
    (
        "SALESFORCE",  # no OpenLineage convention for SaaS: the fallback, named as Hevo names the object
        {"instance": "https://acme.my.salesforce.com"},
        Namespace("Account", None, None),
        FALLBACK,
        "Account",
        f"{FALLBACK}/Account",
    ),
    (
        "POSTGRES",  # a known kind whose location Hevo did not send: the fallback too
        {},
        Namespace("orders", "public", "shop"),
        FALLBACK,
        "shop.public.orders",
        f"{FALLBACK}/shop/public/orders",
    ),
]


@pytest.mark.parametrize(("kind", "location", "table", "namespace", "name", "uri"), CASES)
def test_names_follow_the_spec_and_asset_uris_are_valid(kind, location, table, namespace, name, uri):
    connector = end(kind, **location)
    got_namespace, got_kind = naming.namespace(connector, FALLBACK)
    parts = naming.name_parts(table, connector, got_kind)
    assert (got_namespace, dataset_name(parts, got_kind)) == (namespace, name)
    assert naming.asset_uri(got_namespace, parts) == uri
    assert Asset(uri=uri).uri == uri  # Airflow's URI rules keep it as it is


def test_names_that_are_not_uri_safe_are_encoded_in_the_asset_uri():
    parts = ["ANALYTICS", "HEVO RAW", "orders/2024", "ümlaut"]
    uri = naming.asset_uri("snowflake://acme", parts)
    assert uri == "snowflake://acme/ANALYTICS/HEVO%20RAW/orders%2F2024/%C3%BCmlaut"
    assert Asset(uri=uri).uri == uri and uri.isascii()


@pytest.mark.parametrize(
    ("kind", "found"), [(None, None), ("", None), ("HUBSPOT", None), ("MS_SQLSERVER", "sqlserver")]
)
def test_kinds_are_matched_by_token(kind, found):
    got = naming.kind_of(kind)
    assert (got.scheme if got else None) == found


def test_the_fallback_namespaces():
    with_id = Connector(type="SNOWFLAKE", id="12")
    assert naming.fallback_namespace("eu", 7, "destination", with_id) == "hevo://eu/destinations/12"
    assert naming.fallback_namespace("eu", 7, "destination", None) == "hevo://eu/pipelines/7/destination"
    assert naming.fallback_namespace("eu", 7, "source", with_id) == "hevo://eu/pipelines/7/source"
    # the region of the workflow, else the sign-in subdomain of the host, else the host itself
    assert naming.hevo_authority("EU", "https://us.hevodata.com") == "eu"
    assert naming.hevo_authority(None, "https://us2.hevodata.com") == "us2"
    assert naming.hevo_authority(None, "http://127.0.0.1:8080") == "127.0.0.1:8080"


def test_airflows_own_uri_rules_accept_the_form_and_give_back_the_same_dataset():
    """With the Postgres provider installed, Airflow checks postgres:// Asset URIs (AIP-60): it refuses the
    dotted OpenLineage form and turns ours back into exactly the dataset our events name."""
    handler = pytest.importorskip("airflow.providers.postgres.assets.postgres", reason="needs the Postgres provider")
    uri = naming.asset_uri("postgres://db.internal:5433", ["shop", "public", "orders"])
    dataset = handler.convert_asset_to_openlineage(Asset(uri=uri), None)
    assert (dataset.namespace, dataset.name) == ("postgres://db.internal:5433", "shop.public.orders")
    with pytest.raises(ValueError, match="database, schema, and table"):
        Asset(uri="postgres://db.internal:5433/shop.public.orders")
