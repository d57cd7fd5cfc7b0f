"""The lineage side of HevoPipelineOperator and HevoJobSensor: what a task gathers, and what it tells OpenLineage.

Airflow's OpenLineage listener calls ``get_openlineage_facets_on_start`` before ``execute`` (again after a
deferred task resumes) and ``_on_complete`` / ``_on_failure`` right after the task ends, in the worker
process that ran it, with the same operator object. So the end of every wait (``_conclude``) keeps the
task's result on the operator (``_hevo_result``), with the datasets already gathered; the hooks only turn
it into OpenLineage objects, without calling Hevo. A deferred task's result is made after it resumed, in
that same process; a task that never reached the end of a wait reports what it has (the pipeline).

Nothing here runs without need: the collector exists only when the OpenLineage provider is active or the
task has an Asset alias among its outlets, and the OpenLineage modules are imported only by the hooks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hevo_dagfactory.hevo.connectors import PipelineEnds
from hevo_dagfactory.provider.lineage.active import openlineage_active
from hevo_dagfactory.provider.lineage.naming import hevo_authority
from hevo_dagfactory.provider.lineage.tables import emit_table_events, table_aliases

if TYPE_CHECKING:
    from hevo_dagfactory.hevo import EdgeClient
    from hevo_dagfactory.provider.failed_objects import Reader

#: XCom key of the pipeline's ends as the start read them (a resumed task needs no second read).
XCOM_PIPELINE_ENDS = "hevo_pipeline_ends"

Gather = Callable[[dict[str, Any], "Reader"], None]


class HevoLineage:
    """Mixin: gathering (``_lineage_gatherer``) and the three OpenLineage hooks.

    Uses the task's ``pipeline_id``, ``region``, ``outlets``, ``log`` and ``task_id``.
    """

    _hevo_result: dict[str, Any] | None = None
    _hevo_ends: PipelineEnds | None = None

    @property
    def _lineage_action(self) -> str:
        """The hevoJob facet's ``action``: the operator's (``SYNC_NOW``...), ``WATCH`` for the sensor."""
        return getattr(self, "action", None) or "WATCH"

    def _lineage_wanted(self) -> bool:
        return bool(table_aliases(getattr(self, "outlets", None))) or openlineage_active()

    def _remember_ends(self, ti: Any, pipeline: dict[str, Any] | None) -> None:
        """Keep the pipeline the start read (pre-flight), here and in XCom, for the end of the wait."""
        if pipeline is None or not self._lineage_wanted():
            return
        self._hevo_ends = PipelineEnds.from_api(pipeline)
        try:
            ti.xcom_push(key=XCOM_PIPELINE_ENDS, value=self._hevo_ends.to_dict())
        except Exception as exc:  # noqa: BLE001 - the end of the wait reads the pipeline again instead
            self.log.warning("Could not keep the pipeline's source and destination in XCom: %s", exc)

    def _known_ends(self, ti: Any) -> PipelineEnds | None:
        if self._hevo_ends is not None:
            return self._hevo_ends
        try:
            return PipelineEnds.from_dict(ti.xcom_pull(task_ids=self.task_id, key=XCOM_PIPELINE_ENDS))
        except Exception:  # noqa: BLE001 - then the collector reads the pipeline (bounded)
            return None

    def _lineage_gatherer(self, client: EdgeClient, ti: Any, result: dict[str, Any]) -> Gather | None:
        """What ``results.conclude`` runs to gather datasets and add table Asset events; None when unwanted."""
        self._hevo_result = result  # the listener's hooks read it, also when the verdict fails the task
        aliases = table_aliases(getattr(self, "outlets", None))
        if not aliases and not openlineage_active():
            return None
        from hevo_dagfactory.provider.lineage.collect import Collector

        collector = Collector(
            client=client,
            pipeline_id=self.pipeline_id,
            authority=hevo_authority(getattr(self, "region", None), getattr(client, "base_url", "")),
            ends=self._known_ends(ti),
            log=self.log,
        )

        def gather(result: dict[str, Any], read_objects: Reader) -> None:
            collector.collect(result, read_objects)
            emit_table_events(aliases, result, self.log)

        return gather

    # --- OpenLineage (called by Airflow's listener only) ---------------------------------------
    def get_openlineage_facets_on_start(self) -> Any:
        from hevo_dagfactory.provider.lineage.facets import start_lineage

        return start_lineage(self.pipeline_id, self._lineage_action)

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> Any:
        from hevo_dagfactory.provider.lineage.facets import operator_lineage

        return operator_lineage(self.pipeline_id, self._lineage_action, self._hevo_result, failed=False)

    def get_openlineage_facets_on_failure(self, task_instance: Any) -> Any:
        from hevo_dagfactory.provider.lineage.facets import operator_lineage

        return operator_lineage(self.pipeline_id, self._lineage_action, self._hevo_result, failed=True)
