"""HevoJobTrigger.run() against the simulator over real sockets (no triggerer, no DB)."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from provider_helpers import SECRET

from hevo_dagfactory.hevo import EdgeClient
from hevo_dagfactory.provider.triggers.job import CLASSPATH, HevoJobTrigger
from hevo_dagfactory.simulator import PipelineScript


def start_job(sim, pipeline_id: str, **script) -> str:
    """Add a pipeline and start a sync with the real sync client; returns the job id."""
    sim.sim.add_pipeline(pipeline_id, PipelineScript(**script))
    with EdgeClient(sim.url, "test-key", SECRET) as client:
        return client.start_job(pipeline_id).job.job_id


async def first_event(trigger: HevoJobTrigger, timeout: float = 15.0) -> dict:
    """Drive run() like the triggerer: exactly one event, then the generator must end."""
    gen = trigger.run()
    event = await asyncio.wait_for(gen.__anext__(), timeout)
    with pytest.raises(StopAsyncIteration):
        await gen.__anext__()
    json.dumps(event.payload)  # payloads must be JSON
    return event.payload


def job_gets(sim, pipeline_id: str, job_id: str) -> int:
    return sum(
        1
        for e in sim.sim.request_log
        if e["method"] == "GET" and e["path"].endswith(f"/pipelines/{pipeline_id}/jobs/{job_id}")
    )


def test_serialize_round_trips_every_argument():
    trigger = HevoJobTrigger(
        pipeline_id=77,
        job_id="j-1",
        connection_id="other_conn",
        region="eu",
        deadline=1_900_000_000.5,
        poll_interval=3.0,
        max_poll_interval=42.0,
        poll_backoff=2.0,
        max_transient_errors=5,
        cancel_on_kill=False,
    )
    classpath, kwargs = trigger.serialize()
    assert classpath == CLASSPATH == f"{HevoJobTrigger.__module__}.{HevoJobTrigger.__name__}"
    rebuilt = HevoJobTrigger(**kwargs)
    assert rebuilt.serialize() == trigger.serialize()
    # every __init__ parameter is serialized (a forgotten one silently reverts after a triggerer restart)
    import inspect

    params = set(inspect.signature(HevoJobTrigger.__init__).parameters) - {"self"}
    assert set(kwargs) == params
    assert kwargs["cancel_on_kill"] is False and kwargs["region"] == "eu" and kwargs["max_transient_errors"] == 5


def test_serialize_survives_airflow_serde():
    """dag.test() and the triggerer pass kwargs through Airflow's serde; values must come back equal."""
    try:
        from airflow.sdk.serde import deserialize, serialize
    except ImportError:  # Airflow 2.x
        from airflow.serialization.serde import deserialize, serialize

    trigger = HevoJobTrigger(pipeline_id="12", job_id="abc", deadline=None, poll_interval=0.5)
    _, kwargs = trigger.serialize()
    assert HevoJobTrigger(**deserialize(serialize(kwargs))).serialize() == trigger.serialize()


@pytest.mark.parametrize(
    ("final_status", "outcome"),
    [
        ("COMPLETED", "success"),
        ("COMPLETED_WITH_FAILURES", "completed_with_failures"),
        ("FAILED", "failed"),
        ("CANCELLED", "failed"),
    ],
)
async def test_terminal_event_for_each_final_status(hevo_conn, pipeline_id, final_status, outcome):
    job_id = start_job(hevo_conn, pipeline_id, job_duration_s=0.3, final_status=final_status)
    payload = await first_event(HevoJobTrigger(pipeline_id, job_id, poll_interval=0.05))
    assert payload["status"] == "terminal"
    assert payload["outcome"] == outcome
    assert payload["job"]["status"] == final_status
    assert payload["job_id"] == job_id and payload["pipeline_id"] == pipeline_id
    assert payload["owned"] is True  # = cancel_on_kill: execute_complete learns from the event whose job it is
    assert SECRET not in json.dumps(payload)


