"""``hevo-dagfactory show`` prints every operating key, and ``hevo-dagfactory pools`` the pools they need."""

from __future__ import annotations

import json

from hevo_dagfactory.cli import main

WF = """\
schedule: null
max_active_tasks: 3
dagrun_timeout: 6h
show_source: false
notify:
  - {slack: slack_alerts, on: [failure, retry]}
  - {email: [a@example.com], connection_id: smtp_eu, from_email: af@example.com, on: [success]}
deadline: {by: "07:00", timezone: Europe/Berlin, notify: [{slack: slack_oncall}]}
params:
  resync: true
  dbt_full_refresh: true
  days: {type: integer, default: 3, minimum: 1, maximum: 90, description: lookback}
  region: {type: string, enum: [eu, us]}
defaults: {pool: hevo_api, retry_exponential_backoff: true, max_retry_delay: 10m}
syncs:
  - {id: orders, pipeline_id: 41, exclusive: true, queue: hevo}
  - {id: payments, pipeline_id: 42, priority_weight: 5, max_active_tis_per_dag: 1}
steps:
  - {id: build, dbt: {command: build}, pool: dbt, pool_slots: 2}
"""


def test_show_prints_every_operating_key(write, capsys):
    write("defaults.yaml", "owner: data\n")
    write("team/defaults.yaml", "tags: [team]\n")
    write("team/w.yaml", WF)
    assert main(["show", "--root", ".", "team/w.yaml"]) == 0
    out = capsys.readouterr().out
    for line in (
        "  task defaults: retries 2, retry_delay 5m, execution_timeout none; pool hevo_api, "
        "retry_exponential_backoff True, max_retry_delay 10m",
        "  runs: max_active_runs 1, max_active_tasks 3, dagrun_timeout 6h",
        "  notify slack via connection slack_alerts on failure, retry",
        "  notify email a@example.com from af@example.com via connection smtp_eu on success",
        "  deadline: by 07:00 [Europe/Berlin]; tell slack via connection slack_oncall",
        "  param resync (built-in): off | evolve_and_merge | drop_and_load, default off: run the syncs as resyncs",
        "  param dbt_full_refresh (built-in): boolean, default false: add --full-refresh to the dbt steps",
        "  param days: integer, range 1..90, default 3 (lookback)",
        "  param region: string, one of 'eu', 'us', no default (required in the trigger form)",
        "  defaults from: defaults.yaml < team/defaults.yaml",
        "  DAG docs: without the source file (show_source: false)",
    ):
        assert line in out.splitlines(), (line, out)
    assert "; pool hevo_pipeline_41, pool_slots 1, queue hevo" in out
    assert "; priority_weight 5, max_active_tis_per_dag 1" in out
    assert "dbt build; pool dbt, pool_slots 2" in out
    deadline_after = WF.replace('{by: "07:00", timezone: Europe/Berlin,', "{after: 90m,")
    write("team/w.yaml", deadline_after)
    assert main(["show", "team/w.yaml"]) == 0
    assert (
        "  deadline: 1h30m after the run is queued; tell slack via connection slack_oncall" in capsys.readouterr().out
    )


def test_pools_lists_the_exclusive_pipelines_and_with_all_the_named_pools(write, capsys):
    write("w.yaml", WF)
    write("other.yaml", "syncs: [{id: orders, pipeline_id: 41, exclusive: true}]\n")
    assert main(["pools", "."]) == 0
    pools = json.loads(capsys.readouterr().out)
    assert pools == {
        "hevo_pipeline_41": {
            "slots": 1,
            "include_deferred": True,
            "description": "hevo-dagfactory: one Hevo pipeline's syncs, one at a time (other.orders, w.orders)",
        }
    }
    assert main(["pools", "--all", "."]) == 0
    pools = json.loads(capsys.readouterr().out)
    assert sorted(pools) == ["dbt", "hevo_api", "hevo_pipeline_41"]
    assert pools["dbt"]["include_deferred"] is False  # a deferred task holds no slot of a pool it names itself
