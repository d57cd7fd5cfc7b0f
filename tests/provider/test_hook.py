"""HevoHook: both connection shapes, clear errors, async lookup, test_connection against the simulator."""

from __future__ import annotations

import json

import pytest
from provider_helpers import CONN_ENV, SECRET, conn_json

from hevo_dagfactory.provider.hooks.hevo import HevoConnectionError, HevoHook


def use(monkeypatch, conn: dict | str, conn_id: str = "hevo_airflow_conn_id") -> None:
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", conn if isinstance(conn, str) else json.dumps(conn))


def test_seed_http_connection_keeps_port_and_schema(monkeypatch):
    use(
        monkeypatch,
        {
            "conn_type": "http",
            "host": "127.0.0.1",
            "port": 8123,
            "schema": "http",
            "login": "k",
            "password": SECRET,
            "extra": {"headers": {"X-Team": "data"}},
        },
    )
    s = HevoHook().settings()
    assert s.base_url == "http://127.0.0.1:8123"
    assert (s.api_key, s.api_secret, s.headers) == ("k", SECRET, {"X-Team": "data"})
    assert SECRET not in repr(s)


def test_seed_region_host_defaults_to_https(monkeypatch):
    use(monkeypatch, {"conn_type": "http", "host": "eu.hevodata.com", "login": "k", "password": "s"})
    assert HevoHook().settings().base_url == "https://eu.hevodata.com"


def test_hevo_type_with_region_in_extra(monkeypatch):
    use(monkeypatch, {"conn_type": "hevo", "login": "k", "password": "s", "extra": {"region": "in"}})
    assert HevoHook().settings().base_url == "https://in.hevodata.com"


def test_operator_region_is_used_when_the_connection_has_no_location(monkeypatch):
    use(monkeypatch, {"conn_type": "hevo", "login": "k", "password": "s"})
    assert HevoHook(region="us2").settings().base_url == "https://us2.hevodata.com"
    with pytest.raises(HevoConnectionError, match="neither a host"):
        HevoHook().settings()


def test_connection_host_wins_over_region(monkeypatch):
    use(
        monkeypatch,
        {
            "conn_type": "hevo",
            "host": "https://asia.hevodata.com",
            "login": "k",
            "password": "s",
            "extra": {"region": "eu"},
        },
    )
    assert HevoHook(region="us").settings().base_url == "https://asia.hevodata.com"


def test_new_regions_and_an_unknown_one_in_a_connection(monkeypatch, caplog):
    """eu2 and us-gcp are known; an unknown region is the sign-in subdomain, with a warning, not a refusal."""
    import logging

    use(monkeypatch, {"conn_type": "hevo", "login": "k", "password": "s", "extra": {"region": "us-gcp"}})
    assert HevoHook().settings().base_url == "https://us-gcp.hevodata.com"
    use(monkeypatch, {"conn_type": "hevo", "login": "k", "password": "s", "extra": {"region": "mars"}})
    with caplog.at_level(logging.WARNING, logger="hevo_dagfactory.hevo.regions"):
        assert HevoHook().settings().base_url == "https://mars.hevodata.com"
    assert "'mars' is not one we know" in caplog.text
    use(monkeypatch, {"conn_type": "hevo", "login": "k", "password": "s"})
    assert HevoHook(region="eu2").settings().base_url == "https://eu2.hevodata.com"  # the operator argument


def test_a_region_that_is_no_subdomain_is_a_clear_error(monkeypatch):
    use(monkeypatch, {"conn_type": "hevo", "login": "k", "password": "s", "extra": {"region": "mars base"}})
    with pytest.raises(HevoConnectionError, match="'mars base' cannot be a subdomain"):
        HevoHook().settings()


def test_the_connection_form_lists_the_known_regions():
    from hevo_dagfactory.provider import get_provider_info

    (conn_type,) = get_provider_info()["connection-types"]
    help_text = conn_type["conn-fields"]["region"]["description"]
    for region in ("asia", "au", "eu", "eu2", "in", "us", "us2", "us-gcp"):
        assert region in help_text
    assert "<region>.hevodata.com" in help_text


def test_missing_connection_says_how_to_create_it(monkeypatch):
    monkeypatch.delenv("AIRFLOW_CONN_NOT_THERE", raising=False)
    with pytest.raises(HevoConnectionError) as info:
        HevoHook("not_there").settings()
    message = str(info.value)
    assert "'not_there' does not exist" in message and "airflow connections add not_there" in message


def test_missing_secret_names_the_field_and_never_the_secret(monkeypatch):
    use(monkeypatch, {"conn_type": "hevo", "login": "k", "extra": {"region": "eu"}})
    with pytest.raises(HevoConnectionError, match="password \\(API secret\\)"):
        HevoHook().settings()
    use(monkeypatch, {"conn_type": "hevo", "password": SECRET, "extra": {"region": "eu"}})
    with pytest.raises(HevoConnectionError) as info:
        HevoHook().settings()
    assert "login (API key)" in str(info.value) and SECRET not in str(info.value)


def test_headers_must_be_an_object(monkeypatch):
    use(
        monkeypatch,
        {"conn_type": "http", "host": "eu.hevodata.com", "login": "k", "password": "s", "extra": {"headers": ["X-A"]}},
    )
    with pytest.raises(HevoConnectionError, match="headers"):
        HevoHook().settings()


async def test_async_lookup_matches_the_sync_one(hevo_sim, monkeypatch):
    use(monkeypatch, conn_json(hevo_sim.url, extra={"headers": {"X-A": "1"}}))
    assert await HevoHook().asettings() == HevoHook().settings()


async def test_async_lookup_of_a_missing_connection(monkeypatch):
    with pytest.raises(HevoConnectionError, match="airflow connections add nope_conn"):
        await HevoHook("nope_conn").asettings()


def test_test_connection_against_the_simulator(hevo_sim, monkeypatch):
    use(monkeypatch, conn_json(hevo_sim.url))
    ok, message = HevoHook().test_connection()
    assert ok, message
    use(monkeypatch, conn_json(hevo_sim.url, password="wrong-secret"))
    ok, message = HevoHook().test_connection()
    assert not ok and "401" in message and "wrong-secret" not in message


def test_clients_reach_the_simulator(hevo_sim, monkeypatch):
    use(monkeypatch, conn_json(hevo_sim.url))
    hevo_sim.sim.add_pipeline(5, None)
    with HevoHook().get_conn() as client:
        assert str(client.get_pipeline(5)["id"]) == "5"
    assert CONN_ENV == "AIRFLOW_CONN_HEVO_AIRFLOW_CONN_ID"


def test_the_airflow_2_form_widget_lists_the_known_regions():
    pytest.importorskip("flask_appbuilder", reason="the Airflow 2.x webserver's form (Airflow 3 reads conn-fields)")
    from hevo_dagfactory.hevo.regions import REGION_HELP

    widget = HevoHook.get_connection_form_widgets()["region"]
    assert widget.kwargs["description"] == REGION_HELP and "us-gcp" in REGION_HELP
