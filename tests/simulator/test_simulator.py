"""The simulator itself, probed with plain requests/aiohttp (not our client) so its answers are checked
independently: auth, 404s, Hevo's shapes, the rate window, faults, admin endpoints and in-loop serving."""

from __future__ import annotations

import asyncio
import base64
import time

import aiohttp
import pytest
import requests

from hevo_dagfactory.simulator import PipelineScript, Simulator

AUTH = ("test-key", "test-secret")
BASIC = {"Authorization": "Basic " + base64.b64encode(b"test-key:test-secret").decode()}


def _get(url, path, **kw):
    return requests.get(url + path, auth=kw.pop("auth", AUTH), timeout=5, **kw)


def _post(url, path, **kw):
    return requests.post(url + path, auth=kw.pop("auth", AUTH), timeout=5, **kw)


def test_bad_or_missing_basic_auth_is_401(hevo_sim):
    hevo_sim.sim.add_pipeline(1)
    assert _get(hevo_sim.url, "/api/v1/pipelines/1", auth=("test-key", "wrong")).status_code == 401
    assert requests.get(hevo_sim.url + "/api/v1/pipelines/1", timeout=5).status_code == 401
    assert _get(hevo_sim.url, "/api/v1/pipelines/1").status_code == 200


def test_unknown_pipeline_and_job_are_404(hevo_sim):
    hevo_sim.sim.add_pipeline(1)
    r = _get(hevo_sim.url, "/api/v1/pipelines/2")
    assert r.status_code == 404 and "not found" in r.json()["message"]
    assert _get(hevo_sim.url, "/api/v1/pipelines/1/jobs/nope").status_code == 404
    assert _post(hevo_sim.url, "/api/v1/pipelines/2/actions/sync-now").status_code == 404


def test_job_in_progress_refusal(hevo_sim):
    """Hevo's documented refusal by default (409); the old wording under 500 when scripted."""
    from hevo_dagfactory.simulator.script import OLD_IN_PROGRESS_MESSAGE

    hevo_sim.sim.add_pipeline(1, PipelineScript(running_job=True, job_duration_s=5))
    r = _post(hevo_sim.url, "/api/v1/pipelines/1/actions/sync-now")
    assert r.status_code == 409 and r.json()["message"] == "A job is already in progress for this pipeline"
    hevo_sim.sim.add_pipeline(
        2,
        PipelineScript(
            running_job=True, in_progress_status=500, in_progress_message=OLD_IN_PROGRESS_MESSAGE, job_duration_s=5
        ),
    )
    r = _post(hevo_sim.url, "/api/v1/pipelines/2/actions/resync", json={"resync_mode": "EVOLVE_AND_MERGE"})
    assert r.status_code == 500 and "To sync now you need to cancel the current job" in r.text
    assert len(hevo_sim.sim.jobs(1)) == len(hevo_sim.sim.jobs(2)) == 1


def test_job_appears_after_delay_and_return_job_id(hevo_sim):
    hevo_sim.sim.add_pipeline(1, PipelineScript(return_job_id=True, job_appear_delay_s=0.3))
    job_id = _post(hevo_sim.url, "/api/v1/pipelines/1/actions/sync-now").json()["job_id"]
    assert _get(hevo_sim.url, "/api/v1/pipelines/1/jobs").json()["data"] == []
    assert _get(hevo_sim.url, f"/api/v1/pipelines/1/jobs/{job_id}").status_code == 404
    time.sleep(0.35)
    assert _get(hevo_sim.url, f"/api/v1/pipelines/1/jobs/{job_id}").json()["job_id"] == job_id


def test_rate_limit_per_key_with_retry_after():
    sim = Simulator(rate_per_minute=3, rate_window_s=2.0)
    sim.add_pipeline(1)
    with sim.serve_in_thread() as url:
        codes = [_get(url, "/api/v1/pipelines/1") for _ in range(4)]
        assert [r.status_code for r in codes] == [200, 200, 200, 429]
        assert codes[3].json()["message"] == "Request rate limit exceeded"
        assert 1 <= int(codes[3].headers["Retry-After"]) <= 2
        assert sim.rate_limited_count == 1
        # admin endpoints are neither authenticated nor rate limited
        assert requests.get(url + "/_sim/stats", timeout=5).json()["rate_limited"] == 1


