"""A pipeline's source and destination read leniently, keeping only where they are: never a secret."""

from __future__ import annotations

import json

import pytest
import requests

from hevo_dagfactory.hevo.connectors import Connector, PipelineEnds
from hevo_dagfactory.simulator import PipelineScript

SECRETS = {"password": "pw-1", "private_key": "-----BEGIN KEY", "api_token": "tok-2", "service_account_json": "{}"}


def test_only_the_location_is_kept_from_a_config_full_of_secrets():
    end = Connector.from_api(
        {
            "name": "orders db",
            "source_type": "AMAZON_RDS_POSTGRES",
            "config": {"hostname": "db.internal", "port": 5432, "db_name": "shop", "user": "hevo", **SECRETS},
        }
    )
    assert end == Connector(
        type="AMAZON_RDS_POSTGRES",
        name="orders db",
        location={"host": "db.internal", "port": "5432", "database": "shop"},
    )
    dumped = json.dumps(end.to_dict())
    assert not any(secret in dumped for secret in SECRETS.values()) and "hevo" not in dumped  # nor the user


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        ({"destination_type": "snowflake"}, "SNOWFLAKE"),
        ({"type": "BigQuery"}, "BIGQUERY"),
        ({"connector_id": 17, "name": "warehouse"}, None),  # a numeric connector id is an id, not a type
        ({"connector_id": "redshift"}, "REDSHIFT"),
    ],
)
def test_the_type_comes_from_any_of_its_spellings(answer, kind):
    assert Connector.from_api(answer).type == kind


@pytest.mark.parametrize("answer", [None, "POSTGRES", [], {}, {"config": {"host": "x"}}])
def test_an_end_without_type_or_name_is_unknown(answer):
    assert Connector.from_api(answer) is None


def test_both_ends_of_a_pipeline_and_the_data_wrapper():
    body = {"id": 1, "source": {"source_type": "MYSQL"}, "destination": {"id": 7, "destination_type": "REDSHIFT"}}
    for answer in (body, {"data": body}):
        ends = PipelineEnds.from_api(answer)
        assert (ends.source.type, ends.destination.type, ends.destination.id) == ("MYSQL", "REDSHIFT", "7")
    assert PipelineEnds.from_api("nonsense") == PipelineEnds()


def test_what_goes_to_xcom_comes_back_the_same_and_nothing_else():
    ends = PipelineEnds.from_api(
        {"source": {"source_type": "S3", "config": {"bucket": "landing", "prefix": "x/"}}, "destination": None}
    )
    assert PipelineEnds.from_dict(json.loads(json.dumps(ends.to_dict()))) == ends
    tampered = {"source": {"type": "S3", "location": {"bucket": "landing", "password": "pw"}}}
    assert PipelineEnds.from_dict(tampered).source.location == {"bucket": "landing"}
    assert PipelineEnds.from_dict(None) is None


def test_the_simulators_pipeline_is_read_as_hevo_sends_it(hevo_sim):
    """The shape the simulator serves (hevo-api.md §2), with a password in the source config as a Hevo
    could send it: read, it names the ends and keeps no secret."""
    config = {"host": "shop-db.internal", "port": 5432, "database_name": "shop", "password": "pw-3"}
    hevo_sim.sim.add_pipeline(5, PipelineScript(source_config=config, destination_type="BIGQUERY"))
    answer = requests.get(f"{hevo_sim.url}/api/v1/pipelines/5", auth=("test-key", "test-secret"), timeout=10).json()
    ends = PipelineEnds.from_api(answer)
    assert ends.source == Connector(
        type="POSTGRES",
        name="Postgres source of pipeline 5",
        location={"host": "shop-db.internal", "port": "5432", "database": "shop"},
    )
    assert (ends.destination.type, ends.destination.id, ends.destination.location) == (
        "BIGQUERY",
        "1",
        {"project": "acme-analytics"},
    )
