"""The host name each process of the cluster stack reports to Airflow (``[core] hostname_callable``).

On one machine every Airflow process would report the same host name, so a task instance's ``hostname`` could
not say which Celery worker ran it, nor a job row which triggerer or scheduler it is. The cluster stack gives
every process the name it has in the stack (``worker-1``, ``triggerer-2`` ...) in ``HEVO_DEMO_PROCESS``, as
each pod of a Kubernetes deployment has its own host name. Airflow imports this module in those processes.
"""

from __future__ import annotations

import os
import socket

PROCESS_VAR = "HEVO_DEMO_PROCESS"


def from_env() -> str:
    """The stack's name of this process, or the machine's host name outside the cluster stack."""
    return os.environ.get(PROCESS_VAR) or socket.getfqdn()
