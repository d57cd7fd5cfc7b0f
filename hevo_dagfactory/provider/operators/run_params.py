"""``HevoRunParamsOperator``: a ``HevoPipelineOperator`` whose action a run parameter can turn into a resync.

Why a subclass and not a change to the operator: the workflow's built-in ``resync`` parameter (a
drop-down in the trigger form: ``off``, ``evolve_and_merge``, ``drop_and_load``) is known only when
the run starts, while the operator fixes and checks its ``action`` when the DAG is parsed. This class
takes the rendered parameter (``resync="{{ params.resync }}"``, a template field), checks it, and sets
``action``/``resync_mode`` just before ``HevoPipelineOperator.execute`` runs; everything after that
(starting or attaching, deferring, ownership, cancel) is the parent's.

The never-two-syncs rules still hold: a run's parameters never change, so every try of the task
renders the same value and starts (or attaches to) the same kind of job, and a retry attaches to
the job an earlier try started. A sync's own ``job_type`` is dropped when the parameter changes its
action, so the operator waits for the resync job types instead of the sync_now one.
"""

from __future__ import annotations

from typing import Any

from hevo_dagfactory.provider.compat import Context
from hevo_dagfactory.provider.operators.pipeline import RESYNC_MODES, HevoPipelineOperator
from hevo_dagfactory.provider.results import HevoJobFailed

#: the ``resync`` value that keeps the sync's own action; any other value is a resync mode (any case)
OFF = "off"


class HevoRunParamsOperator(HevoPipelineOperator):
    """:param resync: rendered ``off`` | ``evolve_and_merge`` | ``drop_and_load`` (templated)."""

    template_fields = (*HevoPipelineOperator.template_fields, "resync")

    def __init__(self, *, resync: str = "off", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.resync = resync

    def execute(self, context: Context) -> Any:
        self._apply_resync_param()
        return super().execute(context)

    def _apply_resync_param(self) -> None:
        value = str(self.resync if self.resync is not None else OFF).strip().lower() or OFF
        if value == OFF:
            return
        if value.upper() not in RESYNC_MODES:
            allowed = ", ".join([OFF, *(m.lower() for m in RESYNC_MODES)])
            raise HevoJobFailed(
                f"The run parameter 'resync' is {self.resync!r}; it must be one of {allowed}. "
                "Trigger the run again with one of them."
            )
        if self.action != "RESYNC":
            self.job_type = None  # the job type followed the configured action; the resync types apply now
        self.action, self.resync_mode = "RESYNC", value.upper()
        self.log.info("Run parameter resync=%s: this run resyncs pipeline %s (%s)", value, self.pipeline_id, value)
