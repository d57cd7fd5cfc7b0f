"""The one wait flow (hevo/wait.py): its arithmetic, and both clients driving it over real sockets.

The arithmetic tests feed the flow answers by hand (it is a generator: answers in, calls and sleeps
out), with a hand-moved clock, so intervals and deadlines are checked exactly and instantly. The
scenario tests run the sync and the async client against the simulator through the same scenarios
(tests/wait_scenarios.py) and require the same requests from both.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from sim_steer import requests_since
from wait_scenarios import ONE_ATTEMPT, SCENARIOS, Scenario, prepare

from hevo_dagfactory.hevo import AsyncEdgeClient, EdgeClient, HevoNotFound, HevoServerError, Job
from hevo_dagfactory.hevo.drive import NoAnswer, drive
from hevo_dagfactory.hevo.endpoints import ApiCall
from hevo_dagfactory.hevo.flow import Sleep
from hevo_dagfactory.hevo.wait import (
    DEFAULT_WAIT,
    MAX_POLL_INTERVAL_S,
    POLL_BACKOFF,
    JobWatch,
    WaitPolicy,
    wait_flow,
    wait_job_flow,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def run_by_hand(flow, answers, clock: Clock):
    """Drive ``flow``: each call gets the next answer (a Job, or an exception to throw in); each sleep
    moves the clock. Returns (result, [op kinds], [sleep seconds])."""
    answers = list(answers)
    ops, sleeps = [], []

    def send(call: ApiCall):
        ops.append(call.method)
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def sleep(seconds: float) -> None:
        ops.append("sleep")
        sleeps.append(seconds)
        clock.now += seconds

    return drive(flow, send, sleep), ops, sleeps


def job(status: str) -> Job:
    return Job(job_id="j", status=status, type="INCREMENTAL")


# --- the arithmetic -------------------------------------------------------------------------------
def test_the_interval_grows_by_half_to_the_cap():
    clock = Clock()
    policy = WaitPolicy(poll_interval=100, max_poll_interval=300)
    answers = [job("IN_PROGRESS")] * 5 + [job("COMPLETED")]
    result, _, sleeps = run_by_hand(wait_job_flow("p", "j", policy=policy, clock=clock), answers, clock)
    assert result.end == "terminal" and result.outcome.value == "success" and result.job.status == "COMPLETED"
    assert sleeps == [100, 150, 225, 300, 300]
    assert (DEFAULT_WAIT.poll_interval, DEFAULT_WAIT.backoff, DEFAULT_WAIT.max_poll_interval) == (15, 1.5, 300)
    assert POLL_BACKOFF == 1.5 and MAX_POLL_INTERVAL_S == 300


def test_transient_errors_back_off_exponentially_and_reset_after_an_answer():
    clock = Clock()
    policy = WaitPolicy(poll_interval=1, max_poll_interval=50, max_transient_errors=10)
    err = HevoServerError("503", status=503)
    answers = [err, err, err, job("IN_PROGRESS"), err, job("COMPLETED")]
    result, _, sleeps = run_by_hand(wait_job_flow("p", "j", policy=policy, clock=clock), answers, clock)
    assert result.end == "terminal"
    # 2, 4, 8 after the 1st-3rd error in a row; an answer resets the count; the interval is unaffected
    assert sleeps == [2, 4, 8, 1, 2]
    assert [WaitPolicy(poll_interval=10, max_poll_interval=300).error_wait(n) for n in (1, 5, 6, 9)] == [
        20,
        300,
        300,
        300,
    ]
    assert WaitPolicy(poll_interval=1, max_poll_interval=1000).error_wait(9) == 64  # 2**6 at most


def test_the_error_budget_ends_the_wait_with_the_error():
    clock = Clock()
    err = HevoServerError("Hevo answered HTTP 503", status=503)
    flow = wait_job_flow("p", "j", policy=WaitPolicy(poll_interval=1, max_transient_errors=2), clock=clock)
    result, ops, _ = run_by_hand(flow, [err] * 3, clock)
    assert result.end == "error" and result.error is err and result.error_status == 503
    assert ops == ["GET", "sleep", "GET", "sleep", "GET"]
    assert result.message == "Polling Hevo job j of pipeline p failed: Hevo answered HTTP 503"


def test_a_non_transient_error_ends_the_wait_at_once():
    clock = Clock()
    err = HevoNotFound("404", status=404)
    result, ops, _ = run_by_hand(wait_job_flow("p", "j", clock=clock), [err], clock)
    assert result.end == "error" and result.error_status == 404 and ops == ["GET"]


def test_sleeps_are_cut_at_the_deadline_and_the_deadline_comes_before_the_status():
    clock = Clock()
    flow = wait_job_flow("p", "j", deadline=clock.now + 40, policy=WaitPolicy(poll_interval=30), clock=clock)
    result, ops, sleeps = run_by_hand(flow, [job("IN_PROGRESS"), job("IN_PROGRESS"), job("COMPLETED")], clock)
    assert sleeps == [30, 10]  # the second sleep (45 s) ends at the deadline
    assert ops == ["GET", "sleep", "GET", "sleep"]  # the job's end after the deadline is never read
    assert result.end == "timeout" and result.job.status == "IN_PROGRESS"
    assert "still running at the deadline (last status IN_PROGRESS)" in result.message


def test_a_call_cut_at_the_deadline_is_a_timeout_and_before_it_a_transient_error():
    clock = Clock()
    deadline = clock.now + 5

    def cut_at_deadline(call):
        clock.now = deadline
        raise NoAnswer("GET ... got no answer before the deadline")

    flow = wait_job_flow("p", "j", deadline=deadline, clock=clock)
    result = drive(flow, cut_at_deadline, lambda s: None)
    assert result.end == "timeout" and result.job is None and "last status unknown" in result.message

    clock = Clock()
    answers = [NoAnswer("no answer within 3 s"), job("COMPLETED")]
    result, ops, sleeps = run_by_hand(wait_job_flow("p", "j", deadline=clock.now + 60, clock=clock), answers, clock)
    assert result.end == "terminal" and ops == ["GET", "sleep", "GET"] and sleeps == [30]


def test_a_watch_is_what_a_look_is():
    """The loop does not care what a look reads: any watch with the protocol's members will do."""

    class TwoLooks(JobWatch):
        def look(self):
            self.last = yield ApiCall("GET", "/anything")
            return self.last if self.last.status == "DONE_HERE" else None

    clock = Clock()
    result, _, _ = run_by_hand(
        wait_flow(TwoLooks("p", "j"), clock=clock), [job("A"), Job("j", "DONE_HERE", "INCREMENTAL")], clock
    )
    assert result.end == "terminal" and result.job.status == "DONE_HERE"


