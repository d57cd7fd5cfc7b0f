"""Steer a simulated job by how often it has been read, not by the clock.

Why: tests that compare two ways of waiting (sync vs async client, trigger vs worker-side poll) must
see the same number of polls in both runs. A job that ends after N seconds ends after a number of
polls that depends on how loaded the machine is; a job that ends after its N-th read does not. A
watcher thread reads the simulator's request log and changes the job under the simulator's lock as
soon as the N-th read has been answered; the next read comes a poll interval later (the tests use
intervals of 0.3 s or more, far above the watcher's 5 ms step).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any


def job_reads(sim: Any, pipeline_id: str, job_id: str) -> int:
    """GETs of ``/pipelines/<pipeline_id>/jobs/<job_id>`` answered with 200 so far (the log entry gets its
    status only once the answer is made, so a change after this count never alters an answer counted)."""
    suffix = f"/pipelines/{pipeline_id}/jobs/{job_id}"
    return sum(1 for e in sim.request_log if e["method"] == "GET" and e["path"].endswith(suffix) and e["status"] == 200)


def sim_job(sim: Any, pipeline_id: str, job_id: str) -> Any:
    """The simulator's own record of a job (change it only under ``sim.state.lock``)."""
    with sim.state.lock:
        return next(j for j in sim.state.pipelines[str(pipeline_id)].jobs if j.job_id == job_id)


def end_now(status: str = "COMPLETED") -> Callable[[Any], None]:
    """A change that makes the job end now with ``status``."""

    def change(job: Any) -> None:
        job.final_status = status
        job.duration_s = max(time.time() - job.created, 0.0)

    return change


def after_reads(sim: Any, pipeline_id: str, job_id: str, reads: int, change: Callable[[Any], None]) -> threading.Thread:
    """Apply ``change`` to the job once it has been read ``reads`` times (watches for up to 60 s)."""

    def watch() -> None:
        end = time.time() + 60
        while time.time() < end:
            if job_reads(sim, pipeline_id, job_id) >= reads:
                job = sim_job(sim, pipeline_id, job_id)
                with sim.state.lock:
                    change(job)
                return
            time.sleep(0.005)

    thread = threading.Thread(target=watch, name=f"steer {job_id}", daemon=True)
    thread.start()
    return thread


def requests_since(sim: Any, pipeline_id: str, start: int, names: dict[str, str]) -> list[tuple[str, str, Any]]:
    """(method, path, status) of the pipeline's requests from log index ``start`` on.

    Path segments found in ``names`` are renamed (real ids → placeholders), so two runs compare."""
    out = []
    for entry in sim.request_log[start:]:
        if entry["pipeline_id"] != str(pipeline_id):
            continue
        path = "/".join(names.get(segment, segment) for segment in entry["path"].split("/"))
        out.append((entry["method"], path, entry["status"]))
    return out


def schedule_after_first_look(sim: Any, pipeline_id: str, in_s: float) -> threading.Thread:
    """Once the jobs list of a Hevo-scheduled pipeline has been read (answered), Hevo's scheduler runs
    ``in_s`` later: a wait-only task's first look then surely finds nothing, whatever the start-up took."""
    path = f"/api/v1/pipelines/{pipeline_id}/jobs"

    def watch() -> None:
        end = time.time() + 120
        while time.time() < end:
            if any(e["path"] == path and e["status"] == 200 for e in sim.request_log):
                with sim.state.lock:
                    sim.state.pipelines[str(pipeline_id)].next_scheduled_run = time.time() + in_s
                return
            time.sleep(0.005)

    thread = threading.Thread(target=watch, name=f"schedule {pipeline_id}", daemon=True)
    thread.start()
    return thread
