"""Steps shared by the cluster tests: run a DAG and wait, wait for a task state, check one sync-now per sync."""

from __future__ import annotations

from typing import Any

from hevo_dagfactory.demo import RunWatch
from hevo_dagfactory.demo.cluster import ClusterStack
from hevo_dagfactory.demo.procs import wait_until


def wait_run(stack: ClusterStack, dag_id: str, run_id: str, timeout: float = 240.0) -> RunWatch:
    return stack.api.wait_for_run(dag_id, run_id, timeout=timeout, interval=1.0)


def task(watch: RunWatch, task_id: str) -> dict[str, Any]:
    return next(t for t in watch.task_instances if t["task_id"] == task_id)


def wait_task_state(
    stack: ClusterStack, dag_id: str, run_id: str, task_id: str, states: set[str], timeout: float = 120.0
) -> dict[str, Any]:
    """Block until the task instance is in one of ``states``; returns it."""
    seen: list[dict[str, Any]] = []

    def reached() -> bool:
        seen[:] = [stack.api.task_instance(dag_id, run_id, task_id)]
        return seen[0].get("state") in states

    wait_until(reached, timeout=timeout, what=f"{dag_id}.{task_id} to be {sorted(states)}", interval=0.5)
    return seen[0]


def assert_one_sync_now_each(stack: ClusterStack, pipelines: list[int], sim: Any = None) -> None:
    """Exactly one sync-now POST and one job per pipeline (no duplicate start, no lost one)."""
    sim = sim or stack.sim
    counts = sim.stats()["sync_now_posts"]
    posts = {pid: int(counts.get(str(pid), 0)) for pid in pipelines}
    assert posts == dict.fromkeys(pipelines, 1), f"sync-now POSTs per pipeline: {posts}"
    jobs = {pid: len(sim.jobs(pid)) for pid in pipelines}
    assert jobs == dict.fromkeys(pipelines, 1), f"Hevo jobs per pipeline: {jobs}"


def describe(stack: ClusterStack, watch: RunWatch) -> str:
    return f"states seen: {watch.seen}; logs in {stack.logs_dir}"
