"""The resync body, with both clients over real sockets: the newest provider's shape first, the other
documented shape once when Hevo answers 400 naming the body, and never a change of meaning."""

from __future__ import annotations

import logging

import pytest

from hevo_dagfactory.hevo import HevoBadRequest
from hevo_dagfactory.hevo.resync import names_the_body
from hevo_dagfactory.simulator import PipelineScript


@pytest.mark.parametrize(
    ("mode", "job_type"), [("DROP_AND_LOAD", "RESYNC_WITH_DROP_AND_LOAD"), ("EVOLVE_AND_MERGE", "RESYNC_WITH_EVOLVE")]
)
def test_the_resync_mode_body_is_sent_first(hevo_sim, make_client, mode, job_type):
    hevo_sim.sim.add_pipeline(1, PipelineScript(job_duration_s=5))
    started = make_client().start_job(1, action="resync", resync_mode=mode)
    assert started.job.type == job_type
    assert hevo_sim.sim.resync_bodies(1) == [{"resync_mode": mode}]


@pytest.mark.parametrize(
    ("mode", "flag", "job_type"),
    [("DROP_AND_LOAD", True, "RESYNC_WITH_DROP_AND_LOAD"), ("EVOLVE_AND_MERGE", False, "RESYNC_WITH_EVOLVE")],
)
def test_a_hevo_that_wants_drop_and_load_gets_it_once_with_the_same_meaning(
    hevo_sim, make_client, caplog, mode, flag, job_type
):
    hevo_sim.sim.add_pipeline(1, PipelineScript(job_duration_s=5, resync_body="drop_and_load"))
    with caplog.at_level(logging.INFO, logger="hevo_dagfactory.hevo.resync"):
        started = make_client().start_job(1, action="resync", resync_mode=mode)
    assert hevo_sim.sim.resync_bodies(1) == [{"resync_mode": mode}, {"drop_and_load": flag}]
    assert started.job.type == job_type and len(hevo_sim.sim.jobs(1)) == 1
    assert f"accepted the resync body {{'drop_and_load': {flag}}}" in caplog.text


def test_a_hevo_that_accepts_neither_body_fails_clearly_and_nothing_starts(hevo_sim, make_client):
    hevo_sim.sim.add_pipeline(1, PipelineScript(resync_body="neither"))
    with pytest.raises(HevoBadRequest) as info:
        make_client().start_job(1, action="resync", resync_mode="DROP_AND_LOAD")
    assert "refused both documented resync bodies" in str(info.value) and "Nothing was started" in str(info.value)
    assert hevo_sim.sim.resync_bodies(1) == [{"resync_mode": "DROP_AND_LOAD"}, {"drop_and_load": True}]
    assert hevo_sim.sim.jobs(1) == []


def test_a_400_about_something_else_is_not_retried(hevo_sim, make_client):
    """A status the pre-flight lets through (unknown to us) is refused by Hevo for the pipeline's state:
    that 400 does not name the body, so no second body is tried."""
    hevo_sim.sim.add_pipeline(1, PipelineScript(status="HIBERNATING"))
    with pytest.raises(HevoBadRequest, match="INITIALIZED state"):
        make_client().start_job(1, action="resync")
    assert hevo_sim.sim.resync_bodies(1) == [{"resync_mode": "EVOLVE_AND_MERGE"}]


@pytest.mark.parametrize(
    ("body", "about_the_body"),
    [
        ('{"message": "Unrecognized field \'resync_mode\'"}', True),
        ("Invalid request body", True),
        ("drop_and_load must be a boolean", True),
        ("Missing required parameter", True),
        ("Pipeline must be in the INITIALIZED state to sync; it is DISABLED", False),
        ("Bad request", False),
    ],
)
def test_which_400s_name_the_body(body, about_the_body):
    assert names_the_body(HevoBadRequest("x", status=400, body=body)) is about_the_body
