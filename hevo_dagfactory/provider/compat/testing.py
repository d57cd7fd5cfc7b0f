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


# --- test support: reading what a run left in the metadata DB ------------------------------
def task_xcoms(dag_id: str, run_id: str, task_id: str) -> dict[str, Any]:
    """Every XCom of one task instance, deserialized (Airflow 3 keeps them serialized in ``XComModel``)."""
    from airflow.utils.session import create_session

    try:
        from airflow.models.xcom import XComModel

        value_of = XComModel.deserialize_value
    except ImportError:  # pragma: no cover - Airflow 2.x: the ORM class is XCom itself and deserializes on load
        from airflow.models.xcom import XCom as XComModel  # type: ignore[no-redef]

        def value_of(row: Any) -> Any:
            return row.value

    with create_session() as session:
        rows = session.query(XComModel).filter_by(dag_id=dag_id, run_id=run_id, task_id=task_id).all()
        return {row.key: value_of(row) for row in rows}


def asset_events(dag_id: str, run_id: str) -> list[dict[str, Any]]:
    """The Asset (Dataset) events a DAG run's tasks emitted: ``{uri, task_id, extra}``, in the order written."""
    from airflow.utils.session import create_session

    if AIRFLOW_3:
        from airflow.models.asset import AssetEvent as Event
    else:  # pragma: no cover - Airflow 2.x
        from airflow.models.dataset import DatasetEvent as Event  # type: ignore[no-redef]
    with create_session() as session:
        rows = session.query(Event).filter_by(source_dag_id=dag_id, source_run_id=run_id).order_by(Event.id).all()
        return [
            {
                "uri": (row.asset if AIRFLOW_3 else row.dataset).uri,
                "task_id": row.source_task_id,
                "extra": dict(row.extra or {}),
            }
            for row in rows
        ]


def unpause(dag_id: str) -> None:
    """Let the scheduler consider a DAG (test DAGs are created paused)."""
    from airflow.models.dag import DagModel
    from airflow.utils.session import create_session

    with create_session() as session:
        session.query(DagModel).filter_by(dag_id=dag_id).update({"is_paused": False})


def dags_due_on_assets() -> set[str]:
    """The DAGs whose Asset (Dataset) condition is met: the ones the scheduler would start a run of now."""
    from airflow.models.dag import DagModel
    from airflow.utils.session import create_session

    with create_session() as session:
        _, triggered = DagModel.dags_needing_dagruns(session)
        return set(triggered)
