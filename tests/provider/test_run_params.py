"""``HevoRunParamsOperator``: the ``resync`` run parameter picks the action when the run starts.

Called directly against the simulator with the value Airflow renders into ``resync``; the whole path
through the trigger form's Param and a real run is tests/factory/test_factory_runparams.py.
"""

from __future__ import annotations

import pytest
from provider_helpers import RecordingTI, make_context

from hevo_dagfactory.provider.compat import TaskDeferred
from hevo_dagfactory.provider.operators.run_params import HevoRunParamsOperator
from hevo_dagfactory.provider.results import HevoJobFailed
from hevo_dagfactory.simulator import PipelineScript


def op(pipeline_id: str, resync: str, **kwargs) -> HevoRunParamsOperator:
    return HevoRunParamsOperator(task_id="sync", pipeline_id=pipeline_id, resync=resync, poll_interval=0.05, **kwargs)


def defer(operator, ti=None) -> TaskDeferred:
    with pytest.raises(TaskDeferred) as info:
        operator.execute(make_context(ti))
    return info.value


def test_off_keeps_the_syncs_own_action(hevo_conn, pipeline_id):
    hevo_conn.sim.add_pipeline(pipeline_id, PipelineScript(job_duration_s=30))
    defer(op(pipeline_id, "off", job_type="INCREMENTAL"))
    assert (hevo_conn.sim.sync_now_posts(pipeline_id), hevo_conn.sim.resync_posts(pipeline_id)) == (1, 0)


def test_a_mode_turns_the_sync_into_a_resync_and_a_retry_attaches_to_it(hevo_conn, pipeline_id):
    hevo_conn.sim.add_pipeline(pipeline_id, PipelineScript(job_duration_s=30))
    first = defer(op(pipeline_id, "Drop_And_Load", job_type="INCREMENTAL"), RecordingTI(try_number=1))
    (job,) = hevo_conn.sim.jobs(pipeline_id)
    assert job["type"] == "RESYNC_WITH_DROP_AND_LOAD"
    # a retry renders the same parameter (a run's conf never changes): it attaches, it never posts again
    retry = defer(op(pipeline_id, "drop_and_load", job_type="INCREMENTAL"), RecordingTI(try_number=2))
    assert retry.trigger.job_id == first.trigger.job_id
    assert (hevo_conn.sim.sync_now_posts(pipeline_id), hevo_conn.sim.resync_posts(pipeline_id)) == (0, 1)


def test_a_resync_keeps_its_action_and_takes_the_mode(hevo_conn, pipeline_id):
    hevo_conn.sim.add_pipeline(pipeline_id, PipelineScript(job_duration_s=30))
    operator = op(pipeline_id, "drop_and_load", action="RESYNC", resync_mode="EVOLVE_AND_MERGE")
    defer(operator)
    assert (operator.action, operator.resync_mode) == ("RESYNC", "DROP_AND_LOAD")
    assert hevo_conn.sim.jobs(pipeline_id)[0]["type"] == "RESYNC_WITH_DROP_AND_LOAD"


def test_a_value_outside_the_choices_fails_before_anything_starts(hevo_conn, pipeline_id):
    hevo_conn.sim.add_pipeline(pipeline_id, PipelineScript(job_duration_s=30))
    with pytest.raises(
        HevoJobFailed, match=r"'resync' is 'full'; it must be one of off, evolve_and_merge, drop_and_load"
    ):
        op(pipeline_id, "full").execute(make_context())
    assert hevo_conn.sim.jobs(pipeline_id) == []


def test_resync_is_a_template_field():
    assert "resync" in HevoRunParamsOperator.template_fields
    assert set(HevoRunParamsOperator.template_fields) > {"pipeline_id", "connection_id"}
