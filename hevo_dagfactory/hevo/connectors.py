"""A pipeline's source and destination: what kind of system each is, and where it is (never its secrets).

``GET /api/v1/pipelines/{id}`` describes both ends (hevo-api.md §2, MED confidence from Hevo's provider):
``source{name, connector_id, source_type, config}`` and ``destination{id, name, connector_id,
destination_type, status}``. The ``config`` objects are not documented at all, so they are read the way
``objects.py`` reads namespaces: several spellings per field, nothing raises, an unknown shape gives an
end without a location.

Only the fields that say *where* a system is are kept (host, port, database, account, project, bucket...),
through an allow-list: a config can hold a password, a key file or a token, and whatever is kept here can
end up in XCom, task logs and lineage events. Anything not on the list is dropped, whatever its name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: location field -> the config keys it may come from (first non-empty wins). The allow-list: no other
#: config value is ever kept.
LOCATION_KEYS: dict[str, tuple[str, ...]] = {
    "host": ("host", "hostname", "host_name", "server", "server_hostname", "db_host", "endpoint"),
    "port": ("port", "db_port"),
    "database": ("database", "database_name", "db_name", "dbname", "db", "service_name", "sid"),
    "schema": ("schema", "schema_name", "default_schema"),
    "account": ("account", "account_name", "account_identifier", "account_locator"),
    "region": ("region", "aws_region", "region_name", "location"),
    "project": ("project_id", "project", "gcp_project_id"),
    "dataset": ("dataset", "dataset_name", "dataset_id"),
    "catalog": ("catalog", "catalog_name"),
    "bucket": ("bucket", "bucket_name"),
    "prefix": ("prefix", "path_prefix", "folder"),
    "instance": ("instance_url", "domain", "subdomain", "instance"),
}
_TYPE_KEYS = ("source_type", "destination_type", "type", "connector_type", "connector", "connector_id")
_MAX_VALUE_CHARS = 300


def _text(value: Any) -> str | None:
    if isinstance(value, bool) or value is None or isinstance(value, (dict, list)):
        return None
    text = str(value).strip()
    return text[:_MAX_VALUE_CHARS] if text else None


def _kind(data: dict[str, Any]) -> str | None:
    """Hevo's type word (``POSTGRES``, ``SNOWFLAKE``...); a numeric ``connector_id`` is an id, not a type."""
    for key in _TYPE_KEYS:
        text = _text(data.get(key))
        if text and not text.isdigit():
            return text.upper()
    return None


@dataclass(frozen=True)
class Connector:
    """One end of a pipeline: its type as Hevo spells it, its name and id, and where it is."""

    type: str | None
    name: str | None = None
    id: str | None = None
    location: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_api(cls, value: Any) -> Connector | None:
        """Parse leniently; None for anything that is not an object naming at least a type or a name."""
        if not isinstance(value, dict):
            return None
        raw_config = value.get("config")
        config: dict[str, Any] = raw_config if isinstance(raw_config, dict) else {}
        location: dict[str, str] = {}
        for name, keys in LOCATION_KEYS.items():
            found = next((t for t in (_text(config.get(k)) for k in keys) if t), None)
            if found:
                location[name] = found
        kind, label = _kind(value), _text(value.get("name"))
        if kind is None and label is None:
            return None
        return cls(type=kind, name=label, id=_text(value.get("id")), location=location)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe, for XCom."""
        return {"type": self.type, "name": self.name, "id": self.id, "location": dict(self.location)}

    @classmethod
    def from_dict(cls, data: Any) -> Connector | None:
        """The inverse of :meth:`to_dict` (what a resumed task reads back from XCom)."""
        if not isinstance(data, dict):
            return None
        raw_location = data.get("location")
        location: dict[str, Any] = raw_location if isinstance(raw_location, dict) else {}
        return cls(
            type=_text(data.get("type")),
            name=_text(data.get("name")),
            id=_text(data.get("id")),
            location={k: str(v) for k, v in location.items() if k in LOCATION_KEYS and _text(v)},
        )


@dataclass(frozen=True)
class PipelineEnds:
    """Both ends of a pipeline (either may be unknown)."""

    source: Connector | None = None
    destination: Connector | None = None

    @classmethod
    def from_api(cls, pipeline: Any) -> PipelineEnds:
        """From the answer of ``GET /pipelines/{id}`` (a ``{"data": {...}}`` wrapper is accepted)."""
        if isinstance(pipeline, dict) and isinstance(pipeline.get("data"), dict) and "source" not in pipeline:
            pipeline = pipeline["data"]
        if not isinstance(pipeline, dict):
            return cls()
        return cls(Connector.from_api(pipeline.get("source")), Connector.from_api(pipeline.get("destination")))

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source.to_dict() if self.source else None,
            "destination": self.destination.to_dict() if self.destination else None,
        }

    @classmethod
    def from_dict(cls, data: Any) -> PipelineEnds | None:
        if not isinstance(data, dict):
            return None
        return cls(Connector.from_dict(data.get("source")), Connector.from_dict(data.get("destination")))


__all__ = ["LOCATION_KEYS", "Connector", "PipelineEnds"]
