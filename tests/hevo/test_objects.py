"""Job objects and pipeline objects over real sockets with both clients, and the lenient object parser.

``GET /pipelines/{id}/jobs/{job_id}/objects`` names the tables a job processed with their status and
error; the item shape is LOW confidence (hevo-api.md), so the parser accepts several spellings.
"""

from __future__ import annotations

import time

import pytest

from hevo_dagfactory.hevo import HevoNotFound, HevoObject, Namespace, ObjectPage
from hevo_dagfactory.simulator import PipelineScript

ERRORS = {
    "sales.orders": "Failed to load 12 events: column 'amount' expects NUMBER, got VARCHAR",
    "sales.refunds": "Destination table is locked by another process",
}


def _start_and_finish(hevo_sim, pid, script, timeout=5.0):
    import requests

    hevo_sim.sim.add_pipeline(pid, script)
    requests.post(
        f"{hevo_sim.url}/api/v1/pipelines/{pid}/actions/sync-now", auth=("test-key", "test-secret"), timeout=5
    ).raise_for_status()
    end = time.monotonic() + timeout
    while hevo_sim.sim.jobs(pid)[0]["status"] == "IN_PROGRESS" and time.monotonic() < end:
        time.sleep(0.02)
    return hevo_sim.sim.jobs(pid)[0]


def test_job_objects_name_the_failing_tables_with_their_errors(hevo_sim, make_client):
    tables = ["sales.customers", "sales.orders", "sales.refunds", "sales.invoices"]
    script = PipelineScript(
        job_duration_s=0.0, final_status="COMPLETED_WITH_FAILURES", tables=tables, object_errors=ERRORS
    )
    job = _start_and_finish(hevo_sim, 1, script)
    assert job["objects_failed"] == 2 and job["objects_success"] == 2

    objects = make_client().iter_job_objects(1, job["job_id"])
    assert [o.label for o in objects] == [
        "shop.sales.customers",
        "shop.sales.orders",
        "shop.sales.refunds",
        "shop.sales.invoices",
    ]
    failed = {o.source.table: o for o in objects if o.failed}
    assert set(failed) == {"orders", "refunds"}
    assert failed["orders"].error == ERRORS["sales.orders"] and failed["orders"].status == "COMPLETED_WITH_FAILURES"
    assert failed["orders"].destination == Namespace("ORDERS", "HEVO_RAW", "ANALYTICS")  # the default Snowflake
    assert failed["orders"].events_failed and failed["orders"].object_id
    ok = [o for o in objects if not o.failed]
    assert {o.status for o in ok} == {"COMPLETED"} and all(o.error is None for o in ok)


def test_job_objects_follow_the_cursor_across_pages(hevo_sim, make_client):
    tables = [f"public.t{n:03d}" for n in range(25)]
    script = PipelineScript(
        job_duration_s=0.0, final_status="FAILED", tables=tables, object_errors={"public.t024": "boom"}
    )
    job = _start_and_finish(hevo_sim, 1, script)
    client = make_client()
    first = client.list_job_objects(1, job["job_id"], limit=10)
    assert isinstance(first, ObjectPage) and len(first.objects) == 10 and first.has_more and first.next_cursor
    every = client.iter_job_objects(1, job["job_id"], page_size=10)
    assert [o.source.table for o in every] == [f"t{n:03d}" for n in range(25)]
    assert [o.source.table for o in every if o.failed] == ["t024"] and every[-1].status == "FAILED"
    pages = [e for e in hevo_sim.sim.request_log if e["path"].endswith(f"/jobs/{job['job_id']}/objects")]
    assert len(pages) == 4  # one for list_job_objects, three for the 25 objects at 10 a page
    assert len(client.iter_job_objects(1, job["job_id"], page_size=10, max_pages=2)) == 20


