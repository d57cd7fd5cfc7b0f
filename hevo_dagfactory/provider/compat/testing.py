"""Test support that differs by line: the DagBag class and writing DAGs to the metadata DB."""

from __future__ import annotations

from typing import Any

from hevo_dagfactory.provider.compat.version import AIRFLOW_3


# --- test support: the DagBag and writing DAGs to the metadata DB -------------------------
def add_dag_to_bag(bag: Any, dag: Any) -> None:
    """``bag.bag_dag(dag)``; Airflow 2.x also wants the root DAG (the DAG itself: no SubDAGs here)."""
    if AIRFLOW_3:
        bag.bag_dag(dag)
    else:
        bag.bag_dag(dag, root_dag=dag)


def sync_dag_bag_to_db(bag: Any) -> None:
    """Make ``dag.test()`` possible for the DAGs of ``bag`` on either line.

    Airflow 3 runs a test DAG run from its serialized version (needs the bundle and a
    DagVersion row); Airflow 2 writes DagModel/SerializedDagModel rows with ``bag.sync_to_db()``.
    """
    if AIRFLOW_3:
        from airflow.dag_processing.bundles.manager import DagBundlesManager
        from airflow.dag_processing.dagbag import sync_bag_to_db

        DagBundlesManager().sync_bundles_to_db()
        sync_bag_to_db(bag, "dags-folder", None)
    else:
        bag.sync_to_db()


def dag_bag_class() -> Any:
    """The ``DagBag`` class, imported on demand (tests, bench): importing it eagerly would slow every DAG parse."""
    try:
        from airflow.dag_processing.dagbag import DagBag
    except ImportError:  # pragma: no cover - Airflow 2.x
        from airflow.models.dagbag import DagBag  # type: ignore[no-redef]
    return DagBag
