"""``action: wait`` in workflow files: the model, the errors (``path:line:col``) and ``show``."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hevo_dagfactory.spec import ConfigErrors, load_file
from hevo_dagfactory.spec.commands.show import render

HEAD = """\
schedule: "15 * * * *"
start_date: 2026-01-01
timezone: Europe/Berlin
syncs:
"""


def errors_of(path) -> list[str]:
    with pytest.raises(ConfigErrors) as info:
        load_file(path)
    return [str(e) for e in info.value.errors]


def test_a_wait_sync_becomes_the_model_and_show_says_it_starts_nothing(write):
    path = write(
        "crm.yaml",
        HEAD
        + """\
  - {id: crm, pipeline_id: 5678, action: wait, timeout: 2h}
  - {id: erp, pipeline_id: 5679, action: wait, wait: poll, completed_after: "{{ data_interval_start }}"}
  - {id: fixed, pipeline_id: 5680, action: wait, completed_after: "2026-03-01 06:00", job_type: incremental}
""",
    )
    crm, erp, fixed = load_file(path).syncs
    assert (crm.action, crm.completed_after, crm.wait) == ("wait", None, "deferrable")
    assert erp.completed_after == "{{ data_interval_start }}" and erp.wait == "poll"
    assert fixed.completed_after == "2026-03-01T06:00:00+01:00"  # read in the workflow's time zone
    shown = render(load_file(path))
    assert "hevo wait for pipeline 5678: a INCREMENTAL job Hevo runs, completing after the data interval end" in shown
    assert "completing after {{ data_interval_start }}; starts nothing (wait poll" in shown
    assert "if running" not in shown.split("crm ", 1)[1].splitlines()[0]


def test_keys_that_make_no_sense_with_wait_are_refused_where_written(write):
    path = write(
        "bad.yaml",
        HEAD
        + """\
  - id: crm
    pipeline_id: 5678
    action: wait
    resync_mode: drop_and_load
    if_running: fail
    wait: none
  - id: sync
    pipeline_id: 5679
    completed_after: "{{ data_interval_start }}"
  - id: odd
    pipeline_id: 5680
    action: wait
    completed_after: "when the sun rises"
""",
    )
    assert errors_of(path) == [
        "bad.yaml:8:5: resync_mode makes no sense with action: wait [/syncs/0/resync_mode]; a wait-only sync "
        "starts no resync; remove resync_mode, or use action: resync",
        "bad.yaml:9:5: if_running makes no sense with action: wait [/syncs/0/if_running]; a wait-only sync starts "
        "nothing, so there is nothing to attach to; remove if_running",
        "bad.yaml:10:11: wait: none makes no sense with action: wait (it would start nothing and wait for nothing) "
        "[/syncs/0/wait]; use wait: deferrable or wait: poll for this sync",
        "bad.yaml:13:5: completed_after applies to action: wait only (this sync's action is sync_now) "
        "[/syncs/1/completed_after]; remove completed_after, or set action: wait to wait for a job Hevo runs on its "
        "own schedule",
        "bad.yaml:17:22: completed_after 'when the sun rises' is neither a template nor a date and time "
        "[/syncs/2/completed_after]; write a template such as '{{ data_interval_start }}' or a time such as "
        "2026-01-31T06:00:00+01:00",
    ]


def test_sync_defaults_apply_only_where_they_make_sense(write):
    """Defaults are for every sync: resync_mode/if_running/completed_after there are no error on the others."""
    path = write(
        "mixed.yaml",
        """\
        schedule: "@hourly"
        start_date: 2026-01-01
        sync_defaults: {if_running: fail, resync_mode: drop_and_load, completed_after: "{{ data_interval_start }}"}
        syncs:
          - {id: crm, pipeline_id: 1, action: wait}
          - {id: erp, pipeline_id: 2}
        """,
    )
    crm, erp = load_file(path).syncs
    assert crm.completed_after == "{{ data_interval_start }}" and erp.completed_after is None
    assert erp.if_running == "fail"
    bad = write(
        "none.yaml",
        """\
        schedule: "@hourly"
        start_date: 2026-01-01
        sync_defaults: {wait: none}
        syncs:
          - {id: crm, pipeline_id: 1, action: wait}
        """,
    )
    (message,) = errors_of(bad)
    assert (
        message.startswith("none.yaml:3:23: wait: none makes no sense with action: wait")
        and "[/sync_defaults/wait]" in message
    )


def test_asset_scheduled_workflows_may_not_wait_after_a_logical_date(write):
    path = write(
        "assets.yaml",
        """\
        schedule: {assets: ["hevo://us/pipelines/1"]}
        syncs:
          - {id: crm, pipeline_id: 2, action: wait, completed_after: "{{ data_interval_end }}"}
        """,
    )
    (message,) = errors_of(path)
    assert message.startswith("assets.yaml:3:62: '{{ data_interval_end }}' is undefined in runs started by an Asset")


@settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=40))
def test_any_completed_after_text_is_a_model_or_a_config_error(write, text):
    """Whatever a user writes as a fixed reference time, validation answers with a model or a ConfigError."""
    path = write(
        "fuzz.yaml", HEAD + f"  - {{id: crm, pipeline_id: 1, action: wait, completed_after: {json.dumps(text)}}}\n"
    )
    try:
        (sync,) = load_file(path).syncs
    except ConfigErrors as exc:
        assert all(e.line for e in exc.errors)
    else:
        assert sync.completed_after is None or isinstance(sync.completed_after, str)