@pytest.mark.parametrize(("field", "expect"), [("fail_next", 503), ("malformed_next", 200), ("rate_limit_next", 429)])
def test_fault_counters_are_used_up_in_order(hevo_sim, field, expect):
    hevo_sim.sim.add_pipeline(1, PipelineScript(**{field: 1}))
    first = _get(hevo_sim.url, "/api/v1/pipelines/1")
    assert first.status_code == expect
    if field == "malformed_next":
        with pytest.raises(ValueError):
            first.json()
    assert _get(hevo_sim.url, "/api/v1/pipelines/1").json()["id"] == 1


def test_dropped_connection(hevo_sim):
    hevo_sim.sim.add_pipeline(1, PipelineScript(drop_next=1))
    with pytest.raises(requests.ConnectionError):
        _get(hevo_sim.url, "/api/v1/pipelines/1")
    assert hevo_sim.sim.request_log[0]["status"] == "dropped"


def test_faults_on_post_only_leave_gets_alone(hevo_sim):
    hevo_sim.sim.add_pipeline(1, PipelineScript(fail_next=1, faults_on="post"))
    assert _get(hevo_sim.url, "/api/v1/pipelines/1").status_code == 200
    assert _post(hevo_sim.url, "/api/v1/pipelines/1/actions/sync-now").status_code == 503
    assert hevo_sim.sim.sync_now_posts(1) == 0  # a 5xx from fail_next never acts


def test_error_after_start_still_starts_the_job(hevo_sim):
    hevo_sim.sim.add_pipeline(1, PipelineScript(sync_now_error_after_start=True))
    assert _post(hevo_sim.url, "/api/v1/pipelines/1/actions/sync-now").status_code == 502
    assert hevo_sim.sim.sync_now_posts(1) == 1 and len(hevo_sim.sim.jobs(1)) == 1


def test_admin_endpoints(hevo_sim):
    url = hevo_sim.url
    r = requests.put(url + "/_sim/pipelines/77", json={"job_duration_s": 0, "final_status": "failed"}, timeout=5)
    assert r.status_code == 200 and r.json()["script"]["final_status"] == "FAILED"
    bad = requests.put(url + "/_sim/pipelines/78", json={"duration": 1}, timeout=5)
    assert bad.status_code == 400 and "job_duration_s" in bad.text
    _post(url, "/api/v1/pipelines/77/actions/sync-now")
    stats = requests.get(url + "/_sim/stats", timeout=5).json()
    assert stats["sync_now_posts"] == {"77": 1} and stats["requests"] == 1 and stats["rate_limited"] == 0
    jobs = requests.get(url + "/_sim/pipelines/77/jobs", timeout=5).json()["data"]
    assert jobs[0]["status"] == "FAILED"
    reqs = requests.get(url + "/_sim/requests", timeout=5).json()["data"]
    assert reqs[0]["method"] == "POST" and reqs[0]["status"] == 200
    assert requests.post(url + "/_sim/reset", timeout=5).json() == {"success": True}
    assert requests.get(url + "/_sim/stats", timeout=5).json()["requests"] == 0


def test_pipeline_script_from_dict_rejects_unknown_fields():
    assert PipelineScript.from_dict({"final_status": "completed"}).final_status == "COMPLETED"
    with pytest.raises(ValueError, match="unknown PipelineScript field"):
        PipelineScript.from_dict({"final_state": "FAILED"})
    with pytest.raises(ValueError):
        PipelineScript(faults_on="put")


async def test_start_and_stop_inside_a_running_loop():
    sim = Simulator()
    sim.add_pipeline(1)
    url = await sim.start(0)
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(url + "/api/v1/pipelines/1", headers=BASIC) as resp:
                assert resp.status == 200 and (await resp.json())["id"] == 1
    finally:
        await sim.stop()
    with pytest.raises(aiohttp.ClientConnectionError):
        async with aiohttp.ClientSession() as session:
            await asyncio.wait_for(session.get(url + "/api/v1/pipelines/1"), 5)


