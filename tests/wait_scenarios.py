"""The scenarios every way of waiting for a Hevo job goes through, with the requests each must make.

Used by tests/hevo/test_wait_flow.py (sync vs async client) and tests/provider/test_wait_modes.py
(the trigger vs the worker-side poll). Each scenario names the exact request sequence Hevo must see
while the job is waited for, so two drivers that pass both make the same requests: the proof that
they share one flow. Jobs end by how often they were read (tests/sim_steer.py), never by the clock,
so the number of polls does not depend on the machine's load.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sim_steer import after_reads, end_now

from hevo_dagfactory.hevo import EdgeClient, RetryPolicy
from hevo_dagfactory.simulator import PipelineScript

JOB = "/api/v1/pipelines/P/jobs/J"
#: One attempt per call in the client: what is left over reaches the wait flow's own error budget.
ONE_ATTEMPT = RetryPolicy(max_attempts=1)


@dataclass(frozen=True)
class Scenario:
    name: str
    end: str  # terminal | timeout | error
    requests: list[tuple[str, str, Any]]  # (method, path with P and J for the ids, status)
    script: dict[str, Any] = field(default_factory=dict)
    faults: dict[str, Any] = field(default_factory=dict)  # set on the script once the job runs
    steer: tuple[int, Any] | None = None  # (answered reads, change) applied to the job
    missing_job: bool = False  # wait for a job id Hevo does not know
    poll_interval: float = 0.3
    timeout: float | None = None  # the wait's deadline, seconds from its start
    outcome: str | None = None  # for terminal ends
    status: str | None = None  # Hevo's last job status (terminal, timeout)

    def __str__(self) -> str:
        return self.name


SCENARIOS = [
    Scenario(
        "success after several polls",
        "terminal",
        [("GET", JOB, 200)] * 4,
        script={"job_duration_s": 600},
        steer=(3, end_now("COMPLETED")),
        outcome="success",
        status="COMPLETED",
    ),
    Scenario(
        "429, 5xx and a dropped connection, then success",
        "terminal",
        [("GET", JOB, 429), ("GET", JOB, 503), ("GET", JOB, "dropped"), ("GET", JOB, 200)],
        script={"job_duration_s": 0},
        faults={"rate_limit_next": 1, "fail_next": 1, "drop_next": 1, "retry_after": "1"},
        poll_interval=0.1,
        outcome="success",
        status="COMPLETED",
    ),
    Scenario("a job Hevo does not know (404)", "error", [("GET", JOB, 404)], missing_job=True),
    Scenario(  # reads at 0, 0.4, 1.0, 1.9 s (x1.5); the next would be at 3.25 s, past the deadline
        "the deadline, polling at a growing interval",
        "timeout",
        [("GET", JOB, 200)] * 4,
        script={"job_duration_s": 600},
        poll_interval=0.4,
        timeout=2.6,
        status="IN_PROGRESS",
    ),
    Scenario(  # 503s at 0, 0.4, 1.2 s (waits 2x, 4x, 8x the interval, cut at the deadline)
        "5xx until the deadline, backing off exponentially",
        "timeout",
        [("GET", JOB, 503)] * 3,
        script={"job_duration_s": 600},
        faults={"fail_next": 1000},
        poll_interval=0.2,
        timeout=2.0,
    ),
    Scenario(
        "an unknown status counts as running",
        "terminal",
        [("GET", JOB, 200)] * 3,
        script={"job_duration_s": 0, "final_status": "SOME_NEW_STATE"},
        steer=(2, end_now("COMPLETED")),
        outcome="success",
        status="COMPLETED",
    ),
]


def prepare(hevo_sim: Any, pipeline_id: str, scenario: Scenario) -> tuple[str, int]:
    """Add the pipeline, start its job (sync client), arm faults and steering.

    Returns (the job id to wait for, the request-log index from which the wait's requests count).
    """
    sim = hevo_sim.sim
    sim.add_pipeline(pipeline_id, PipelineScript(**scenario.script))
    if scenario.missing_job:
        job_id = "no-such-job"
    else:
        with EdgeClient(hevo_sim.url, hevo_sim.api_key, hevo_sim.api_secret) as client:
            job_id = client.start_job(pipeline_id).job.job_id
    script = sim.script(pipeline_id)
    for key, value in scenario.faults.items():
        setattr(script, key, value)
    if scenario.steer:
        reads, change = scenario.steer
        after_reads(sim, pipeline_id, job_id, reads, change)
    return job_id, len(sim.request_log)