async def test_deadline_produces_timeout_and_cancels_nothing(hevo_conn, pipeline_id):
    job_id = start_job(hevo_conn, pipeline_id, job_duration_s=30)
    started = time.time()
    payload = await first_event(HevoJobTrigger(pipeline_id, job_id, deadline=time.time() + 0.6, poll_interval=5))
    assert payload["status"] == "timeout"
    assert payload["job"]["status"] == "IN_PROGRESS"
    # the long poll interval was cut short by the deadline
    assert time.time() - started < 3
    assert hevo_conn.sim.cancel_posts(pipeline_id) == 0, "cancelling is the operator's decision, not the trigger's"


async def test_deadline_is_checked_before_status(hevo_conn, pipeline_id):
    """A job that finished after the deadline still times out: the deadline check comes first."""
    job_id = start_job(hevo_conn, pipeline_id, job_duration_s=0.0)
    before = job_gets(hevo_conn, pipeline_id, job_id)
    payload = await first_event(HevoJobTrigger(pipeline_id, job_id, deadline=time.time() - 1))
    assert payload["status"] == "timeout"
    assert job_gets(hevo_conn, pipeline_id, job_id) == before


async def test_transient_errors_are_retried_inside_the_trigger(hevo_conn, pipeline_id, fast_client_retries):
    job_id = start_job(hevo_conn, pipeline_id, job_duration_s=0.2)
    hevo_conn.sim.script(pipeline_id).fail_next = 3  # three 503s to the next GETs
    payload = await first_event(HevoJobTrigger(pipeline_id, job_id, poll_interval=0.02, max_transient_errors=5))
    assert payload["status"] == "terminal" and payload["outcome"] == "success"
    statuses = [e["status"] for e in hevo_conn.sim.request_log if e["pipeline_id"] == pipeline_id]
    assert statuses.count(503) == 3


async def test_too_many_transient_errors_end_in_an_error_event(hevo_conn, pipeline_id, fast_client_retries):
    job_id = start_job(hevo_conn, pipeline_id, job_duration_s=5)
    hevo_conn.sim.script(pipeline_id).fail_next = 10
    payload = await first_event(HevoJobTrigger(pipeline_id, job_id, poll_interval=0.01, max_transient_errors=2))
    assert payload["status"] == "error"
    assert payload["error_status"] == 503
    assert "503" in payload["message"]


async def test_unknown_job_is_an_error_not_a_retry(hevo_conn, pipeline_id):
    hevo_conn.sim.add_pipeline(pipeline_id, PipelineScript())
    payload = await first_event(HevoJobTrigger(pipeline_id, "no-such-job", poll_interval=0.01))
    assert payload["status"] == "error" and payload["error_status"] == 404


async def test_missing_connection_is_an_error_event_that_says_how_to_fix_it(hevo_sim, pipeline_id, monkeypatch):
    monkeypatch.delenv("AIRFLOW_CONN_HEVO_AIRFLOW_CONN_ID", raising=False)
    payload = await first_event(HevoJobTrigger(pipeline_id, "j", connection_id="hevo_missing_conn"))
    assert payload["status"] == "error"
    assert "hevo_missing_conn" in payload["message"] and "airflow connections add" in payload["message"]


