"""A real local Airflow stack for ``hevo-dagfactory demo`` and the e2e tests.

``AirflowStack`` (stack.py) starts the Hevo simulator and the Airflow components of the installed line in a
throw-away AIRFLOW_HOME and stops them all again; what the line needs (processes, executor, settings, REST API
shape) is data from ``compat.stack_profile()``, applied by stackenv.py. ``AirflowClient`` (client.py) drives and
inspects Airflow over its REST API; ``MetaDB`` (metadb.py) reads what the API does not show; ``TriggererPool``
(triggerers.py) adds and watches triggerers for the fault tests. Nothing here imports Airflow: the stack's
processes do (tests/test_layers.py).
"""

from hevo_dagfactory.demo.client import AirflowApiError, AirflowClient, RunWatch
from hevo_dagfactory.demo.metadb import MetaDB, TriggerRow
from hevo_dagfactory.demo.procs import ManagedProcess, StackError
from hevo_dagfactory.demo.simproc import SimulatorAdmin, SimulatorProcess
from hevo_dagfactory.demo.stack import AirflowStack
from hevo_dagfactory.demo.triggerers import TriggererPool

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
    "TriggererPool",
]
