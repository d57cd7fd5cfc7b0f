"""What a finished Hevo job read and loaded, gathered on the worker when a wait ends, for lineage and Assets.

Why here: the OpenLineage listener asks the operator for its datasets right after ``execute`` (or
``execute_complete``) returns or raises, on the worker, where no Hevo call may be added without bound. So the
tables are gathered once, at the end of every wait mode (``results.conclude``), into the task's result
(``hevo_result["lineage"]``) and kept on the operator for the listener; the Asset events of the loaded
tables are added in the same step.

What it costs: the job's objects (the same bounded read that names failing tables, read once and shared)
and, only when the task did not already read the pipeline before its POST (an attach, a sensor), one bounded
``GET /pipelines/{id}``. Every call goes through the client and so through the key's rate budget. Nothing
here raises: a failed read leaves ``lineage.error`` and a warning, and the task's outcome is unchanged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hevo_dagfactory.hevo.connectors import PipelineEnds
from hevo_dagfactory.provider.bounded import call_within
from hevo_dagfactory.provider.lineage import naming

if TYPE_CHECKING:
    from hevo_dagfactory.hevo import EdgeClient, HevoObject
    from hevo_dagfactory.provider.failed_objects import Reader

#: The pipeline read (when one is needed) is given up after this long.
PIPELINE_READ_TIMEOUT_S = 15.0
#: Per-object statuses after which the object's rows are in the destination.
LOADED_STATUSES = frozenset({"COMPLETED", "COMPLETED_WITH_FAILURES", "SUCCESS", "SUCCEEDED"})


def loaded(obj: HevoObject, job_status: str | None) -> bool:
    """Did this object's data land in the destination in this job? (Its output and its Asset event.)

    Yes when its own status says it completed, with or without failures. An object without a status (Hevo's
    job-object shape is LOW confidence) counts when it loaded events, or when the whole job COMPLETED and the
    object shows no failure. Any other status (FAILED, CANCELLED, one we do not know) does not: an Asset
    event claims fresh data.
    """
    if obj.status in LOADED_STATUSES:
        return True
    if obj.status is None:
        return (obj.events_loaded or 0) > 0 or (not obj.failed and (job_status or "").upper() == "COMPLETED")
    return False


def dataset_name(parts: list[str], kind: naming.Kind | None) -> str:
    """OpenLineage's name: the parts joined by dots (a path kind has one part, the path)."""
    return parts[0] if kind is not None and kind.parts == 0 and parts else ".".join(parts)


@dataclass
class Collector:
    """Gathers one job's datasets; built by the operator or sensor when lineage or table Assets are wanted."""

    client: EdgeClient
    pipeline_id: Any
    authority: str  # the <region> of hevo:// names
    ends: PipelineEnds | None = None  # what the pre-flight read, when the task made one
    log: logging.Logger | Any = field(default_factory=lambda: logging.getLogger(__name__))

    def _pipeline_ends(self) -> PipelineEnds:
        if self.ends is None:
            answer = call_within(
                lambda: self.client.get_pipeline(self.pipeline_id),
                PIPELINE_READ_TIMEOUT_S,
                f"reading Hevo pipeline {self.pipeline_id}",
            )
            self.ends = PipelineEnds.from_api(answer)
        return self.ends

    def collect(self, result: dict[str, Any], read_objects: Reader) -> dict[str, Any]:
        """Put ``lineage`` into ``result`` (and return it); never raises."""
        lineage: dict[str, Any] = {"inputs": [], "outputs": []}
        result["lineage"] = lineage
        try:
            ends = self._pipeline_ends()
        except Exception as exc:  # noqa: BLE001 - lineage must never fail a task
            ends = PipelineEnds()
            lineage["error"] = f"pipeline: {type(exc).__name__}: {str(exc)[:300]}"
        src_ns, src_kind = naming.namespace(ends.source, self._fallback("source", ends))
        dst_ns, dst_kind = naming.namespace(ends.destination, self._fallback("destination", ends))
        lineage["source"] = {"type": ends.source.type if ends.source else None, "namespace": src_ns}
        lineage["destination"] = {"type": ends.destination.type if ends.destination else None, "namespace": dst_ns}
        try:
            objects, complete = read_objects()
        except Exception as exc:  # noqa: BLE001 - the same read names failing tables; it logged already
            lineage["error"] = "; ".join(
                e for e in (lineage.get("error"), f"objects: {type(exc).__name__}: {str(exc)[:300]}") if e
            )
            self.log.warning("Lineage of Hevo job %s has no tables: %s", result.get("job_id"), lineage["error"])
            return lineage
        lineage["objects_complete"] = complete
        for obj in objects:
            if obj.source:
                parts = naming.name_parts(obj.source, ends.source, src_kind)
                lineage["inputs"].append({"namespace": src_ns, "name": dataset_name(parts, src_kind)})
            if obj.destination and loaded(obj, result.get("status")):
                parts = naming.name_parts(obj.destination, ends.destination, dst_kind)
                lineage["outputs"].append(
                    {
                        "namespace": dst_ns,
                        "name": dataset_name(parts, dst_kind),
                        "uri": naming.asset_uri(dst_ns, parts),
                        "events_loaded": obj.events_loaded,
                        "status": obj.status,
                    }
                )
        return lineage

    def _fallback(self, end: str, ends: PipelineEnds) -> str:
        return naming.fallback_namespace(self.authority, self.pipeline_id, end, ends.destination)
