"""The operating keys (issue 14): notify, deadline, params, execution controls, show_source.

Each key: its model value, and its mistakes as ``path:line:col`` errors with a hint (a did-you-mean where
one fits). ``hevo-dagfactory show`` prints them (test_spec_show_operate.py).
"""

from __future__ import annotations

import textwrap
from datetime import timedelta

import pytest

from hevo_dagfactory.spec import ConfigErrors, load_file
from hevo_dagfactory.spec.model import NotifyTarget, TaskControls

BASE = "syncs: [{id: orders, pipeline_id: 7}]\nsteps:\n  - {id: build, dbt: {command: build}}\n"


def errors(write, text: str, name: str = "w.yaml") -> list[str]:
    with pytest.raises(ConfigErrors) as exc:
        load_file(write(name, text))
    return [str(e) for e in exc.value.errors]


def doc(*parts: str) -> str:
    """One file from parts written with their own indentation (BASE, then an indented block)."""
    return "".join(textwrap.dedent(p).lstrip("\n") for p in parts)


# --- notify ------------------------------------------------------------------------------------------
def test_notify_targets_with_defaults(write):
    wf = load_file(
        write(
            "w.yaml",
            doc(
                BASE,
                """
            notify:
              - slack: slack_alerts
              - {email: oncall@example.com, on: [failure, retry, success]}
              - {email: [a@example.com, b@example.com], connection_id: smtp_eu, from_email: af@example.com}
            """,
            ),
        )
    )
    assert wf.notify == (
        NotifyTarget("slack", "slack_alerts", on=("failure",)),
        NotifyTarget("email", "smtp_default", ("oncall@example.com",), None, ("failure", "retry", "success")),
        NotifyTarget("email", "smtp_eu", ("a@example.com", "b@example.com"), "af@example.com", ("failure",)),
    )
    assert wf.notify[1].as_dict() == {
        "kind": "email",
        "connection_id": "smtp_default",
        "to": ["oncall@example.com"],
        "from_email": None,
    }


def test_notify_mistakes_are_positioned_with_a_hint(write):
    got = errors(
        write,
        doc(
            BASE,
            """
        notify:
          - {slack: slack_alerts, connection_id: smtp_default}
          - {email: oncall@example.com, on: [failur]}
          - {email: not-an-address}
          - {slack: a, email: b@example.com}
        """,
        ),
    )
    assert got == [
        "w.yaml:6:38: entry 1 of on must be one of failure, retry, success, not string 'failur' [/notify/1/on/0]; "
        "did you mean 'failure'?",
        "w.yaml:7:13: invalid email: string 'not-an-address' [/notify/2/email]; "
        "an e-mail address such as oncall@example.com, or a list of them",
        "w.yaml:8:5: a notify target needs exactly one of 'slack' (a Slack webhook connection id) or 'email' "
        "(addresses) [/notify/3]",
    ]
    got = errors(write, BASE + "notify:\n  - {slack: slack_alerts, connection_id: smtp_default}\n")
    assert got == [
        "w.yaml:5:42: 'connection_id' is for e-mail targets; a Slack target names its webhook connection in "
        "'slack:' [/notify/0/connection_id]; remove it (the webhook token stays in the Slack connection)"
    ]


# --- deadline ----------------------------------------------------------------------------------------
def test_deadline_by_and_after(write):
    wf = load_file(write("w.yaml", BASE + 'timezone: Europe/Berlin\nnotify: [{slack: s}]\ndeadline: {by: "07:00"}\n'))
    assert (wf.deadline.by, wf.deadline.after, wf.deadline.timezone) == ("07:00", None, "Europe/Berlin")
    assert wf.deadline.notify == wf.notify  # default: the workflow's targets
    wf = load_file(write("w.yaml", BASE + "deadline: {after: 90m, timezone: utc, notify: [{email: o@example.com}]}\n"))
    assert (wf.deadline.by, wf.deadline.after, wf.deadline.timezone) == (None, timedelta(minutes=90), "UTC")
    assert wf.deadline.notify == (NotifyTarget("email", "smtp_default", ("o@example.com",), on=("failure",)),)


