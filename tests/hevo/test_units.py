"""Pure units: regions, job parsing and status classes, Retry-After parsing, backoff, error mapping."""

from __future__ import annotations

import email.utils
import json
import logging
import pickle
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hevo_dagfactory.hevo import (
    REGIONS,
    HevoAuthError,
    HevoJobInProgress,
    HevoRateLimited,
    HevoServerError,
    HevoTransportError,
    Job,
    JobOutcome,
    JobPage,
    RetryPolicy,
    base_url,
    classify,
    expected_job_types,
    is_transient,
    parse_retry_after,
)
from hevo_dagfactory.hevo.errors import error_for_response


@pytest.mark.parametrize(
    ("kwargs", "url"),
    [
        ({"region": "eu"}, "https://eu.hevodata.com"),
        ({"region": "US2"}, "https://us2.hevodata.com"),
        ({"region": "apac"}, "https://asia.hevodata.com"),
        ({"host": "eu.hevodata.com"}, "https://eu.hevodata.com"),
        ({"host": "127.0.0.1", "scheme": "http", "port": 8080}, "http://127.0.0.1:8080"),
        ({"host": "127.0.0.1:9999", "scheme": "http"}, "http://127.0.0.1:9999"),
        ({"host": "http://127.0.0.1:8080/"}, "http://127.0.0.1:8080"),
        ({"host": "https://proxy.example:8443", "region": "eu"}, "https://proxy.example:8443"),
        ({"region": "in", "port": "443"}, "https://in.hevodata.com:443"),
    ],
)
def test_base_url(kwargs, url):
    assert base_url(**kwargs) == url


def test_regions_are_the_eight_known():
    assert set(REGIONS) == {"asia", "au", "eu", "eu2", "in", "us", "us2", "us-gcp"}
    assert base_url(region="us-gcp") == "https://us-gcp.hevodata.com"
    assert base_url(region="EU2") == "https://eu2.hevodata.com"


def test_an_unknown_region_is_its_sign_in_subdomain_with_a_warning(caplog):
    import logging

    # a spelling no other test uses: the warning is given once per spelling and process
    with caplog.at_level(logging.WARNING, logger="hevo_dagfactory.hevo.regions"):
        assert base_url(region="ap-unit-test") == "https://ap-unit-test.hevodata.com"
        assert base_url(region="ap-unit-test", port=8443) == "https://ap-unit-test.hevodata.com:8443"
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1  # once per spelling, not per request
    assert "'ap-unit-test' is not one we know" in warnings[0] and "us-gcp" in warnings[0] and "host" in warnings[0]


@pytest.mark.parametrize("bad", ["mars 1", "-eu", "eu.", "eu/x", "a" * 64, "évora"])
def test_a_region_that_cannot_be_a_subdomain_is_refused(bad):
    with pytest.raises(ValueError, match="cannot be a subdomain") as info:
        base_url(region=bad)
    assert "us-gcp" in str(info.value)


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({}, "region"),
        ({"region": "mars!"}, "asia"),
        ({"host": "x", "scheme": "ftp"}, "http"),
        ({"host": "x", "port": "abc"}, "number"),
    ],
)
def test_base_url_errors_say_what_is_accepted(kwargs, needle):
    with pytest.raises(ValueError, match=needle):
        base_url(**kwargs)


def test_job_from_api_tolerates_extra_missing_and_stringly_fields():
    job = Job.from_api(
        {
            "job_id": 42,
            "status": "in_progress",
            "created_ts": "1704067200000",
            "new_field": [1],
            "duration": 60000.0,
            "events_failed": None,
            "type": "Some_New_Type",
        }
    )
    assert job.job_id == "42" and job.status == "IN_PROGRESS" and job.created_ts == 1704067200000
    assert job.duration_ms == 60000 and job.events_failed is None and job.raw["new_field"] == [1]
    assert job.type == "Some_New_Type" and job.type_key == "SOME_NEW_TYPE"
    assert Job.from_api({"data": {"job_id": "x", "status": "COMPLETED"}}).job_id == "x"
    with pytest.raises(ValueError):
        Job.from_api({"status": "COMPLETED"})


def test_job_to_dict_is_json_safe():
    job = Job.from_api({"job_id": "a", "status": "COMPLETED", "raw_obj": object.__name__})
    data = json.loads(json.dumps(job.to_dict()))
    assert data["job_id"] == "a" and data["outcome"] == "success" and "raw" not in data


