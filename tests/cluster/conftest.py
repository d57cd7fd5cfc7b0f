"""One production-shaped cluster for every test of this folder (``make test-cluster``; ``make test`` skips them).

PostgreSQL, Redis, the CeleryExecutor with two workers, two schedulers, one dag-processor, two triggerers and
the api-server, with the workflows committed to a Git DAG bundle (hevo_dagfactory.demo.ClusterStack). Start-up
costs about a minute, so the stack is shared; every test owns its DAG ids and pipeline ids, and a fault test
faults only processes or servers whose loss the other tests' runs do not see (it restarts what it killed).

Selection: these tests carry the ``cluster`` marker and are deselected unless ``-m`` names it, so the plain
``pytest`` of ``make test`` never starts a cluster.
"""

from __future__ import annotations

import shutil
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from hevo_dagfactory.demo.cluster import ClusterStack

from .scale import SCALE_HEVO, scale_workflows

HEADER = """\
schedule: null
start_date: 2026-01-01
owner: cluster-tests
tags: [cluster]
hevo: {connection_id: hevo_airflow_conn_id, region: us}
sync_defaults: {poll_interval: 1s}
"""
NO_RETRIES = "defaults: {retries: 0}\n"


def workflow(dag_id: str, body: str) -> str:
    """A workflow file's text: the shared header, then ``body`` (YAML, dedented; no ``defaults``: no retries)."""
    body = textwrap.dedent(body).strip()
    return f"dag_id: {dag_id}\n{HEADER}{'' if body.startswith('defaults:') else NO_RETRIES}{body}\n"


# dag_id -> body; committed in the bundle's first commit (tests commit their own later ones).
WORKFLOWS: dict[str, str] = {
    "cl_versioned": """
        syncs:
          - {id: sync, pipeline_id: 920201}
        steps:
          - id: report
            bash: echo "cl_versioned step of version-1"
    """,
    "cl_neighbour": """
        syncs:
          - {id: sync, pipeline_id: 920601}
        steps:
          - id: done
            bash: echo "a neighbour of the broken file"
    """,
    # Worker-side poll (no deferral), one retry: a killed worker's task must attach on its retry.
    "cl_poll": """
        defaults: {retries: 1, retry_delay: 2s}
        syncs:
          - {id: sync, pipeline_id: 920301, wait: poll, poll_interval: 2s}
        steps:
          - id: done
            bash: echo "synced by a worker-side poll"
    """,
    "cl_ha": """
        syncs:
          - {id: sync_a, pipeline_id: 920401}
          - {id: sync_b, pipeline_id: 920402}
          - {id: sync_c, pipeline_id: 920403}
          - {id: sync_d, pipeline_id: 920404}
        steps:
          - id: done
            bash: echo "every sync finished"
    """,
    "cl_pg": """
        syncs:
          - {id: sync_a, pipeline_id: 920501}
          - {id: sync_b, pipeline_id: 920502}
        steps:
          - id: done
            bash: echo "both syncs finished"
    """,
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the cluster tests unless the ``-m`` expression names ``cluster`` (``make test-cluster`` does)."""
    if "cluster" in (config.option.markexpr or ""):
        return
    here = Path(__file__).parent
    keep = [item for item in items if here not in Path(str(item.fspath)).parents]
    if len(keep) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in keep])
        items[:] = keep


@pytest.fixture(scope="package")
def cluster(request: pytest.FixtureRequest) -> Iterator[ClusterStack]:
    """The shared cluster, started once for the package and stopped after its last test."""
    from hevo_dagfactory.provider.compat import AIRFLOW_3, AIRFLOW_VERSION

    if not AIRFLOW_3:
        pytest.skip(f"the cluster stack needs Airflow 3.3 (make test-cluster); this is Airflow {AIRFLOW_VERSION}")
    root = Path(tempfile.mkdtemp(prefix="hevo-cluster-"))
    root.chmod(0o711)  # PostgreSQL's OS user must pass through to its data folder under the stack's home
    files = {f"{dag_id}.yaml": workflow(dag_id, body) for dag_id, body in WORKFLOWS.items()}
    files.update(scale_workflows())
    stack = ClusterStack(
        root / "home",
        workflows=files,
        extra_hevo=(SCALE_HEVO,),
        worker_concurrency=8,
        triggerer_capacity=60,  # the scale test's 100 deferred syncs need both triggerers
        extra_env={
            # A SIGKILLed worker's task is failed (and retried) 60 s after its last heartbeat, not 5 minutes;
            # not less, so a heartbeat delayed by a slow Execution API on a busy machine is never taken for one.
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "60",
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "5",
        },
    )
    with stack:
        stack.api.wait_for_dags(sorted(d.removesuffix(".yaml") for d in files), timeout=180)
        for name in files:
            stack.api.unpause(name.removesuffix(".yaml"))
        yield stack
    if not request.session.testsfailed:  # keep logs and the metadata dump only for a failure to read
        shutil.rmtree(root, ignore_errors=True)
