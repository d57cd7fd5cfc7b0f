"""Build plans: the constructor calls that make one workflow's DAG, cached next to the model.

Why: a worker about to run one task must load its DAG about as fast as a hand-written DAG file
(issue target: at most 1.5x). Building from the cached ``Workflow`` needs the model's classes
(importing ``spec.model`` alone costs more than a hand-written one-DAG file), the builders and the
doc generator. A plan is what those produce, recorded while the DAG is built the first time:

    {"format": 3, "dag_id": ..., "dag": <DAG kwargs>, "tasks": [(task_id, operator class, <kwargs>), ...],
     "edges": [(task_id, (upstream task ids...)), ...], "relocate": None or levels up}

where ``<kwargs>`` are pickled, taken before Airflow got (and may have changed) the objects.

Replaying it (:func:`materialize`) makes the same ``DAG(...)`` and operator calls a hand-written
file makes, and nothing else. Values are plain data plus the Airflow objects the builders passed
(Assets, the timetable), so a plan is valid only for the Airflow version and factory code it was
recorded with: ``cachekeys.code_fingerprint()`` covers both. Paths under the workflow file's folder
are recorded as a marker (``relocate.py``; ``"relocate"`` says where it is), so the plan also
serves another checkout of the same file. A plan is recorded only when every task was made through
:meth:`BuildContext.make <hevo_dagfactory.factory.steps.BuildContext.make>`; otherwise (a builder
of a plug-in kind that calls its operator itself) there is none and the DAG is built from the
model every time.
"""

from __future__ import annotations

from typing import Any

from hevo_dagfactory.factory.plandata import FORMAT, Plan, in_folder, is_plan, kwargs_of
from hevo_dagfactory.provider.compat import DAG

__all__ = ["FORMAT", "Plan", "Recorder", "in_folder", "is_plan", "materialize"]


class Recorder:
    """Records a plan while its DAG is built: arguments taken before Airflow gets (and may change) them."""

    def __init__(self, dag_id: str, dag_kwargs: dict[str, Any], anchor: str, up: int):
        from hevo_dagfactory.factory.relocate import Snapshot  # recording only: a replay needs no relocate module

        self._snapshot = Snapshot(anchor)
        self._up = up
        self.plan: Plan = {
            "format": FORMAT,
            "dag_id": dag_id,
            "dag": self._snapshot.take(dag_kwargs),
            "tasks": [],
            "edges": [],
            "relocate": None,
            "anchor": anchor,
        }

    def add_task(self, cls: type, kwargs: dict[str, Any]) -> None:
        self.plan["tasks"].append((kwargs.get("task_id"), cls, self._snapshot.take(kwargs)))

    def add_edges(self, task_id: str, upstream: tuple[str, ...]) -> None:
        self.plan["edges"].append((task_id, tuple(upstream)))

    def finish(self, dag: DAG) -> Plan | None:
        """The plan if it reproduces ``dag`` task for task, else None (a task was made some other way)."""
        recorded = [task_id for task_id, _, _ in self.plan["tasks"]]
        if sorted(recorded) != sorted(dag.task_ids) or len(set(recorded)) != len(recorded):
            return None
        self.plan["relocate"] = self._up if self._snapshot.replaced else None
        return self.plan


def materialize(plan: Plan) -> DAG:
    """The DAG the plan describes: ``DAG(**kwargs)``, each operator with ``dag=dag``, the edges.

    The plan must be a fresh copy (the cache unpickles one per call) with its paths in place
    (:func:`in_folder`): Airflow may keep and change the objects it is given.
    """
    dag = DAG(**kwargs_of(plan["dag"]))
    tasks = {}
    for _, cls, kwargs in plan["tasks"]:
        task = cls(dag=dag, **kwargs_of(kwargs))
        tasks[task.task_id] = task
    for task_id, upstream in plan["edges"]:
        tasks[task_id].set_upstream([tasks[u] for u in upstream])
    return dag