async def test_trigger_never_uses_the_sync_connection_lookup(hevo_conn, pipeline_id, monkeypatch):
    """Guard: a sync lookup on the triggerer's loop deadlocks or raises on Airflow 3 and blocks it on 2.x.

    Airflow 3.3 has ``aget_connection``: the sync lookup must not run at all. Airflow 2.x has none:
    the sync lookup must run in a worker thread (``sync_to_async``), never on the loop's thread.
    """
    from hevo_dagfactory.provider.compat import AIRFLOW_3, BaseHook

    original = BaseHook.get_connection
    off_loop_calls = []

    def forbidden(cls, *args, **kwargs):
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # no loop in this thread: a sync_to_async worker
            if not AIRFLOW_3:
                off_loop_calls.append(args)
                return original(*args, **kwargs)
        raise AssertionError("sync connection lookup called from the trigger")

    job_id = start_job(hevo_conn, pipeline_id, job_duration_s=0.2)
    monkeypatch.setattr(BaseHook, "get_connection", classmethod(forbidden))
    if AIRFLOW_3:
        from airflow.sdk.definitions.connection import Connection

        monkeypatch.setattr(Connection, "get", classmethod(forbidden))
    payload = await first_event(HevoJobTrigger(pipeline_id, job_id, poll_interval=0.05))
    assert payload["status"] == "terminal", payload
    if not AIRFLOW_3:
        assert off_loop_calls, "Airflow 2.x: the connection was not looked up through a worker thread"


async def test_poll_interval_grows_for_long_jobs(hevo_conn, pipeline_id):
    job_id = start_job(hevo_conn, pipeline_id, job_duration_s=2.0)
    before = job_gets(hevo_conn, pipeline_id, job_id)
    payload = await first_event(
        HevoJobTrigger(pipeline_id, job_id, poll_interval=0.1, poll_backoff=1.5, max_poll_interval=10)
    )
    assert payload["status"] == "terminal"
    polls = job_gets(hevo_conn, pipeline_id, job_id) - before
    # a fixed 0.1 s interval would take ~20 polls over 2 s; x1.5 growth takes about 7
    assert 3 <= polls <= 10, polls


async def test_poll_interval_is_capped(hevo_conn, pipeline_id):
    job_id = start_job(hevo_conn, pipeline_id, job_duration_s=1.5)
    before = job_gets(hevo_conn, pipeline_id, job_id)
    await first_event(HevoJobTrigger(pipeline_id, job_id, poll_interval=0.1, poll_backoff=3, max_poll_interval=0.15))
    # with the cap, polls keep coming every 0.15 s: about 10 over 1.5 s (uncapped x3 growth would be ~4)
    assert job_gets(hevo_conn, pipeline_id, job_id) - before >= 7


async def test_on_kill_cancels_the_job(hevo_conn, pipeline_id):
    job_id = start_job(hevo_conn, pipeline_id, job_duration_s=30)
    await HevoJobTrigger(pipeline_id, job_id).on_kill()
    assert hevo_conn.sim.cancel_posts(pipeline_id) == 1
    status = next(j for j in hevo_conn.sim.jobs(pipeline_id) if j["job_id"] == job_id)["status"]
    assert status in ("CANCELLING", "CANCELLED")


async def test_on_kill_of_a_watching_trigger_cancels_nothing(hevo_conn, pipeline_id):
    job_id = start_job(hevo_conn, pipeline_id, job_duration_s=30)
    await HevoJobTrigger(pipeline_id, job_id, cancel_on_kill=False).on_kill()
    assert hevo_conn.sim.cancel_posts(pipeline_id) == 0


async def test_on_kill_swallows_errors(hevo_sim, pipeline_id, monkeypatch):
    monkeypatch.delenv("AIRFLOW_CONN_HEVO_AIRFLOW_CONN_ID", raising=False)
    await HevoJobTrigger(pipeline_id, "j", connection_id="hevo_missing_conn").on_kill()  # must not raise


async def test_triggerer_restart_cancels_nothing(hevo_conn, pipeline_id):
    """A CancelledError (triggerer shutting down) propagates and leaves the job running."""
    job_id = start_job(hevo_conn, pipeline_id, job_duration_s=30)
    trigger = HevoJobTrigger(pipeline_id, job_id, poll_interval=0.05)

    async def consume():
        async for _ in trigger.run():
            pass

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert hevo_conn.sim.cancel_posts(pipeline_id) == 0
    status = next(j for j in hevo_conn.sim.jobs(pipeline_id) if j["job_id"] == job_id)["status"]
    assert status == "IN_PROGRESS"