def test_deadline_mistakes(write):
    assert errors(write, BASE + 'deadline: {by: "07:00", after: 2h, notify: [{slack: s}]}\n') == [
        "w.yaml:4:11: a deadline needs exactly one of 'by' (a time such as \"07:00\") or 'after' (a duration "
        "such as 2h) [/deadline]"
    ]
    assert errors(write, BASE + "deadline: {by: '7:00', notify: [{slack: s}]}\n") == [
        "w.yaml:4:16: invalid by: string '7:00' [/deadline/by]; write a 24-hour time such as \"07:00\" (in quotes)"
    ]
    assert errors(write, BASE + "deadline: {after: 1h, timezone: Europe/Berln, notify: [{slack: s}]}\n") == [
        "w.yaml:4:33: unknown time zone 'Europe/Berln' [/deadline/timezone]; did you mean 'Europe/Berlin'?"
    ]
    assert errors(write, BASE + "deadline: {after: 1h, notify: [{slack: s, on: [failure]}]}\n") == [
        "w.yaml:4:47: a deadline's targets hear only that the deadline passed, so 'on' has no meaning here "
        "[/deadline/notify/0/on]; remove 'on' (list events in the workflow's 'notify:')"
    ]
    assert errors(write, BASE + "deadline: {after: 1h}\n") == [
        "w.yaml:4:11: nobody hears this deadline: it has no 'notify' and the workflow has no 'notify' targets "
        "[/deadline]; add 'notify: [{slack: <connection id>}]' under 'deadline:' (or a workflow 'notify:')"
    ]


def test_deadline_null_in_an_overlay_switches_it_off(write):
    text = BASE + "notify: [{slack: s}]\ndeadline: {after: 1h}\nenvironments:\n  dev: {deadline: null}\n"
    assert load_file(write("w.yaml", text)).deadline is not None
    assert load_file(write("w.yaml", text), env="dev").deadline is None


# --- params ------------------------------------------------------------------------------------------
def test_params_user_and_builtins(write):
    wf = load_file(
        write(
            "w.yaml",
            doc(
                BASE,
                """
            params:
              resync: true
              dbt_full_refresh: true
              since: {type: string, default: "2026-01-01", description: first day}
              days: {type: integer, default: 7, minimum: 1, maximum: 90}
              region: {type: string, enum: [eu, us], default: eu}
            """,
            ),
        )
    )
    p = wf.params
    assert (p.resync, p.dbt_full_refresh) == (True, True)
    assert p.names() == ("resync", "dbt_full_refresh", "since", "days", "region")
    days = p.user[1]
    assert (days.type, days.default, days.has_default, days.minimum, days.maximum) == ("integer", 7, True, 1, 90)
    assert p.user[2].enum == ("eu", "us")


def test_builtins_apply_only_where_they_can(write):
    """A team's defaults.yaml may switch both on: a workflow without syncs or dbt steps just does not get them."""
    write("defaults.yaml", "params: {resync: true, dbt_full_refresh: true}\n")
    wf = load_file(write("w.yaml", "steps: [{id: hello, bash: echo hi}]\n"))
    assert wf.params.names() == ()
    wf = load_file(write("w.yaml", "syncs: [{id: orders, pipeline_id: 7}]\n"))
    assert wf.params.names() == ("resync",)


def test_param_mistakes(write):
    got = errors(
        write,
        doc(
            BASE,
            """
        schedule: "@daily"
        params:
          a: {type: integer, default: "7"}
          b: {type: string, enum: [x, 1], default: y}
          c: {type: string, minimum: 1, default: z}
          d: {type: number, minimum: 5, maximum: 1, default: 3}
          e: {type: boolean}
        """,
        ),
    )
    assert got == [
        "w.yaml:6:31: the default '7' is not of type integer [/params/a/default]; write it without quotes",
        "w.yaml:7:31: 1 is not of type string [/params/b/enum/1]",
        "w.yaml:7:44: the default 'y' is not one of the enum values ('x', 1) [/params/b/default]",
        "w.yaml:8:30: 'minimum' applies to integer and number parameters only [/params/c/minimum]; remove it",
        "w.yaml:9:42: maximum is below minimum [/params/d/maximum]; swap them",
        "w.yaml:9:54: the default 3 is above the maximum 1 [/params/d/default]",
        "w.yaml:9:54: the default 3 is below the minimum 5 [/params/d/default]",
        "w.yaml:10:6: parameter 'e' has no default, but the workflow is scheduled (a scheduled run has nobody to "
        "fill the form) [/params/e]; add 'default: ...'",
    ]


def test_a_manual_workflow_may_have_a_required_param(write):
    wf = load_file(write("w.yaml", BASE + "params: {since: {type: string}}\n"))
    assert wf.params.user[0].has_default is False


def test_a_step_reading_an_undeclared_param_gets_a_did_you_mean(write):
    got = errors(
        write,
        """
        params: {since: {type: string, default: x}}
        steps:
          - id: a
            bash: echo "{{ params.sinse }} {{ params['since'] }}"
          - id: b
            dbt: {command: run, vars: {d: "{{ params.resync }}"}}
        """,
    )
    assert got == [
        "w.yaml:4:11: the step reads {{ params.sinse }}, which is not declared [/steps/0/bash]; did you mean 'since'?",
        "w.yaml:6:35: the step reads {{ params.resync }}, which is not declared [/steps/1/dbt/vars/d]; "
        "declared here: since",
    ]


