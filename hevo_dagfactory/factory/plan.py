"""Build plans: the constructor calls that make one workflow's DAG, cached next to the model.

Why: a worker about to run one task must load its DAG about as fast as a hand-written DAG file
(issue target: at most 1.5x). Building from the cached ``Workflow`` needs the model's classes
(importing ``spec.model`` alone costs more than a hand-written one-DAG file), the builders and the
doc generator. A plan is what those produce, recorded while the DAG is built the first time:

    {"format": 1, "dag_id": ..., "dag": {DAG kwargs}, "tasks": [(operator class, kwargs), ...],
     "edges": [(task_id, (upstream task ids...)), ...]}

Replaying it (:func:`materialize`) makes the same ``DAG(...)`` and operator calls a hand-written
file makes, and nothing else. Values are plain data plus the Airflow objects the builders passed
(Assets, the timetable), so a plan is valid only for the Airflow version and factory code it was
recorded with: ``cache.code_fingerprint()`` covers both. A plan is recorded only when every task
was made through :meth:`BuildContext.make <hevo_dagfactory.factory.steps.BuildContext.make>`;
otherwise (a builder of a plug-in kind that calls its operator itself) there is none and the DAG
is built from the model every time.
"""

from __future__ import annotations

import copy
from typing import Any

from hevo_dagfactory.provider.compat import DAG

FORMAT = 1

#: A build plan: ``{"format", "dag_id", "dag": DAG kwargs, "tasks": [(class, kwargs)], "edges": [...]}``.
Plan = dict[str, Any]


def start(dag_id: str, dag_kwargs: dict[str, Any]) -> Plan:
    """A new plan whose DAG is ``DAG(**dag_kwargs)``.

    Arguments are recorded as copies, before Airflow gets (and may change) the originals.
    """
    return {"format": FORMAT, "dag_id": dag_id, "dag": copy.deepcopy(dag_kwargs), "tasks": [], "edges": []}


def add_task(plan: Plan | None, cls: type, kwargs: dict[str, Any]) -> None:
    if plan is not None:
        plan["tasks"].append((cls, copy.deepcopy(kwargs)))


def add_edges(plan: Plan | None, task_id: str, upstream: tuple[str, ...]) -> None:
    if plan is not None:
        plan["edges"].append((task_id, tuple(upstream)))


def finish(plan: Plan | None, dag: DAG) -> Plan | None:
    """The plan if it reproduces ``dag`` task for task, else None (a task was made some other way)."""
    if plan is None:
        return None
    recorded = [kwargs.get("task_id") for _, kwargs in plan["tasks"]]
    if sorted(recorded) != sorted(dag.task_ids) or len(set(recorded)) != len(recorded):
        return None
    return plan


def is_plan(value: Any) -> bool:
    return isinstance(value, dict) and value.get("format") == FORMAT and "tasks" in value


def materialize(plan: Plan) -> DAG:
    """The DAG the plan describes: ``DAG(**kwargs)``, each operator with ``dag=dag``, the edges.

    The plan must be a fresh copy (the cache unpickles one per call): Airflow may keep and change
    the objects it is given.
    """
    dag = DAG(**plan["dag"])
    tasks = {}
    for cls, kwargs in plan["tasks"]:
        task = cls(dag=dag, **kwargs)
        tasks[task.task_id] = task
    for task_id, upstream in plan["edges"]:
        tasks[task_id].set_upstream([tasks[u] for u in upstream])
    return dag
