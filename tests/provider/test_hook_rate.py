"""The connection's rate-budget extras reach the clients the hook builds, bad ones are clear errors, and
a wrong shared-store setting fails with what to do instead of a traceback."""

from __future__ import annotations

import pytest
import redis
from provider_helpers import conn_json

from hevo_dagfactory.hevo import reset_budgets
from hevo_dagfactory.hevo.budget import STORE_ENV, RateBudget, SharedBudget
from hevo_dagfactory.provider.hooks.hevo import HevoConnectionError, HevoHook


@pytest.fixture(autouse=True)
def _fresh_budgets(monkeypatch):
    monkeypatch.delenv(STORE_ENV, raising=False)
    reset_budgets()
    yield
    reset_budgets()


def use(monkeypatch, conn_id: str, conn: str) -> None:
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", conn)


def test_extras_set_the_users_limit_and_scope(hevo_sim, monkeypatch):
    extra = {"rate_limit_per_minute": 300, "rate_limit_scope": "user:ops", "rate_limit_window_s": 2}
    use(monkeypatch, "ops_a", conn_json(hevo_sim.url, extra=extra))
    use(monkeypatch, "ops_b", conn_json(hevo_sim.url, login="key-2", extra=extra))
    use(monkeypatch, "plain", conn_json(hevo_sim.url))
    a, b = HevoHook("ops_a").get_conn(), HevoHook("ops_b").get_conn()
    assert a.budget is b.budget  # two keys naming one user share its budget
    assert (a.budget.limit, a.budget.window_s) == (300, 2.0)
    plain = HevoHook("plain").get_conn()
    assert plain.budget is not a.budget and (plain.budget.limit, plain.budget.window_s) == (100, 60.0)
    assert HevoHook("plain", rate_per_minute=50).get_conn().budget.limit == 50  # an explicit argument wins


async def test_the_async_client_gets_the_same_budget(hevo_sim, monkeypatch):
    use(monkeypatch, "ops", conn_json(hevo_sim.url, extra={"rate_limit_scope": "key"}))
    sync_budget = HevoHook("ops").get_conn().budget
    async with await HevoHook("ops").aget_conn() as client:
        assert client.budget is sync_budget and isinstance(client.budget, RateBudget)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"rate_limit_per_minute": "fast"}, "'rate_limit_per_minute' must be a positive whole number, got 'fast'"),
        ({"rate_limit_per_minute": 0}, "'rate_limit_per_minute' must be a positive whole number"),
        ({"rate_limit_per_minute": 2.5}, "'rate_limit_per_minute' must be a positive whole number"),
        ({"rate_limit_per_minute": True}, "'rate_limit_per_minute' must be a positive whole number"),
        ({"rate_limit_window_s": -1}, "'rate_limit_window_s' must be a positive number"),
        ({"rate_limit_scope": "team"}, "'rate_limit_scope': rate limit scope must be 'host'"),
    ],
)
def test_a_bad_extra_names_itself_and_what_fits(hevo_sim, monkeypatch, extra, message):
    use(monkeypatch, "bad", conn_json(hevo_sim.url, extra=extra))
    with pytest.raises(HevoConnectionError, match=r"connection 'bad'") as info:
        HevoHook("bad").settings()
    assert message in str(info.value)


async def test_a_store_that_is_not_redis_fails_clearly_on_workers_and_in_the_triggerer(hevo_sim, monkeypatch):
    use(monkeypatch, "hevo_airflow_conn_id", conn_json(hevo_sim.url))
    monkeypatch.setenv(STORE_ENV, "http://user:pw@127.0.0.1:6379")
    with pytest.raises(HevoConnectionError, match="must be a Redis URL") as info:
        HevoHook().get_conn()
    assert "pw" not in str(info.value)
    with pytest.raises(HevoConnectionError, match="must be a Redis URL"):
        await HevoHook().aget_conn()


def test_with_the_store_set_the_hooks_clients_share_through_it(hevo_sim, redis_server, monkeypatch):
    use(monkeypatch, "hevo_airflow_conn_id", conn_json(hevo_sim.url, extra={"rate_limit_per_minute": 120}))
    monkeypatch.setenv(STORE_ENV, redis_server.url)
    hevo_sim.sim.add_pipeline(5)
    with HevoHook().get_conn() as client:
        assert isinstance(client.budget, SharedBudget) and client.budget.limit == 120
        assert str(client.get_pipeline(5)["id"]) == "5"
        assert client.budget.store_admitted == 1 and client.budget.participants == 1
    keys = " ".join(redis.Redis.from_url(redis_server.url, decode_responses=True).keys("*"))
    assert keys and "test-key" not in keys and "test-secret" not in keys  # nothing of the credentials