@pytest.mark.parametrize("kwargs", [{"poll_interval": 0}, {"backoff": 0.5}, {"max_transient_errors": -1}], ids=str)
def test_policy_refuses_values_that_make_no_sense(kwargs):
    with pytest.raises(ValueError):
        WaitPolicy(**kwargs)
    assert WaitPolicy(poll_interval=600).max_poll_interval == 600  # a cap below the first interval is lifted


def test_sleep_is_the_start_flows_sleep():
    """Both flows yield the same Sleep, so one driver serves both."""
    clock = Clock()
    flow = wait_job_flow("p", "j", policy=WaitPolicy(poll_interval=1), clock=clock)
    next(flow)
    assert isinstance(flow.send(job("IN_PROGRESS")), Sleep)


# --- both clients, same scenarios, same requests -------------------------------------------------
def wait_with(kind: str, hevo_sim, pipeline_id: str, job_id: str, scenario: Scenario):
    deadline = time.time() + scenario.timeout if scenario.timeout else None
    policy = WaitPolicy(poll_interval=scenario.poll_interval)
    kwargs = dict(base_url=hevo_sim.url, api_key=hevo_sim.api_key, api_secret=hevo_sim.api_secret, retry=ONE_ATTEMPT)
    if kind == "sync":
        with EdgeClient(**kwargs) as client:
            return client.wait_for_job(pipeline_id, job_id, deadline=deadline, policy=policy)

    async def go():
        async with AsyncEdgeClient(**kwargs) as client:
            return await client.wait_for_job(pipeline_id, job_id, deadline=deadline, policy=policy)

    return asyncio.run(go())


@pytest.mark.parametrize("scenario", SCENARIOS, ids=str)
def test_sync_and_async_clients_wait_alike(hevo_sim, scenario):
    seen = {}
    for kind, pipeline_id in (("sync", "9000081"), ("async", "9000082")):
        job_id, start = prepare(hevo_sim, pipeline_id, scenario)
        result = wait_with(kind, hevo_sim, pipeline_id, job_id, scenario)
        requests = requests_since(hevo_sim.sim, pipeline_id, start, {pipeline_id: "P", job_id: "J"})
        assert result.end == scenario.end, (kind, result)
        assert requests == scenario.requests, kind
        if scenario.outcome:
            assert result.outcome.value == scenario.outcome
        if scenario.status:
            assert result.job.status == scenario.status
        seen[kind] = (result.end, result.message.replace(job_id, "J").replace(pipeline_id, "P"), requests)
    assert seen["sync"] == seen["async"]