def test_job_page_shapes():
    page = JobPage.from_api(
        {"data": [{"job_id": "1", "status": "COMPLETED"}, {"junk": True}], "has_more": True, "next_cursor": "c2"}
    )
    assert [j.job_id for j in page.jobs] == ["1"] and page.has_more and page.next_cursor == "c2"
    assert not JobPage.from_api({"data": [], "has_more": True}).has_more  # no cursor, no more pages
    with pytest.raises(ValueError):
        JobPage.from_api("nope")


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        ("COMPLETED", JobOutcome.SUCCESS),
        ("COMPLETED_WITH_FAILURES", JobOutcome.COMPLETED_WITH_FAILURES),
        ("FAILED", JobOutcome.FAILED),
        ("CANCELLED", JobOutcome.FAILED),
        ("SKIPPED", JobOutcome.FAILED),
        ("DEFERRED", JobOutcome.FAILED),
        ("DEFERRED_WITH_FAILURES", JobOutcome.FAILED),
        ("DEFERRED_WITH_FAILURE", JobOutcome.FAILED),
        ("IN_PROGRESS", JobOutcome.RUNNING),
        ("CANCELLING", JobOutcome.RUNNING),
        ("in_progress", JobOutcome.RUNNING),
    ],
)
def test_classify(status, outcome):
    assert classify(status) is outcome


def test_unknown_status_is_running_with_a_warning(caplog):
    with caplog.at_level(logging.WARNING):
        assert classify("WARMING_UP_NEW") is JobOutcome.RUNNING
    assert "WARMING_UP_NEW" in caplog.text


def test_expected_job_types():
    assert expected_job_types("sync_now") == {"INCREMENTAL"}
    assert expected_job_types("RESYNC") >= {
        "RESYNC",
        "RESYNC_WITH_EVOLVE",
        "RESYNC_WITH_DROP_AND_LOAD",
        "TRUNCATE_AND_LOAD",
    }
    assert expected_job_types("resync", "truncate_and_load") == {"TRUNCATE_AND_LOAD"}
    with pytest.raises(ValueError):
        expected_job_types("reload")


def test_parse_retry_after_seconds_and_http_date():
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    now = time.time()
    date = email.utils.formatdate(now + 30, usegmt=True)
    assert 28 <= parse_retry_after(date, now=now) <= 31
    assert parse_retry_after(email.utils.formatdate(now - 30, usegmt=True), now=now) == 0.0


def test_backoff_grows_is_capped_and_jittered():
    policy = RetryPolicy(initial_delay=1, max_delay=8, multiplier=2, jitter=0.5)
    for attempt, top in [(1, 1), (2, 2), (3, 4), (4, 8), (9, 8)]:
        values = [policy.backoff(attempt) for _ in range(200)]
        assert all(top * 0.5 <= v <= top for v in values)
        assert max(values) - min(values) > 0  # jitter spreads retries of many waiters


def test_post_retry_rule():
    assert RetryPolicy.should_retry(HevoRateLimited("x", status=429), idempotent=False)
    assert not RetryPolicy.should_retry(HevoServerError("x", status=502), idempotent=False)
    assert not RetryPolicy.should_retry(HevoTransportError("x", kind="timeout"), idempotent=False)
    assert RetryPolicy.should_retry(HevoServerError("x", status=502), idempotent=True)
    assert not RetryPolicy.should_retry(HevoAuthError("x", status=401), idempotent=True)


def test_error_mapping_and_is_transient():
    in_progress = error_for_response(
        500,
        '{"message": "A job is in progress. To sync now..."}',
        method="POST",
        url="https://eu.hevodata.com/api/v1/x",
        where="connection 'c'",
    )
    assert isinstance(in_progress, HevoJobInProgress) and not is_transient(in_progress)
    server = error_for_response(502, "bad gateway", method="GET", url="https://h/x", where="w")
    assert isinstance(server, HevoServerError) and is_transient(server)
    auth = error_for_response(
        401, "nope secret123", method="GET", url="https://h/x", where="connection 'c'", secrets=("secret123",)
    )
    assert isinstance(auth, HevoAuthError) and "secret123" not in str(auth) and "connection 'c'" in str(auth)
    assert not is_transient(auth)
    assert is_transient(ConnectionResetError()) and is_transient(TimeoutError())
    assert not is_transient(ValueError())


