"""Read-only queries on the stack's SQLite metadata DB, for facts the REST API does not expose.

The public API has no view of the ``trigger`` table or of which triggerer holds a trigger; fault tests need
both (to kill the triggerer only once it really runs our trigger). We open the file in SQLite's read-only URI
mode, so the harness can never change Airflow's state behind its back.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class TriggerRow:
    """One row of Airflow's ``trigger`` table joined to the task instance that waits on it."""

    trigger_id: int
    classpath: str
    triggerer_id: int | None
    dag_id: str | None
    run_id: str | None
    task_id: str | None


class MetaDB:
    """Read-only access to ``airflow.db`` (busy timeout set: the scheduler writes to it constantly)."""

    def __init__(self, path: Path):
        self.path = path

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=10)
        try:
            return list(conn.execute(sql, params).fetchall())
        finally:
            conn.close()

    def triggers(self, dag_id: str | None = None) -> list[TriggerRow]:
        """Live triggers (deferred tasks), with the triggerer job id that runs each (None = not yet assigned)."""
        sql = (
            "SELECT t.id, t.classpath, t.triggerer_id, ti.dag_id, ti.run_id, ti.task_id "
            "FROM trigger t LEFT JOIN task_instance ti ON ti.trigger_id = t.id"
        )
        rows = [TriggerRow(*r) for r in self._query(sql)]
        return [r for r in rows if dag_id is None or r.dag_id == dag_id]

    def triggerer_jobs(self) -> list[dict[str, Any]]:
        """Triggerer jobs with their state and pid: which triggerer is which OS process."""
        rows = self._query(
            "SELECT id, state, hostname, unixname, latest_heartbeat FROM job WHERE job_type = 'TriggererJob' ORDER BY id"
        )
        return [dict(zip(("id", "state", "hostname", "unixname", "latest_heartbeat"), r)) for r in rows]

    def live_triggerer_ids(self, max_age_s: float = 10.0) -> list[int]:
        """Job ids of running triggerers whose heartbeat is at most ``max_age_s`` old (Airflow writes UTC)."""
        now = datetime.now(timezone.utc)
        out = []
        for job in self.triggerer_jobs():
            if job["state"] != "running" or not job["latest_heartbeat"]:
                continue
            beat = datetime.fromisoformat(str(job["latest_heartbeat"]))
            if beat.tzinfo is None:
                beat = beat.replace(tzinfo=timezone.utc)
            if (now - beat).total_seconds() <= max_age_s:
                out.append(int(job["id"]))
        return out

    def rendered_fields(self, dag_id: str, run_id: str) -> list[tuple[str, str]]:
        """(task_id, rendered_fields JSON text) for a run, straight from the table the UI reads."""
        rows = self._query(
            "SELECT task_id, rendered_fields FROM rendered_task_instance_fields WHERE dag_id = ? AND run_id = ?",
            (dag_id, run_id),
        )
        return [(str(t), str(f)) for t, f in rows]
