"""OpenLineage datasets and facets of a Hevo task, built from what the task gathered (``collect.py``).

Imported only by the operator's and sensor's ``get_openlineage_facets_on_*`` methods, which only Airflow's
OpenLineage listener calls: this module may import the OpenLineage client and provider freely.

- **inputs**: the source table of every object the job processed;
- **outputs**: the destination table of every object whose data landed, with ``outputStatistics.rowCount``
  = the object's loaded events when Hevo reports them;
- run facet ``hevoJob`` (schema: ``HevoJobRunFacet.json`` beside this module): pipeline, job id, type,
  status, outcome, whether the task started or only watched the job, Hevo's event and object counts, and
  the failing objects of a failed or completed-with-failures job;
- on failure, ``errorMessage`` naming the failing objects (Airflow's listener replaces it by the task's
  exception when it has one, whose message names them too).
"""

from __future__ import annotations

from typing import Any, ClassVar

import attr
from airflow.providers.openlineage.extractors import OperatorLineage
from openlineage.client.event_v2 import InputDataset, OutputDataset
from openlineage.client.facet_v2 import RunFacet, error_message_run, output_statistics_output_dataset

from hevo_dagfactory.provider.failed_objects import summary

FACET_KEY = "hevoJob"
SCHEMA_URL = "hevo-dagfactory://facets/HevoJobRunFacet.json#/$defs/HevoJobRunFacet"
#: result key -> facet field (Hevo's counts; absent when Hevo did not send them)
COUNTS = {
    "events_ingested": "eventsIngested",
    "events_loaded": "eventsLoaded",
    "events_failed": "eventsFailed",
    "objects_success": "objectsSuccess",
    "objects_failed": "objectsFailed",
    "objects_queued": "objectsQueued",
    "objects_skipped": "objectsSkipped",
}


@attr.define
class HevoJobRunFacet(RunFacet):
    """The Hevo job behind a task run (``HevoJobRunFacet.json``)."""

    pipelineId: str
    action: str | None = attr.field(default=None)
    jobId: str | None = attr.field(default=None)
    jobType: str | None = attr.field(default=None)
    status: str | None = attr.field(default=None)
    outcome: str | None = attr.field(default=None)
    startedByTask: bool | None = attr.field(default=None)
    jobUrl: str | None = attr.field(default=None)
    durationSeconds: float | None = attr.field(default=None)
    counts: dict[str, int] | None = attr.field(default=None)
    sourceType: str | None = attr.field(default=None)
    destinationType: str | None = attr.field(default=None)
    failedObjects: list[dict[str, Any]] | None = attr.field(default=None)
    failedObjectsCount: int | None = attr.field(default=None)
    lineageError: str | None = attr.field(default=None)
    _additional_skip_redact: ClassVar[list[str]] = ["pipelineId", "jobId", "jobType", "status", "outcome"]

    @staticmethod
    def _get_schema() -> str:
        return SCHEMA_URL


def _failed(result: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The failing objects the task named (``failed_objects.add_failed_objects``), in the facet's spelling."""
    named = result.get("failed_objects")
    if not named:
        return None
    spelling = {"object": "object", "destination": "destination", "status": "status", "error": "error"}
    spelling["events_failed"] = "eventsFailed"
    return [{spelling[k]: v for k, v in obj.items() if k in spelling and v is not None} for obj in named]


def run_facet(pipeline_id: Any, action: str | None, result: dict[str, Any] | None) -> HevoJobRunFacet:
    """The ``hevoJob`` facet; with no result (START, or a task that failed before the job ended) the
    pipeline and action alone."""
    result = result or {}
    lineage = result.get("lineage") or {}
    counts = {f: int(result[k]) for k, f in COUNTS.items() if isinstance(result.get(k), (int, float))}
    started = result.get("attached")
    return HevoJobRunFacet(
        pipelineId=str(pipeline_id),
        action=action,
        jobId=result.get("job_id"),
        jobType=result.get("job_type"),
        status=result.get("status"),
        outcome=result.get("outcome"),
        startedByTask=None if started is None else not started,
        jobUrl=result.get("job_url"),
        durationSeconds=result.get("duration_s"),
        counts=counts or None,
        sourceType=(lineage.get("source") or {}).get("type"),
        destinationType=(lineage.get("destination") or {}).get("type"),
        failedObjects=_failed(result),
        failedObjectsCount=result.get("failed_objects_count"),
        lineageError=lineage.get("error") or result.get("failed_objects_error"),
    )


def datasets(result: dict[str, Any] | None) -> tuple[list[InputDataset], list[OutputDataset]]:
    """The job's source tables (inputs) and the destination tables it loaded (outputs)."""
    lineage = (result or {}).get("lineage") or {}
    inputs = [InputDataset(namespace=d["namespace"], name=d["name"]) for d in lineage.get("inputs") or []]
    outputs = []
    for d in lineage.get("outputs") or []:
        facets = {}
        if isinstance(d.get("events_loaded"), int):
            facets["outputStatistics"] = output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(
                rowCount=d["events_loaded"]
            )
        outputs.append(OutputDataset(namespace=d["namespace"], name=d["name"], outputFacets=facets))
    return _unique(inputs), _unique(outputs)


def _unique(items: list[Any]) -> list[Any]:
    seen: set[tuple[str, str]] = set()
    out = []
    for item in items:
        if (item.namespace, item.name) not in seen:
            seen.add((item.namespace, item.name))
            out.append(item)
    return out


def operator_lineage(
    pipeline_id: Any, action: str | None, result: dict[str, Any] | None, *, failed: bool
) -> OperatorLineage:
    """What the task reports to the listener at COMPLETE (``failed=False``) or FAIL."""
    inputs, outputs = datasets(result)
    facets: dict[str, Any] = {FACET_KEY: run_facet(pipeline_id, action, result)}
    if failed and result:
        where = f"Hevo job {result.get('job_id')} of pipeline {pipeline_id}"
        facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(
            message=f"{where} ended with status {result.get('status')}.{summary(result)}".strip(),
            programmingLanguage="python",
        )
    return OperatorLineage(inputs=inputs, outputs=outputs, run_facets=facets)


def start_lineage(pipeline_id: Any, action: str | None) -> OperatorLineage:
    """START: the pipeline and action; the datasets follow at COMPLETE or FAIL, once the job's objects are known."""
    return OperatorLineage(run_facets={FACET_KEY: run_facet(pipeline_id, action, None)})
