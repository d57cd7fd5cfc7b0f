"""Whether Airflow's OpenLineage provider will emit events in this process: installed and switched on.

Asked on the worker when a wait ends, never at parse time. Without the provider nothing is imported: the
look-up finds no module spec and stops there, so a deployment without ``hevo-dagfactory[openlineage]``
behaves exactly as before (no extra Hevo read, no ``openlineage`` module in ``sys.modules``).
"""

from __future__ import annotations

import importlib.util
import logging

log = logging.getLogger(__name__)

PROVIDER = "airflow.providers.openlineage"


def openlineage_active() -> bool:
    """True when the provider is installed and not disabled (``[openlineage] disabled``, no transport...)."""
    try:
        if importlib.util.find_spec(PROVIDER) is None:
            return False
    except (ImportError, ValueError):  # a broken or hidden installation counts as absent
        return False
    try:
        from airflow.providers.openlineage import conf

        return not conf.is_disabled()
    except Exception as exc:  # noqa: BLE001 - lineage must never fail a task
        log.warning("Could not ask the OpenLineage provider whether it is enabled; no lineage is collected: %s", exc)
        return False
