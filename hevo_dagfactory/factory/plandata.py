"""A build plan as data: its format, and putting its paths into the folder that replays it (no Airflow import).

Why apart from ``plan.py``: the cache reads and writes plans in processes that must not import
Airflow for it (reading a broken file's entry, say); recording and replaying a plan needs Airflow.
"""

from __future__ import annotations

import pickle
from typing import Any

FORMAT = 3

#: A build plan: ``{"format", "dag_id", "dag": kwargs, "tasks": [(task_id, class, kwargs)], "edges", "relocate"}``;
#: kwargs pickled when recorded, plain dicts once relocated.
#: ``relocate`` is None, or how many levels above the workflow's folder the marked anchor is
#: (``relocate.py``). A plan just recorded also has ``"anchor"``, which ``cache.store`` drops.
Plan = dict[str, Any]


def is_plan(value: Any) -> bool:
    return isinstance(value, dict) and value.get("format") == FORMAT and "tasks" in value


def kwargs_of(recorded: bytes | dict[str, Any]) -> dict[str, Any]:
    return pickle.loads(recorded) if isinstance(recorded, bytes) else recorded


def in_folder(plan: Plan, folder: str) -> Plan:
    """The plan with its marked paths put back, for a workflow file in ``folder`` (``KeyBuilder.anchor``)."""
    if plan["relocate"] is None:
        return plan
    from hevo_dagfactory.factory.relocate import anchor_in, rooted  # only plans with paths need it

    anchor = anchor_in(folder, plan["relocate"])
    tasks = [(task_id, cls, rooted(kwargs_of(kwargs), anchor)) for task_id, cls, kwargs in plan["tasks"]]
    return {**plan, "dag": rooted(kwargs_of(plan["dag"]), anchor), "tasks": tasks, "relocate": None}
