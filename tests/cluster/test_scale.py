"""Scale across processes: 100 deferrable syncs over two workers and two triggerers on one rate-limited Hevo user.

Every process of the cluster shares one rate budget through Redis (``HEVO_DAGFACTORY_RATE_STORE``), so the
processes together stay within the user's limit: 100/100 syncs succeed with one sync-now each, and at most
2 % of the requests are answered 429. The figure (syncs ok, requests, 429s, each process's share) is printed.
See scale.py for how time is scaled down.
"""

from __future__ import annotations

from collections import Counter

import pytest

from .cluster_helpers import assert_one_sync_now_each
from .scale import SCALE_CONN_ID, TIME_SCALE, job_seconds, scale_dag_ids, scale_pipelines

pytestmark = [pytest.mark.cluster]


def _process(agent: str | None) -> str:
    """``hevo-dagfactory (worker-1)`` -> ``worker-1``: the User-Agent each process's connection sends."""
    text = agent or "?"
    return text[text.find("(") + 1 : text.rfind(")")] if "(" in text else text


def test_100_deferrable_syncs_spread_over_the_cluster_stay_within_one_users_rate_limit(cluster, capsys):
    stack = cluster
    sim = stack.extra_simulators[SCALE_CONN_ID].admin
    pipelines = scale_pipelines()
    for pid in pipelines:
        sim.script(pid, job_duration_s=job_seconds(pid))
    runs = {dag_id: stack.api.trigger(dag_id) for dag_id in scale_dag_ids()}

    watches = {
        dag_id: stack.api.wait_for_run(dag_id, run_id, timeout=900, interval=3.0) for dag_id, run_id in runs.items()
    }

    stats, log = sim.stats(), sim.requests()
    syncs = [(d, runs[d], t) for d, w in watches.items() for t in w.task_instances if t["task_id"].startswith("p")]
    ok = [s for s in syncs if s[2]["state"] == "success"]
    shares = Counter(_process(entry.get("agent")) for entry in log)
    workers = Counter(str(t["hostname"]) for _, _, t in syncs)
    triggerers = Counter(name for d, r, t in syncs for name in stack.triggerers_of(d, r, t["task_id"]))
    share_text = ", ".join(f"{name} {count / len(log):.0%}" for name, count in sorted(shares.items()))
    with capsys.disabled():
        print(
            f"\nscale (time x{TIME_SCALE}): {len(ok)}/{len(pipelines)} syncs ok, {stats['requests']} requests, "
            f"{stats['rate_limited']} answered 429 ({stats['rate_limited'] / max(1, stats['requests']):.1%}), "
            f"most in one window {stats['max_requests_in_window']} of {stats['rate_limit']['limit']}; "
            f"requests per process: {share_text}; syncs finished on {dict(workers)}; triggers ran on "
            f"{dict(triggerers)}"
        )

    assert len(syncs) == len(pipelines) == 100
    assert len(ok) == 100, [(d, t["task_id"], t["state"]) for d, _, t in syncs if t["state"] != "success"]
    assert all(w.state == "success" for w in watches.values()), {d: w.state for d, w in watches.items()}
    assert_one_sync_now_each(stack, pipelines, sim=sim)
    assert stats["rate_limited"] <= 0.02 * stats["requests"], stats
    assert len(workers) == 2 and len(triggerers) == 2, (workers, triggerers)
