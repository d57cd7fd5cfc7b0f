"""Connection lookups that never block the triggerer's event loop, on both lines."""

from __future__ import annotations

from typing import Any

from hevo_dagfactory.provider.compat.names import AirflowNotFoundException, BaseHook


# --- async connection lookup ------------------------------------------------------------
async def aget_connection(conn_id: str) -> Any:
    """Look a connection up without blocking the event loop.

    Airflow >= 3.1 has ``BaseHook.aget_connection``; outside a Task-SDK context (a bare test, or
    an older triggerer) it may raise instead of finding the connection, so we fall back to the
    sync lookup run in a worker thread by ``sync_to_async`` — never a sync lookup on the loop.
    A missing connection is re-raised as is (``AirflowNotFoundException``).
    """
    from asgiref.sync import sync_to_async

    aget = getattr(BaseHook, "aget_connection", None)
    if aget is not None:
        try:
            return await aget(conn_id)
        except AirflowNotFoundException:
            raise
        except Exception:  # noqa: BLE001 - no supervisor to ask: try the thread fallback
            pass
    return await sync_to_async(BaseHook.get_connection)(conn_id)


async def aget_extra_dejson(conn: Any) -> dict[str, Any]:
    """``conn.extra_dejson`` without the sync secret masker on the loop (3.3.2+ has ``aextra_dejson``)."""
    aextra = getattr(conn, "aextra_dejson", None)
    if aextra is not None:
        return await aextra()
    from asgiref.sync import sync_to_async

    return await sync_to_async(lambda: conn.extra_dejson)()