# --- connection lookups and the unexpected ------------------------------------------------------------
def flaky_lookup(monkeypatch, failures: int, exc: Exception) -> list[int]:
    """The trigger's async lookup fails ``failures`` times (a secrets backend or API server blip), then works.

    Patched because no real part fails on demand like that; the lookup that finally answers is the real one.
    """
    from hevo_dagfactory.provider.hooks import hevo as hook_module

    real = hook_module.aget_connection
    calls: list[int] = []

    async def lookup(conn_id):
        calls.append(1)
        if len(calls) <= failures:
            raise exc
        return await real(conn_id)

    monkeypatch.setattr(hook_module, "aget_connection", lookup)
    return calls


async def test_transient_lookup_failures_are_retried(hevo_conn, pipeline_id, monkeypatch):
    job_id = start_job(hevo_conn, pipeline_id, job_duration_s=0.2)
    calls = flaky_lookup(monkeypatch, 2, RuntimeError("secrets backend unreachable"))
    payload = await first_event(HevoJobTrigger(pipeline_id, job_id, poll_interval=0.01))
    assert payload["status"] == "terminal" and len(calls) == 3


async def test_a_lookup_that_keeps_failing_is_an_error_event_that_says_what_to_do(hevo_conn, pipeline_id, monkeypatch):
    from hevo_dagfactory.provider.triggers.job import LOOKUP_ATTEMPTS

    calls = flaky_lookup(monkeypatch, 1000, ConnectionError("api-server: connection refused"))
    payload = await first_event(HevoJobTrigger(pipeline_id, "j-1", poll_interval=0.01))
    assert payload["status"] == "error" and len(calls) == LOOKUP_ATTEMPTS
    assert "hevo_airflow_conn_id" in payload["message"] and "connection refused" in payload["message"]
    assert "secrets backend" in payload["message"]


async def test_anything_unexpected_becomes_an_error_event(hevo_conn, pipeline_id, monkeypatch):
    """A bug (here: in the client) must end in an event the operator re-checks, never a blind task failure."""
    from hevo_dagfactory.hevo.aclient import AsyncEdgeClient

    job_id = start_job(hevo_conn, pipeline_id, job_duration_s=0.0)

    async def broken(self, *args, **kwargs):
        raise KeyError("surprise")

    monkeypatch.setattr(AsyncEdgeClient, "call", broken)  # every request of the wait flow goes through call()
    payload = await first_event(HevoJobTrigger(pipeline_id, job_id, poll_interval=0.01))
    assert payload["status"] == "error" and "KeyError" in payload["message"]
    assert "triggerer's log" in payload["message"]


async def test_on_kill_is_bounded_including_the_connection_lookup(hevo_conn, pipeline_id, monkeypatch):
    """The framework stops waiting for on_kill after [triggerer] on_kill_timeout; ours ends first, lookup included."""
    from hevo_dagfactory.provider.compat import TRIGGER_ON_KILL_TIMEOUT_S
    from hevo_dagfactory.provider.hooks import hevo as hook_module
    from hevo_dagfactory.provider.triggers import job as trigger_module

    assert trigger_module.ON_KILL_TIMEOUT_S < TRIGGER_ON_KILL_TIMEOUT_S
    job_id = start_job(hevo_conn, pipeline_id, job_duration_s=30)

    async def hanging(conn_id):
        await asyncio.Event().wait()

    monkeypatch.setattr(hook_module, "aget_connection", hanging)
    monkeypatch.setattr(trigger_module, "ON_KILL_TIMEOUT_S", 0.3)
    await asyncio.wait_for(HevoJobTrigger(pipeline_id, job_id).on_kill(), 5)  # returns, never raises
    assert hevo_conn.sim.cancel_posts(pipeline_id) == 0