def test_serves_on_loopback_only(hevo_sim):
    assert hevo_sim.url.startswith("http://127.0.0.1:")


def test_jobs_order_past_jobs_and_paging(hevo_sim):
    hevo_sim.sim.add_pipeline(1, PipelineScript(past_jobs=12, jobs_order="oldest_first"))
    hevo_sim.sim.add_pipeline(2, PipelineScript(past_jobs=12))
    listed = {}
    for pid, ascending in (("1", True), ("2", False)):
        first = _get(hevo_sim.url, f"/api/v1/pipelines/{pid}/jobs", params={"limit": 5}).json()
        assert len(first["data"]) == 5 and first["has_more"] and first["next_cursor"]
        seen, cursor = list(first["data"]), first["next_cursor"]
        while cursor:
            page = _get(hevo_sim.url, f"/api/v1/pipelines/{pid}/jobs", params={"limit": 5, "cursor": cursor}).json()
            seen += page["data"]
            cursor = page["next_cursor"]
        stamps = [j["created_ts"] for j in seen]
        assert len(seen) == 12 and stamps == sorted(stamps, reverse=not ascending)
        assert {j["status"] for j in seen} == {"COMPLETED"} and {j["type"] for j in seen} == {"INCREMENTAL"}
        listed[pid] = stamps
    # the inspection view is newest first whatever the listing order
    assert [j["created_ts"] for j in hevo_sim.sim.jobs(1)] == listed["1"][::-1]
    assert _get(hevo_sim.url, "/api/v1/pipelines/1/jobs", params={"cursor": "junk"}).status_code == 400
    with pytest.raises(ValueError, match="jobs_order"):
        PipelineScript(jobs_order="random")


def test_list_pipelines_honours_limit_and_cursor(hevo_sim):
    for pid in range(1, 8):
        hevo_sim.sim.add_pipeline(pid)
    first = _get(hevo_sim.url, "/api/v1/pipelines", params={"limit": 3}).json()
    assert [p["id"] for p in first["data"]] == [1, 2, 3] and first["has_more"]
    rest = _get(hevo_sim.url, "/api/v1/pipelines", params={"limit": 10, "cursor": first["next_cursor"]}).json()
    assert [p["id"] for p in rest["data"]] == [4, 5, 6, 7] and not rest["has_more"] and rest["next_cursor"] is None
    assert _get(hevo_sim.url, "/api/v1/pipelines", params={"limit": 0}).status_code == 400


def test_clock_offset_shifts_the_timestamps_hevo_reports(hevo_sim):
    hevo_sim.sim.add_pipeline(1, PipelineScript(clock_offset_s=-30.0))
    before = time.time()
    _post(hevo_sim.url, "/api/v1/pipelines/1/actions/sync-now")
    job = _get(hevo_sim.url, "/api/v1/pipelines/1/jobs").json()["data"][0]
    assert before - 31 <= job["created_ts"] / 1000 <= before - 29


def test_scheduled_job_before_post_is_added_once(hevo_sim):
    hevo_sim.sim.add_pipeline(
        1, PipelineScript(scheduled_job_before_post_s=1.0, job_appear_delay_s=5.0, job_duration_s=0.0)
    )
    _post(hevo_sim.url, "/api/v1/pipelines/1/actions/sync-now")
    ours, scheduled = hevo_sim.sim.jobs(1)
    assert ours["created_ts"] - scheduled["created_ts"] in range(995, 1006) and scheduled["status"] == "COMPLETED"
    assert _get(hevo_sim.url, "/api/v1/pipelines/1/jobs").json()["data"] == []  # both hidden for a while
    hevo_sim.sim.script(1).job_appear_delay_s = 0.0
    _post(hevo_sim.url, "/api/v1/pipelines/1/actions/sync-now")
    assert len(hevo_sim.sim.jobs(1)) == 3 and hevo_sim.sim.sync_now_posts(1) == 2  # one-shot