def test_objects_of_a_running_job_have_no_failures_yet(hevo_sim, make_client):
    hevo_sim.sim.add_pipeline(1, PipelineScript(running_job=True, job_duration_s=30, final_status="FAILED"))
    job_id = hevo_sim.sim.jobs(1)[0]["job_id"]
    objects = make_client().iter_job_objects(1, job_id)
    assert objects and {o.status for o in objects} == {"IN_PROGRESS"} and not any(o.failed for o in objects)


def test_objects_of_an_unknown_job_are_a_404(hevo_sim, make_client):
    hevo_sim.sim.add_pipeline(1)
    with pytest.raises(HevoNotFound):
        make_client().list_job_objects(1, "no-such-job")


def test_pipeline_objects_give_source_objects_and_destination_tables(hevo_sim, make_client):
    hevo_sim.sim.add_pipeline(1, PipelineScript(tables=["crm.accounts", "crm.contacts"]))
    objects = make_client().iter_pipeline_objects(1)
    assert [(o.source.qualified, o.destination.qualified) for o in objects] == [
        ("shop.crm.accounts", "ANALYTICS.HEVO_RAW.ACCOUNTS"),
        ("shop.crm.contacts", "ANALYTICS.HEVO_RAW.CONTACTS"),
    ]
    assert {(o.status, o.replication_status) for o in objects} == {("ACTIVE", "REPLICATED")}
    assert not any(o.failed for o in objects)


def test_page_size_out_of_range_is_refused_before_any_request(hevo_sim, make_client):
    hevo_sim.sim.add_pipeline(1)
    with pytest.raises(ValueError, match="limit"):
        make_client().list_job_objects(1, "x", limit=101)
    assert hevo_sim.sim.request_log == []


# --- lenient parsing (no server needed: these are shapes the simulator does not speak) ------------
@pytest.mark.parametrize(
    ("item", "label", "error"),
    [
        (
            {
                "object_id": "1",
                "source_namespace": {"k0": "t", "k1": "s", "k2": "d"},
                "status": "FAILED",
                "error": {"code": "E1", "message": "bad  row\n"},
            },
            "d.s.t",
            "bad row",
        ),
        (
            {"id": 2, "source": {"schema": "s", "table": "t"}, "status": "failed", "errors": ["a", {"message": "b"}]},
            "s.t",
            "a; b",
        ),
        ({"object_name": "orders", "status": "COMPLETED", "events_failed": "3"}, "orders", None),
        ({"source_namespace": "db.sch.tbl", "failure_reason": "x" * 600}, "db.sch.tbl", "x" * 500 + "…"),
        ({"object_id": "only-an-id", "statistics": {"events_failed": 0}}, "only-an-id", None),
    ],
)
def test_object_parser_is_lenient(item, label, error):
    obj = HevoObject.from_api(item)
    assert obj.label == label and obj.error == error and obj.raw == item


def test_what_counts_as_a_failed_object():
    assert HevoObject.from_api({"status": "FAILED"}).failed
    assert HevoObject.from_api({"status": "COMPLETED_WITH_FAILURES"}).failed
    assert HevoObject.from_api({"status": "COMPLETED", "events_failed": 2}).failed
    assert HevoObject.from_api({"status": "COMPLETED", "error_message": "late"}).failed
    assert HevoObject.from_api({"replication_status": "FAILED"}).failed
    assert not HevoObject.from_api({"status": "COMPLETED", "events_failed": 0, "error": None}).failed
    assert not HevoObject.from_api({"status": "IN_PROGRESS"}).failed


def test_object_pages_accept_other_wrappers_and_skip_non_objects():
    page = ObjectPage.from_api({"objects": [{"object_id": "a"}, "junk", None], "next_cursor": "c2"})
    assert [o.object_id for o in page.objects] == ["a"] and page.has_more and page.next_cursor == "c2"
    assert ObjectPage.from_api([{"object_id": "b"}]).objects[0].object_id == "b"
    with pytest.raises(ValueError):
        ObjectPage.from_api("not a page")
