"""Shared steps of the e2e tests: trigger a run and watch it, sampling the trigger table as it goes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hevo_dagfactory.demo import AirflowStack, RunWatch, TriggerRow

TRIGGER_CLASSPATH = "hevo_dagfactory.provider.triggers.job.HevoJobTrigger"


@dataclass
class Observed:
    """A finished run plus what was seen while it ran."""

    run_id: str
    watch: RunWatch
    triggers: list[TriggerRow] = field(default_factory=list)

    def ti(self, task_id: str) -> dict[str, Any]:
        return next(t for t in self.watch.task_instances if t["task_id"] == task_id)

    def triggerer_ids(self, task_id: str) -> set[int]:
        return {t.triggerer_id for t in self.triggers if t.task_id == task_id and t.triggerer_id is not None}


def run_dag(stack: AirflowStack, dag_id: str, *, timeout: float = 150.0, on_sample: Any = None) -> Observed:
    """Trigger ``dag_id`` and wait for the run, recording every trigger row of the DAG seen meanwhile."""
    run_id = stack.api.trigger(dag_id)
    seen: list[TriggerRow] = []

    def sample(watch: RunWatch) -> None:
        for row in stack.db.triggers(dag_id):
            if row not in seen:
                seen.append(row)
        if on_sample is not None:
            on_sample(watch)

    watch = stack.api.wait_for_run(dag_id, run_id, timeout=timeout, interval=0.4, on_sample=sample)
    return Observed(run_id, watch, seen)


def dbt_result(stack: AirflowStack, dag_id: str, run_id: str, task_id: str = "dbt_run", attempt: int = 1) -> Any:
    """What the real dbt of a task's try did (its run_results.json), or None when the task never ran dbt."""
    return stack.dbt.result(dag_id, run_id, task_id, attempt)


def describe(obs: Observed, stack: AirflowStack) -> str:
    """Context for assertion messages: states seen per task and where the logs are."""
    return f"states seen: {obs.watch.seen}; triggers seen: {obs.triggers}; logs: {stack.logs_dir}"
