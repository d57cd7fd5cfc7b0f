"""Reading a workflow's connection without Airflow, as Airflow would read AIRFLOW_CONN_<ID>."""

from __future__ import annotations

import json

import pytest

from hevo_dagfactory.online.credentials import CredentialsError, credentials_for

S = "s3cr3t-value"


def creds(env, conn_id="hevo_x", region="us"):
    return credentials_for(conn_id, region, env)


@pytest.mark.parametrize(
    ("value", "url"),
    [
        (
            json.dumps({"conn_type": "hevo", "login": "k", "password": S, "extra": {"region": "eu2"}}),
            "https://eu2.hevodata.com",
        ),
        (
            json.dumps({"conn_type": "hevo", "login": "k", "password": S, "extra": '{"region": "au"}'}),
            "https://au.hevodata.com",
        ),
        (
            json.dumps(
                {"conn_type": "http", "host": "eu.hevodata.com", "schema": "https", "login": "k", "password": S}
            ),
            "https://eu.hevodata.com",
        ),
        (
            json.dumps({"conn_type": "hevo", "login": "k", "password": S}),
            "https://us.hevodata.com",
        ),  # the workflow's region
        (f"hevo://k:{S}@/?region=in", "https://in.hevodata.com"),
        (f"http://k:{S}@127.0.0.1:8089/http", "http://127.0.0.1:8089"),
        (f"http://k:{S}@asia.hevodata.com", "https://asia.hevodata.com"),
        (f"hevo://https://k:{S}@proxy.example:8443", "https://proxy.example:8443"),
        ("hevo://k:s%2Fx@/?__extra__=" + '{"region": "us-gcp"}', "https://us-gcp.hevodata.com"),
    ],
)
def test_connection_forms(value, url):
    got = creds({"AIRFLOW_CONN_HEVO_X": value})
    assert got.base_url == url and got.api_key == "k" and got.source == "$AIRFLOW_CONN_HEVO_X"
    assert S not in repr(got)


def test_percent_encoded_secret_and_headers():
    got = creds({"AIRFLOW_CONN_HEVO_X": "hevo://k:a%2Fb%40c@/?region=eu&headers=%7B%22X-Team%22%3A%20%22data%22%7D"})
    assert got.api_secret == "a/b@c" and got.headers == {"X-Team": "data"}


@pytest.mark.parametrize(
    ("value", "needle"),
    [
        ('{"login": "k"', "not valid JSON"),
        (json.dumps({"login": "k", "extra": {"region": "eu"}}), r"password \(API secret\)"),
        (json.dumps({"password": S, "extra": {"region": "eu"}}), r"login \(API key\)"),
        (json.dumps({"login": "k", "password": S, "extra": {"region": "mars base"}}), "cannot be a subdomain"),
        ("hevo://k:s@host:notaport/x", "not a valid connection URI"),
    ],
)
def test_bad_connections_say_what_is_wrong_and_never_quote_the_value(value, needle):
    with pytest.raises(CredentialsError, match=needle) as info:
        creds({"AIRFLOW_CONN_HEVO_X": value})
    assert S not in str(info.value)


def test_hevo_variables_and_their_precedence():
    env = {"HEVO_API_KEY": "k2", "HEVO_API_SECRET": S, "HEVO_REGION": "eu"}
    assert creds(env).base_url == "https://eu.hevodata.com" and creds(env).source == "$HEVO_API_KEY"
    assert creds({**env, "HEVO_HOST": "http://127.0.0.1:9"}).base_url == "http://127.0.0.1:9"
    assert creds({"HEVO_API_KEY": "k2", "HEVO_API_SECRET": S}, region="au").base_url == "https://au.hevodata.com"
    conn = json.dumps({"login": "k", "password": S, "extra": {"region": "in"}})
    assert creds({**env, "AIRFLOW_CONN_HEVO_X": conn}).api_key == "k"  # the connection the DAGs use wins
    with pytest.raises(CredentialsError, match="set both"):
        creds({"HEVO_API_KEY": "k2"})
    with pytest.raises(CredentialsError, match="AIRFLOW_CONN_HEVO_X"):
        creds({})