def test_a_mistyped_builtin_gets_a_did_you_mean(write):
    assert errors(write, BASE + "params: {resynk: true}\n") == [
        "w.yaml:4:18: resynk must be a mapping, not boolean true [/params/resynk]; did you mean 'resync'?"
    ]


# --- execution controls ------------------------------------------------------------------------------
def test_controls_in_defaults_sync_defaults_syncs_and_steps(write):
    wf = load_file(
        write(
            "w.yaml",
            """
            max_active_tasks: 3
            dagrun_timeout: 6h
            defaults: {pool: hevo_api, retry_exponential_backoff: true, max_retry_delay: 10m}
            sync_defaults: {queue: hevo, priority_weight: 5}
            syncs:
              - {id: a, pipeline_id: 1, priority_weight: 9, pool_slots: 2}
              - {id: b, pipeline_id: 2, exclusive: true}
            steps:
              - {id: s, bash: echo, queue: dbt, max_active_tis_per_dag: 1, retry_exponential_backoff: false}
            """,
        )
    )
    assert (wf.max_active_tasks, wf.dagrun_timeout) == (3, timedelta(hours=6))
    assert wf.defaults.controls == TaskControls(
        pool="hevo_api", retry_exponential_backoff=True, max_retry_delay=timedelta(minutes=10)
    )
    a, b = wf.syncs
    assert a.controls == TaskControls(pool_slots=2, queue="hevo", priority_weight=9)
    assert (b.exclusive, b.effective_controls()) == (
        True,
        TaskControls(pool="hevo_pipeline_2", pool_slots=1, queue="hevo", priority_weight=5),
    )
    assert wf.steps[0].controls == TaskControls(queue="dbt", max_active_tis_per_dag=1, retry_exponential_backoff=False)


def test_control_mistakes(write):
    got = errors(
        write,
        """
        dagrun_timeout: 400d
        syncs:
          - {id: a, pipeline_id: 1, exclusive: true, pool: mine}
          - {id: b, pipeline_id: 2, pool: "no spaces"}
        steps:
          - {id: s, bash: echo, max_retry_delay: 2y, priority_weight: 1.5, pol: x}
        """,
    )
    assert got == [
        "w.yaml:4:35: invalid pool: string 'no spaces' [/syncs/1/pool]; a pool name holds letters, digits, '_', "
        "'.' and '-'",
        "w.yaml:6:42: invalid max_retry_delay: string '2y' [/steps/0/max_retry_delay]; a duration is whole seconds "
        "like 90, or a string like 90s, 5m, 2h, 1h30m or 1d",
        "w.yaml:6:63: priority_weight must be a whole number, not number 1.5 [/steps/0/priority_weight]; "
        "write a whole number such as 2, without a decimal point or exponent",
        "w.yaml:6:68: unknown key 'pol' [/steps/0/pol]; did you mean 'pool'?",
    ]
    got = errors(write, "dagrun_timeout: 400d\nsyncs:\n  - {id: a, pipeline_id: 1, exclusive: true, pool: mine}\n")
    assert got == [
        "w.yaml:1:17: invalid duration '400d': longer than the 365-day limit [/dagrun_timeout]; write at most 365d, "
        "or null for no limit",
        "w.yaml:3:52: 'pool' cannot be combined with 'exclusive: true' (the sync runs in the one-slot pool "
        "'hevo_pipeline_1') [/syncs/0/pool]; remove 'pool', or set 'exclusive: false' to use your own pool",
    ]


# --- show_source and the origin ----------------------------------------------------------------------
def test_origin_keeps_the_file_as_written_and_the_defaults_chain(write, monkeypatch):
    monkeypatch.setenv("TEAM_TOKEN", "s3cr3t-value")
    write("defaults.yaml", "owner: data\ndefaults: {retries: 4}\nenvironments: {dev: {owner: dev}}\n")
    write("team/defaults.yaml", "owner: team\nhevo: {region: eu}\n")
    text = "show_source: false\nsteps: [{id: a, bash: {command: echo, env: {T: '${TEAM_TOKEN}'}}}]\n"
    wf = load_file(write("team/w.yaml", text), root=".")
    assert wf.show_source is False and wf.owner == "team"
    assert wf.origin.text == text  # as written: the variable is not expanded
    assert wf.origin.defaults_files == ("defaults.yaml", "team/defaults.yaml")
    assert wf.origin.defaults == {"owner": "team", "defaults": {"retries": 4}, "hevo": {"region": "eu"}}
