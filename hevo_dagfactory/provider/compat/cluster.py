"""How a production-shaped local stack of this line is run (``make demo-cluster``, ``make test-cluster``), as data.

The same contract as ``stack_profile()`` (the harness follows it blindly), plus what a cluster needs: PostgreSQL
as the metadata DB, the CeleryExecutor on Redis, two schedulers, two triggerers, two Celery workers and the
workflows from a GitDagBundle. Printed by ``python -m hevo_dagfactory.provider.compat cluster``.
"""

from __future__ import annotations

import importlib
from typing import Any

from hevo_dagfactory.provider.compat.stack import stack_profile
from hevo_dagfactory.provider.compat.version import AIRFLOW_3, AIRFLOW_VERSION

GIT_CONN_ID = "hevo_workflows_git"
#: What the cluster imports, and the pip requirement that brings it (celery 5.7 breaks the Celery provider).
REQUIREMENTS = {
    "airflow.providers.celery.executors.celery_executor": "apache-airflow-providers-celery 'celery<5.7'",
    "airflow.providers.git.bundles.git": "apache-airflow-providers-git",
    "psycopg2": "psycopg2-binary",
    "asyncpg": "asyncpg",
    "redis": "redis",
}
_DB = "{db_user}:{db_password}@127.0.0.1:{db_port}/{db_name}"


def missing_requirements() -> list[str]:
    """Pip requirements of the cluster whose module cannot be imported here, each with the import error."""
    missing = []
    for module, requirement in REQUIREMENTS.items():
        try:
            importlib.import_module(module)
        except Exception as exc:  # noqa: BLE001 - any import failure (celery 5.7: ImportError deep inside) counts
            missing.append(f"{requirement} ({type(exc).__name__}: {exc})")
    return missing


def _cluster_env(base: dict[str, Any]) -> dict[str, Any]:
    """The local profile's settings, with PostgreSQL, Celery on Redis and the Git DAG bundle."""
    env = {section: dict(values) for section, values in base["env"].items()}
    env["DATABASE"] = {"SQL_ALCHEMY_CONN": f"postgresql+psycopg2://{_DB}"}
    env["CELERY"] = {
        "BROKER_URL": "redis://127.0.0.1:{redis_port}/0",
        "RESULT_BACKEND": f"db+postgresql+psycopg2://{_DB}",
        "WORKER_CONCURRENCY": "{worker_concurrency}",
    }
    # Airflow's own default, said explicitly: without it every Celery process warns at start.
    env["CELERY_BROKER_TRANSPORT_OPTIONS"] = {"VISIBILITY_TIMEOUT": "86400"}
    env["CORE"]["PARALLELISM"] = "64"
    # Eight Airflow processes and up to a dozen task processes share two cores: a task's calls to the
    # Execution API can wait longer than the 5 s default (Airflow's advice for high load: raise it).
    env["WORKERS"] = {"EXECUTION_API_TIMEOUT": "30"}
    bundle = {
        "name": "hevo-workflows",
        "classpath": "airflow.providers.git.bundles.git.GitDagBundle",
        "kwargs": {"git_conn_id": GIT_CONN_ID, "tracking_ref": "{bundle_branch}", "subdir": "{bundle_subdir}"},
    }
    env["DAG_PROCESSOR"].update({"DAG_BUNDLE_STORAGE_PATH": "{home}/dag-bundles", "DAG_BUNDLE_CONFIG_LIST": [bundle]})
    return env


def _cluster_processes(base: dict[str, Any]) -> dict[str, list[str]]:
    """api-server, two schedulers, the dag-processor, two triggerers, two Celery workers (in start order)."""
    scheduler, triggerer = ["scheduler", "--skip-serve-logs"], ["triggerer", "--skip-serve-logs"]
    worker = ["celery", "worker", "--celery-hostname", "{process}@127.0.0.1", "--skip-serve-logs"]
    worker += ["--concurrency", "{worker_concurrency}"]
    processes = {"api-server": base["processes"]["api-server"]}
    processes.update({"scheduler-1": scheduler, "scheduler-2": scheduler, "dag-processor": ["dag-processor"]})
    processes.update({"triggerer-1": triggerer, "triggerer-2": triggerer, "worker-1": worker, "worker-2": worker})
    return processes


def cluster_profile() -> dict[str, Any]:
    """``stack_profile()`` for a cluster: the same keys, other processes and settings, and these additions.

    ``unavailable``: why this line or install cannot run the cluster (None when it can). ``connections``:
    conn id -> connection (set as ``AIRFLOW_CONN_<ID>`` JSON). ``roles``: role -> process names (for the fault
    tests and the result table). ``trigger_log_glob``: where a triggerer writes a deferred task's trigger log
    (``.trigger.<job id>.log``, relative to the log folder; fields ``{dag_id} {run_id} {task_id}``). Extra
    fields: ``{process}`` (the process's own name), ``{db_user} {db_password} {db_port} {db_name}
    {redis_port} {bundle_repo} {bundle_branch} {bundle_subdir} {worker_concurrency}``.
    A non-string ``env`` value is filled field by field and set as JSON.
    """
    base = stack_profile()
    if not AIRFLOW_3:
        why = f"the cluster stack needs Airflow 3.3 (GitDagBundle, dag-processor); this is Airflow {AIRFLOW_VERSION}"
        return {**base, "unavailable": why}
    missing = missing_requirements()
    return {
        **base,
        "unavailable": "the cluster needs packages this environment lacks: " + "; ".join(missing) if missing else None,
        "executor": "CeleryExecutor",
        "processes": _cluster_processes(base),
        "roles": {
            "scheduler": ["scheduler-1", "scheduler-2"],
            "triggerer": ["triggerer-1", "triggerer-2"],
            "worker": ["worker-1", "worker-2"],
        },
        "healthy": [*base["healthy"], "metadatabase"],
        "connections": {GIT_CONN_ID: {"conn_type": "git", "host": "{bundle_repo}"}},
        "trigger_log_glob": "dag_id={dag_id}/run_id={run_id}/task_id={task_id}/attempt=*.log.trigger.*.log",
        "env": _cluster_env(base),
    }