def test_job_objects_shape_and_paging(hevo_sim):
    """Namespaces as Hevo's provider models them ({k0 table, k1 schema, k2 database}); a failing object
    carries its status and error; paged like the jobs list."""
    script = PipelineScript(
        job_duration_s=0.0, final_status="FAILED", tables=["s.a", "s.b", "s.c"], object_errors={"s.b": "boom"}
    )
    hevo_sim.sim.add_pipeline(1, script)
    _post(hevo_sim.url, "/api/v1/pipelines/1/actions/sync-now")
    time.sleep(0.05)
    job_id = hevo_sim.sim.jobs(1)[0]["job_id"]
    first = _get(hevo_sim.url, f"/api/v1/pipelines/1/jobs/{job_id}/objects", params={"limit": 2}).json()
    assert len(first["data"]) == 2 and first["has_more"] is True
    rest = _get(
        hevo_sim.url, f"/api/v1/pipelines/1/jobs/{job_id}/objects", params={"cursor": first["next_cursor"]}
    ).json()
    assert len(rest["data"]) == 1 and rest["has_more"] is False
    failing = first["data"][1]
    assert failing["source_namespace"] == {"k0": "b", "k1": "s", "k2": "shop"}  # the default Postgres source
    assert failing["destination_namespace"] == {"k0": "B", "k1": "HEVO_RAW", "k2": "ANALYTICS"}  # Snowflake
    assert (failing["status"], failing["error_message"]) == ("FAILED", "boom")
    assert first["data"][0]["status"] == "COMPLETED" and "error_message" not in first["data"][0]
    assert _get(hevo_sim.url, f"/api/v1/pipelines/1/jobs/{job_id}/objects", params={"limit": 0}).status_code == 400
    assert _get(hevo_sim.url, "/api/v1/pipelines/1/jobs/nope/objects").status_code == 404
    listed = _get(hevo_sim.url, "/api/v1/pipelines/1/objects").json()["data"]
    assert [o["source_namespace"]["k0"] for o in listed] == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("accepts", "body", "status"),
    [
        ("resync_mode", {"resync_mode": "DROP_AND_LOAD"}, 200),
        ("resync_mode", {"drop_and_load": True}, 400),
        ("drop_and_load", {"drop_and_load": False}, 200),
        ("drop_and_load", {"resync_mode": "EVOLVE_AND_MERGE"}, 400),
        ("drop_and_load", {"drop_and_load": "yes"}, 400),
        ("either", {"drop_and_load": True}, 200),
        ("neither", {"resync_mode": "DROP_AND_LOAD"}, 400),
        ("resync_mode", {}, 400),
    ],
)
def test_resync_body_shapes_the_simulator_accepts(hevo_sim, accepts, body, status):
    hevo_sim.sim.add_pipeline(1, PipelineScript(resync_body=accepts, job_duration_s=5))
    r = _post(hevo_sim.url, "/api/v1/pipelines/1/actions/resync", json=body)
    assert r.status_code == status
    assert len(hevo_sim.sim.jobs(1)) == (1 if status == 200 else 0)  # a refused body starts nothing
    if status == 400:
        assert "body" in r.json()["message"]
    assert hevo_sim.sim.resync_bodies(1) == [body]


def test_pipeline_faults_hit_only_the_pipeline_read(hevo_sim):
    hevo_sim.sim.add_pipeline(1, PipelineScript(fail_next=1, faults_on="pipeline"))
    assert _get(hevo_sim.url, "/api/v1/pipelines/1/jobs").status_code == 200
    assert _get(hevo_sim.url, "/api/v1/pipelines/1").status_code == 503
    assert _get(hevo_sim.url, "/api/v1/pipelines/1").status_code == 200


def test_a_settling_pipeline_becomes_initialized(hevo_sim):
    hevo_sim.sim.add_pipeline(1, PipelineScript(status="ENABLING", ready_after_s=0.2))
    assert _get(hevo_sim.url, "/api/v1/pipelines/1").json()["status"] == "ENABLING"
    assert _post(hevo_sim.url, "/api/v1/pipelines/1/actions/sync-now").status_code == 400
    time.sleep(0.25)
    assert _get(hevo_sim.url, "/api/v1/pipelines/1").json()["status"] == "INITIALIZED"
