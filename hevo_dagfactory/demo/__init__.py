"""A real local Airflow stack for ``hevo-dagfactory demo`` and the e2e tests.

``AirflowStack`` (stack.py) starts the Hevo simulator, scheduler, dag-processor, triggerer and api-server in a
throw-away AIRFLOW_HOME and stops them all again; ``AirflowClient`` (client.py) drives and inspects Airflow over
its REST API; ``MetaDB`` (metadb.py) reads what the API does not show. Nothing here imports Airflow: the stack's
processes do.
"""

from hevo_dagfactory.demo.client import AirflowApiError, AirflowClient, RunWatch
from hevo_dagfactory.demo.metadb import MetaDB, TriggerRow
from hevo_dagfactory.demo.procs import ManagedProcess, StackError
from hevo_dagfactory.demo.simproc import SimulatorAdmin, SimulatorProcess
from hevo_dagfactory.demo.stack import AirflowStack

__all__ = [
    "AirflowApiError",
    "AirflowClient",
    "AirflowStack",
    "ManagedProcess",
    "MetaDB",
    "RunWatch",
    "SimulatorAdmin",
    "SimulatorProcess",
    "StackError",
    "TriggerRow",
]
