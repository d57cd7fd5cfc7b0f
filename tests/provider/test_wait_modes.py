"""The operator's two ways of waiting share one flow: same scenarios, same requests, same verdict.

Each scenario of tests/wait_scenarios.py runs twice against the simulator: deferred (the operator
defers, ``HevoJobTrigger.run()`` polls with the async client, ``execute_complete`` concludes) and in
the worker (``deferrable=False``: the sync client, each read abandoned at the deadline). Both enter at
the operator's wait (``_wait_for_job``, right after the start, which other tests cover) so faults can
be armed for the wait alone. The requests Hevo sees must be the scenario's, then the same conclusion
requests (a cancel at the deadline, a re-check after an error) in both modes, and the task must end
the same way.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from provider_helpers import SECRET, RecordingTI, make_context
from sim_steer import requests_since
from wait_scenarios import SCENARIOS, Scenario, prepare

from hevo_dagfactory.hevo import Job
from hevo_dagfactory.provider import HevoPipelineOperator
from hevo_dagfactory.provider.compat import TaskDeferred
from hevo_dagfactory.provider.results import HevoJobFailed

CANCEL = ("POST", "/api/v1/pipelines/P/jobs/J/actions/cancel")


def wait_in_mode(deferrable: bool, pipeline_id: str, job_id: str, scenario: Scenario):
    """Wait for the job as the operator does in that mode; returns the result or the HevoJobFailed."""
    o = HevoPipelineOperator(
        task_id="sync",
        pipeline_id=pipeline_id,
        deferrable=deferrable,
        poll_interval=scenario.poll_interval,
        timeout=scenario.timeout or 600,
    )
    hook = o._hook()
    settings = hook.settings()
    context = make_context(RecordingTI())
    job = Job(job_id=job_id, status="IN_PROGRESS", type="INCREMENTAL")
    try:
        try:
            return o._wait_for_job(context, hook.client_for(settings), settings, job, attached=False, owned=True)
        except TaskDeferred as deferred:
            assert deferrable, "the worker-side poll deferred"
            event = asyncio.run(asyncio.wait_for(deferred.trigger.run().__anext__(), 30)).payload
            json.dumps(event)
            return getattr(o, deferred.method_name)(context, event, **(deferred.kwargs or {}))
    except HevoJobFailed as failed:
        return failed


def comparable(outcome, pipeline_id: str, job_id: str):
    if isinstance(outcome, HevoJobFailed):
        return ("failed", str(outcome).replace(job_id, "J").replace(pipeline_id, "P"))
    assert SECRET not in json.dumps(outcome)
    keep = ("status", "outcome", "attached", "owned", "job_type", "events_ingested", "objects_failed")
    return ("result", {k: outcome[k] for k in keep})


@pytest.mark.parametrize("scenario", SCENARIOS, ids=str)
def test_trigger_and_worker_side_poll_wait_alike(hevo_conn, fast_client_retries, scenario):
    seen = {}
    for mode, deferrable, pipeline_id in (("deferred", True, "9008201"), ("worker", False, "9008202")):
        job_id, start = prepare(hevo_conn, pipeline_id, scenario)
        outcome = wait_in_mode(deferrable, pipeline_id, job_id, scenario)
        requests = requests_since(hevo_conn.sim, pipeline_id, start, {pipeline_id: "P", job_id: "J"})
        waited, concluded = requests[: len(scenario.requests)], requests[len(scenario.requests) :]
        assert waited == scenario.requests, mode
        if scenario.end == "terminal":
            assert concluded == [], mode
            assert not isinstance(outcome, HevoJobFailed) and outcome["status"] == scenario.status, mode
        elif scenario.end == "timeout":  # the task owns the job: cancelled at the deadline
            assert [r[:2] for r in concluded] == [CANCEL], mode
            assert "did not finish within" in str(outcome), mode
        else:  # an error: one more look, then a failure that leaves the job alone
            assert concluded == scenario.requests[-1:], mode
            assert "Lost track" in str(outcome) and "404" in str(outcome), mode
        seen[mode] = (comparable(outcome, pipeline_id, job_id), requests)
    assert seen["deferred"] == seen["worker"]
