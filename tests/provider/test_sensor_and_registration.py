"""HevoJobSensor (poke and deferrable), the extra link, and the provider registration."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from provider_helpers import SECRET, RecordingTI, make_context

from hevo_dagfactory.hevo import EdgeClient
from hevo_dagfactory.provider import HevoJobLink, HevoJobSensor, HevoPipelineOperator, get_provider_info
from hevo_dagfactory.provider.compat import TaskDeferred
from hevo_dagfactory.provider.results import HevoJobFailed
from hevo_dagfactory.simulator import PipelineScript


def start(sim, pipeline_id: str, **script) -> str:
    sim.sim.add_pipeline(pipeline_id, PipelineScript(**script))
    with EdgeClient(sim.url, "test-key", SECRET) as client:
        return client.start_job(pipeline_id).job.job_id


def sensor(pipeline_id: str, job_id: str, **kwargs) -> HevoJobSensor:
    kwargs.setdefault("poke_interval", 0.1)
    kwargs.setdefault("timeout", 30)
    return HevoJobSensor(task_id="wait", pipeline_id=pipeline_id, job_id=job_id, **kwargs)


def test_poke_is_false_while_running_then_returns_the_result(hevo_conn, pipeline_id):
    job_id = start(hevo_conn, pipeline_id, job_duration_s=0.5)
    s = sensor(pipeline_id, job_id)
    assert s.poke(make_context()) is False
    import time

    time.sleep(0.7)
    done = s.poke(make_context())
    assert done.is_done and done.xcom_value["status"] == "COMPLETED" and done.xcom_value["job_id"] == job_id


@pytest.mark.parametrize(
    ("status", "policy", "passes"),
    [("FAILED", None, False), ("COMPLETED_WITH_FAILURES", "fail", False), ("COMPLETED_WITH_FAILURES", "warn", True)],
)
def test_poke_applies_the_policy(hevo_conn, pipeline_id, status, policy, passes):
    job_id = start(hevo_conn, pipeline_id, job_duration_s=0.0, final_status=status)
    s = sensor(pipeline_id, job_id, on_completed_with_failures=policy)
    if passes:
        assert s.poke(make_context()).is_done
    else:
        with pytest.raises(HevoJobFailed, match=status):
            s.poke(make_context())


def test_blocking_sensor_run(hevo_conn, pipeline_id):
    job_id = start(hevo_conn, pipeline_id, job_duration_s=0.3)
    ti = RecordingTI(task_id="wait")
    result = sensor(pipeline_id, job_id).execute(make_context(ti))
    assert result["status"] == "COMPLETED"
    assert ti.xcom["hevo_job_url"].endswith(job_id)


def test_deferrable_sensor_watches_without_owning_the_job(hevo_conn, pipeline_id):
    job_id = start(hevo_conn, pipeline_id, job_duration_s=30)
    with pytest.raises(TaskDeferred) as info:
        sensor(pipeline_id, job_id, deferrable=True, timeout=60).execute(make_context())
    _, kwargs = info.value.trigger.serialize()
    assert kwargs["job_id"] == job_id and kwargs["cancel_on_kill"] is False and kwargs["deadline"] is not None
    with pytest.raises(HevoJobFailed, match="left running"):
        sensor(pipeline_id, job_id, timeout=60).execute_complete(
            make_context(), {"status": "timeout", "job_id": job_id, "message": "deadline"}
        )
    assert hevo_conn.sim.cancel_posts(pipeline_id) == 0


def test_sensor_without_job_id_says_where_to_get_it(hevo_conn, pipeline_id):
    with pytest.raises(HevoJobFailed, match="xcom_pull"):
        sensor(pipeline_id, "None").execute(make_context())


def test_operator_then_sensor_pattern(hevo_conn, pipeline_id):
    """wait_for_completion=False + HevoJobSensor: Airbyte's asynchronous=True split."""
    hevo_conn.sim.add_pipeline(pipeline_id, PipelineScript(job_duration_s=0.3))
    ti = RecordingTI()
    job_id = HevoPipelineOperator(task_id="sync", pipeline_id=pipeline_id, wait_for_completion=False).execute(
        make_context(ti)
    )
    assert job_id == ti.xcom["hevo_job_id"]
    result = sensor(pipeline_id, job_id).execute(make_context())  # the return value IS the job id
    assert result["job_id"] == job_id and result["status"] == "COMPLETED" and result["owned"] is False


def test_link_reads_the_pushed_url(monkeypatch):
    from hevo_dagfactory.provider.links import job as link_module

    seen = {}

    def fake_get(ti_key, key):
        seen["key"] = key
        return "https://eu.hevodata.com/pipelines/1/jobs/j"

    # The real XCom read needs a running task's supervisor; test_dag_runs.py checks the stored link end to end.
    monkeypatch.setattr(link_module, "get_xcom_value", fake_get)
    assert HevoJobLink().get_link(None, ti_key=object()) == "https://eu.hevodata.com/pipelines/1/jobs/j"
    assert seen["key"] == "hevo_job_url" and HevoJobLink().name == "Hevo Job"


def test_provider_info_matches_airflows_schema():
    import airflow

    schema = json.loads((Path(airflow.__file__).parent / "provider_info.schema.json").read_text())
    info = get_provider_info()
    jsonschema.validate(info, schema)
    conn = info["connection-types"][0]
    assert conn["connection-type"] == "hevo"
    assert conn["hook-class-name"] == "hevo_dagfactory.provider.hooks.hevo.HevoHook"
    assert info["extra-links"] == ["hevo_dagfactory.provider.links.job.HevoJobLink"]


def test_providers_manager_registers_the_hook_form_and_link():
    from airflow.providers_manager import ProvidersManager

    pm = ProvidersManager()
    assert "hevo-dagfactory" in pm.providers
    assert "hevo_dagfactory.provider.links.job.HevoJobLink" in pm.extra_links_class_names
    assert pm.field_behaviours["hevo"]["relabeling"]["password"] == "API Secret"
    assert "extra__hevo__region" in pm.connection_form_widgets
