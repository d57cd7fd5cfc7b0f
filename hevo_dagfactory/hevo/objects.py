"""Hevo objects (tables, collections): what a job loaded and what a pipeline replicates.

Two endpoints return them, both paged like the jobs list (``limit`` 1-100, ``cursor``):
``GET /pipelines/{id}/jobs/{job_id}/objects`` (the objects a job processed, each with its own status
and error) and ``GET /pipelines/{id}/objects`` (the pipeline's objects).

The pipeline object's shape is known from Hevo's provider (``object_id``, ``source_namespace`` and
``destination_namespace`` as ``{k0: table, k1: schema, k2: database}``, ``status``,
``replication_status``); the job object's is not documented anywhere we could read (LOW confidence
in hevo-api.md). So parsing is lenient: a namespace may be the ``k0/k1/k2`` form, named parts or a
dotted string, the error may sit under any of a handful of keys, and unknown fields stay in ``raw``.
Nothing here raises on an odd item; an item without any name is still kept (with its id).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .models import page_parts, to_int

#: Per-object statuses that mean the object failed in the job (Hevo UI: "Failed", "Completed with
#: Failures"); pipeline objects use replication_status FAILED/BLOCKED and status BLOCKED/INACCESSIBLE.
FAILED_OBJECT_STATUSES = frozenset({"FAILED", "COMPLETED_WITH_FAILURES", "BLOCKED", "INACCESSIBLE"})
#: Where an object's error may be (first non-empty wins); nested ``{"message": ...}`` objects are read too.
ERROR_KEYS = ("error", "error_message", "errorMessage", "failure_reason", "failure_message", "errors", "reason")
MAX_ERROR_CHARS = 500

_TABLE_KEYS = ("k0", "table", "table_name", "object", "object_name", "name", "collection")
_SCHEMA_KEYS = ("k1", "schema", "schema_name", "namespace")
_DATABASE_KEYS = ("k2", "database", "database_name", "db", "catalog")


def _first(data: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = data.get(key)
        if value not in (None, "") and not isinstance(value, (dict, list)):
            return str(value)
    return None


@dataclass(frozen=True)
class Namespace:
    """Where an object lives: ``database.schema.table`` (schema and database may be unknown)."""

    table: str | None
    schema: str | None = None
    database: str | None = None

    @classmethod
    def from_api(cls, value: Any) -> Namespace | None:
        if isinstance(value, dict):
            ns = cls(_first(value, _TABLE_KEYS), _first(value, _SCHEMA_KEYS), _first(value, _DATABASE_KEYS))
            return ns if (ns.table or ns.schema or ns.database) else None
        if isinstance(value, str) and value.strip():
            parts = value.strip().split(".")
            return cls(parts[-1], parts[-2] if len(parts) > 1 else None, ".".join(parts[:-2]) or None)
        return None

    @property
    def qualified(self) -> str:
        """``database.schema.table`` with the unknown parts left out."""
        return ".".join(p for p in (self.database, self.schema, self.table) if p)


def error_text(value: Any) -> str | None:
    """An error as one bounded line: a string, ``{"message": ...}``, or a list of either (joined by "; ")."""
    if value in (None, "", [], {}):
        return None
    if isinstance(value, list):
        texts = [t for t in (error_text(v) for v in value) if t]
        text = "; ".join(texts) if texts else None
    elif isinstance(value, dict):
        text = _first(value, ("message", "error_message", "detail", "reason", "description", "code"))
    else:
        text = str(value)
    if text is None:
        return None
    text = " ".join(text.split())
    return text if len(text) <= MAX_ERROR_CHARS else text[:MAX_ERROR_CHARS] + "…"


def _namespace(data: dict[str, Any], *keys: str) -> Namespace | None:
    for key in keys:
        ns = Namespace.from_api(data.get(key))
        if ns is not None:
            return ns
    return None


@dataclass(frozen=True)
class HevoObject:
    """One object of a job (with its status and error in that job) or of a pipeline."""

    object_id: str | None
    name: str | None = None
    source: Namespace | None = None
    destination: Namespace | None = None
    status: str | None = None
    replication_status: str | None = None
    error: str | None = None
    events_ingested: int | None = None
    events_loaded: int | None = None
    events_failed: int | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> HevoObject:
        """Parse leniently; ``ValueError`` only for something that is not an object at all."""
        if not isinstance(data, dict):
            raise ValueError(f"expected an object, got {type(data).__name__}")
        stats: dict[str, Any] = data["statistics"] if isinstance(data.get("statistics"), dict) else {}
        source = _namespace(data, "source_namespace", "source", "source_object")
        name = _first(data, ("object_name", "name", "display_name")) or (source.qualified if source else None)
        status = _first(data, ("status", "job_status", "object_status"))
        replication = _first(data, ("replication_status",))
        error = next((t for t in (error_text(data.get(k)) for k in ERROR_KEYS) if t), None)
        return cls(
            object_id=_first(data, ("object_id", "id")),
            name=name,
            source=source,
            destination=_namespace(data, "destination_namespace", "destination", "destination_table_name"),
            status=status.strip().upper() if status else None,
            replication_status=replication.strip().upper() if replication else None,
            error=error,
            events_ingested=to_int(data.get("events_ingested", stats.get("events_ingested"))),
            events_loaded=to_int(data.get("events_loaded", stats.get("events_loaded"))),
            events_failed=to_int(data.get("events_failed", stats.get("events_failed"))),
            raw=dict(data),
        )

    @property
    def failed(self) -> bool:
        """True when the object failed (a failing status, an error, or failed events)."""
        return bool(
            self.status in FAILED_OBJECT_STATUSES
            or self.replication_status in FAILED_OBJECT_STATUSES
            or self.error
            or (self.events_failed or 0) > 0
        )

    @property
    def label(self) -> str:
        """What a person recognises: the source table, else the name, else the id."""
        if self.source and self.source.qualified:
            return self.source.qualified
        return self.name or self.object_id or "<unnamed object>"

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe summary for XCom and messages (``raw`` left out)."""
        return {
            "object": self.label,
            "object_id": self.object_id,
            "source": self.source.qualified if self.source else None,
            "destination": self.destination.qualified if self.destination else None,
            "status": self.status,
            "error": self.error,
            "events_failed": self.events_failed,
        }


@dataclass(frozen=True)
class ObjectPage:
    """One page of job or pipeline objects; pass ``next_cursor`` back to read the next page."""

    objects: list[HevoObject]
    next_cursor: str | None = None
    has_more: bool = False

    @classmethod
    def from_api(cls, data: Any) -> ObjectPage:
        items, cursor, more = page_parts(data, "objects", ("data", "objects"))
        return cls([HevoObject.from_api(i) for i in items if isinstance(i, dict)], next_cursor=cursor, has_more=more)


def object_label(obj: HevoObject) -> str:
    """``source → destination`` when both are known, for log lines."""
    if obj.destination and obj.destination.qualified and obj.source:
        return f"{obj.label} → {obj.destination.qualified}"
    return obj.label


__all__ = ["FAILED_OBJECT_STATUSES", "HevoObject", "Namespace", "ObjectPage", "error_text", "object_label"]
