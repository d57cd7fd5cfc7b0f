"""The Airflow pools a set of workflows needs: one per pipeline of an ``exclusive`` sync, and those they name.

Used by ``hevo-dagfactory pools`` (a deployment step) and by the demo, which creates them through the REST
API before it starts the runs. See docs/format.md, "One sync per pipeline at a time".
"""

from __future__ import annotations

from typing import Any


def required_pools(workflows: list[Any], *, named: bool = False) -> dict[str, dict[str, Any]]:
    """``{pool: {"slots", "description", "include_deferred"}}`` for the exclusive syncs (and named pools)."""
    from hevo_dagfactory.spec.model import pipeline_pool

    pools: dict[str, dict[str, Any]] = {}
    for w in workflows:
        for s in w.syncs:
            if s.exclusive:
                name = pipeline_pool(s.pipeline_id)
                users = pools.setdefault(name, {"slots": 1, "include_deferred": True, "_by": set()})["_by"]
                users.add(f"{w.dag_id}.{s.id}")
        if named:
            tasks = [(t.id, t.controls) for t in (*w.syncs, *w.steps)] + [("*", w.defaults.controls)]
            for task_id, controls in tasks:
                if controls.pool and controls.pool not in pools:
                    pools[controls.pool] = {"slots": 1, "include_deferred": False, "_by": set()}
                if controls.pool:
                    pools[controls.pool]["_by"].add(f"{w.dag_id}.{task_id}")
    for name, pool in pools.items():
        users = sorted(pool.pop("_by"))
        what = "one Hevo pipeline's syncs, one at a time" if name.startswith("hevo_pipeline_") else "named in workflows"
        pool["description"] = f"hevo-dagfactory: {what} ({', '.join(users)})"[:500]
    return dict(sorted(pools.items()))
