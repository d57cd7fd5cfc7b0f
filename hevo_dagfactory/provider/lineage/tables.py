"""The destination tables a sync loaded, as Airflow Asset events added through the task's Asset aliases.

Why aliases (docs/decisions.md): which tables a job loads is known only when it ends (Hevo adds objects when
the source gains tables; a failed object loaded nothing), and the table's URI needs the destination's
location, which only Hevo knows. Parse time never talks to Hevo, so the task carries an ``AssetAlias``
(``DatasetAlias`` on Airflow 2) and, when the wait ends, adds one event per loaded table to it; a DAG
scheduled on the table's Asset then runs, on both Airflow lines. An event is kept only if the task succeeds.

The extra of each event is flat (Airflow 2 hashes it): pipeline, job, status and the table's loaded events.
"""

from __future__ import annotations

import logging
from typing import Any

from hevo_dagfactory.provider.compat import Asset, AssetAlias, get_current_context


def table_aliases(outlets: Any) -> list[Any]:
    """The Asset aliases among a task's outlets: each receives the loaded tables."""
    return [o for o in (outlets or []) if isinstance(o, AssetAlias)]


def emit_table_events(aliases: list[Any], result: dict[str, Any], log: logging.Logger | Any) -> list[str]:
    """Add an event per loaded table (``result["lineage"]["outputs"]``) to each alias; the URIs added.

    Never raises: a table whose URI Airflow refuses (a provider's URI rules) is skipped with a warning.
    """
    outputs = (result.get("lineage") or {}).get("outputs") or []
    if not aliases or not outputs:
        return []
    try:
        events = get_current_context()["outlet_events"]
    except Exception as exc:  # noqa: BLE001 - Asset events must never fail the task
        log.warning("No Asset events for the loaded tables: the task context has no outlet events (%s).", exc)
        return []
    common = {
        "hevo_pipeline_id": str(result.get("pipeline_id")),
        "hevo_job_id": result.get("job_id"),
        "hevo_job_status": result.get("status"),
    }
    added: list[str] = []
    for output in outputs:
        uri = output.get("uri")
        if not uri or uri in added:
            continue
        try:
            asset = Asset(uri=uri)
            for alias in aliases:
                events[alias].add(asset, extra={**common, "events_loaded": output.get("events_loaded")})
        except Exception as exc:  # noqa: BLE001 - one odd table name must not cost the others
            log.warning("Table %s is not emitted as an Asset: %s", uri, exc)
            continue
        added.append(uri)
    if added:
        log.info("Asset events for %d loaded table(s): %s", len(added), ", ".join(added[:20]))
    return added