def test_errors_survive_pickling():
    err = HevoRateLimited("slow down", status=429, body="b", retry_after=3.0)
    copy = pickle.loads(pickle.dumps(err))
    assert type(copy) is HevoRateLimited and copy.status == 429 and copy.retry_after == 3.0 and str(copy) == "slow down"


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)
_fields = st.sampled_from(
    [
        "status",
        "type",
        "created_ts",
        "updated_ts",
        "duration",
        "events_ingested",
        "events_failed",
        "objects_success",
        "objects_failed",
        "billable_events",
        "whatever",
    ]
)


@given(job_id=st.text(min_size=1) | st.integers(), extra=st.dictionaries(_fields | st.text(), _json_values, max_size=8))
def test_property_any_job_json_with_an_id_parses_and_serialises(job_id, extra):
    extra.pop("job_id", None)
    extra.pop("id", None)
    job = Job.from_api({"job_id": job_id, **extra})
    assert job.job_id == str(job_id)
    json.dumps(job.to_dict())
    assert isinstance(job.outcome, JobOutcome)


def test_missing_or_unknown_status_warns_once_per_spelling(caplog, monkeypatch):
    from hevo_dagfactory.hevo import models

    monkeypatch.setattr(models, "_warned", set())
    with caplog.at_level(logging.WARNING):
        job = Job.from_api({"job_id": "x"})
        assert job.status == "UNKNOWN" and job.outcome is JobOutcome.RUNNING
        assert job.outcome is JobOutcome.RUNNING
        assert classify("UNKNOWN") is JobOutcome.RUNNING
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "without a status" in warnings[0].getMessage()
    assert classify("QUEUED") is JobOutcome.RUNNING and len(caplog.records) == 1  # known: no warning


def test_is_known_status():
    from hevo_dagfactory.hevo.models import is_known_status

    assert all(is_known_status(s) for s in ("COMPLETED", "failed", "DEFERRED_X", "IN_PROGRESS", "QUEUED"))
    assert not any(is_known_status(s) for s in ("success", "UNKNOWN", "", None))


@pytest.mark.parametrize("secret", ["a", "ab", "abc", "a-long-secret"])
def test_any_non_empty_secret_is_redacted(secret):
    err = error_for_response(
        401, f"bad credentials {secret}!", method="GET", url="https://h/x", where="w", secrets=(secret, "dG9rZW4=")
    )
    assert secret not in str(err) and secret not in (err.body or "")


def test_a_job_in_the_trigger_answer_must_really_be_one():
    from hevo_dagfactory.hevo.discovery import job_in_answer

    expected = frozenset({"INCREMENTAL"})
    job = {"job_id": "j", "type": "INCREMENTAL", "status": "IN_PROGRESS", "created_ts": 1}
    assert job_in_answer(job, expected).job_id == "j"
    assert job_in_answer({"data": job}, expected).job_id == "j"
    for ack in (
        {"job_id": "j", "status": "success"},
        {"job_id": "j", "status": "IN_PROGRESS"},
        {**job, "type": "HISTORICAL"},
        {"job_id": "j"},
        {"status": "COMPLETED", "type": "INCREMENTAL"},
    ):
        assert job_in_answer(ack, expected) is None


def test_job_timestamps_and_counts_in_either_documented_spelling():
    """Hevo's provider sends created_ts (epoch ms); one doc sample shows created_at (ISO) and a statistics object."""
    from hevo_dagfactory.hevo import Job

    iso = Job.from_api(
        {
            "job_id": "j",
            "status": "COMPLETED",
            "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-01T00:01:00+00:00",
            "statistics": {"events_ingested": 7, "events_failed": "2", "objects_failed": 1},
        }
    )
    assert iso.created_ts == 1767225600000 and iso.updated_ts == 1767225660000
    assert (iso.events_ingested, iso.events_failed, iso.objects_failed) == (7, 2, 1)
    assert Job.from_api({"job_id": "j", "status": "x", "created_at": 1767225600}).created_ts == 1767225600000
    assert Job.from_api({"job_id": "j", "status": "x", "created_ts": 1767225600000}).created_ts == 1767225600000
    assert Job.from_api({"job_id": "j", "status": "x", "created_at": "yesterday"}).created_ts is None
