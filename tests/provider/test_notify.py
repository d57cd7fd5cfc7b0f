"""Notifications through Airflow's own Slack webhook and SMTP notifiers, to real local servers.

A local HTTP server on 127.0.0.1 stands in for Slack's incoming webhook (the ``slackwebhook``
connection's host points at it) and ``aiosmtpd`` is a real SMTP server; the messages come from real
``dag.test()`` runs (the task's own context: try, log URL, the Hevo job in XCom), on both Airflow lines.
"""

from __future__ import annotations

import asyncio
import email
import json
import socket
import time
from datetime import datetime, timezone
from email.message import Message

import pytest
from provider_helpers import SECRET

from hevo_dagfactory.demo.standins import WebhookRecorder, slack_connection_json
from hevo_dagfactory.provider.compat import AIRFLOW_3
from hevo_dagfactory.provider.notify.deadline import deadline_missed
from hevo_dagfactory.provider.notify.notifier import WorkflowNotifier
from hevo_dagfactory.simulator import PipelineScript

pytestmark = pytest.mark.usefixtures("airflow_db")

SLACK = {"kind": "slack", "connection_id": "test_slack", "to": [], "from_email": None}
EMAIL = {"kind": "email", "connection_id": "test_smtp", "to": ["oncall@example.com"], "from_email": None}


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd calls it by this name
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def slack(monkeypatch):
    with WebhookRecorder() as hook:
        monkeypatch.setenv("AIRFLOW_CONN_TEST_SLACK", slack_connection_json(hook.url))
        yield hook


@pytest.fixture
def mailbox(monkeypatch):
    from aiosmtpd.controller import Controller

    box = _Mailbox()
    port = _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    extra = {"disable_tls": True, "disable_ssl": True, "from_email": "airflow@example.com", "timeout": 10}
    monkeypatch.setenv(
        "AIRFLOW_CONN_TEST_SMTP", json.dumps({"conn_type": "smtp", "host": "127.0.0.1", "port": port, "extra": extra})
    )
    try:
        yield box
    finally:
        controller.stop()


def _dag(dag_id: str, *, retries: int = 0, on: tuple[str, ...] = ("failure",)):
    """A DAG with the notifiers the factory attaches (task failure/retry, run success)."""
    from hevo_dagfactory.provider.compat import DAG

    targets = [SLACK, EMAIL]
    default_args: dict = {"retries": retries, "retry_delay": 0}
    dag_args: dict = {}
    if "failure" in on:
        default_args["on_failure_callback"] = [WorkflowNotifier(workflow=dag_id, event="failure", targets=targets)]
    if "retry" in on:
        default_args["on_retry_callback"] = [WorkflowNotifier(workflow=dag_id, event="retry", targets=targets)]
    if "success" in on:
        dag_args["on_success_callback"] = [WorkflowNotifier(workflow=dag_id, event="success", targets=targets)]
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    return DAG(dag_id, schedule=None, start_date=start, catchup=False, default_args=default_args, **dag_args)


def _run(dag, tmp_path):
    from hevo_dagfactory.provider.compat import DagBag, add_dag_to_bag, sync_dag_bag_to_db

    bag = DagBag(dag_folder=str(tmp_path))
    add_dag_to_bag(bag, dag)
    sync_dag_bag_to_db(bag)
    return dag.test()


def _body(message: Message) -> str:
    part = message.get_payload()[0] if message.is_multipart() else message
    return part.get_payload(decode=True).decode()


def test_a_failed_sync_is_reported_with_its_pipeline_job_and_links(hevo_conn, pipeline_id, slack, mailbox, tmp_path):
    from hevo_dagfactory.provider import HevoPipelineOperator

    hevo_conn.sim.add_pipeline(pipeline_id, PipelineScript(job_duration_s=0.3, final_status="FAILED"))
    dag_id = f"notify_fail_{pipeline_id}"
    with _dag(dag_id) as dag:
        HevoPipelineOperator(task_id="orders", pipeline_id=pipeline_id, poll_interval=0.2)
    dr = _run(dag, tmp_path)
    assert str(getattr(dr.state, "value", dr.state)) == "failed"

    text = slack.wait_for("Task failed", timeout=30)
    job = hevo_conn.sim.jobs(pipeline_id)[0]
    url = dr.get_task_instance("orders").xcom_pull(task_ids="orders", key="hevo_job_url")
    assert text.startswith(f"Task failed: {dag_id} / orders\n"), text
    assert f"Run: {dr.run_id}" in text and "Try: 1 of 1" in text
    assert f"Hevo pipeline: {pipeline_id}, job {job['job_id']}" in text
    assert url and f"Hevo job: {url}" in text
    assert "Error: HevoJobFailed:" in text and "FAILED" in text
    plain = text.replace("%3A", ":").replace("%2B", "+")
    if AIRFLOW_3:
        assert f"Task log: http://localhost:8080/dags/{dag_id}/runs/{dr.run_id}/tasks/orders" in plain, text
    else:  # Airflow 2.x: the grid view's log tab
        assert f"Task log: http://localhost:8080/dags/{dag_id}/grid?dag_run_id={dr.run_id}&task_id=orders" in plain
    assert SECRET not in text

    (mail,) = _wait(lambda: mailbox.messages)
    assert mail["Subject"] == f"[Airflow] FAILED: {dag_id}.orders (Hevo pipeline {pipeline_id})"
    assert mail["To"] == "oncall@example.com" and mail["From"] == "airflow@example.com"
    body = _body(mail)
    assert f'<a href="{url}">' in body and "Hevo pipeline:</b> " in body and SECRET not in body


def test_retry_and_run_success_are_reported(slack, mailbox, tmp_path):
    from hevo_dagfactory.provider.compat import BashOperator

    marker = tmp_path / "tried-once"
    with _dag("notify_retry_ok", retries=1, on=("retry", "success")) as dag:
        BashOperator(task_id="flaky", bash_command=f"test -e {marker} || (touch {marker}; exit 3)")
    dr = _run(dag, tmp_path)
    assert str(getattr(dr.state, "value", dr.state)) == "success"
    retry = slack.wait_for("will be retried", timeout=30)
    assert retry.startswith("Task failed and will be retried: notify_retry_ok / flaky\n") and "Try: 1 of 2" in retry
    assert "Hevo pipeline" not in retry  # not a sync: no Hevo lines
    done = slack.wait_for("Workflow run succeeded", timeout=30)
    assert done.startswith("Workflow run succeeded: notify_retry_ok\n") and f"Run: {dr.run_id}" in done
    subjects = sorted(m["Subject"] for m in _wait(lambda: mailbox.messages if len(mailbox.messages) == 2 else []))
    assert subjects == ["[Airflow] RETRY: notify_retry_ok.flaky", "[Airflow] SUCCEEDED: notify_retry_ok"]


def test_a_run_failure_caused_by_a_task_is_not_reported_twice(slack):
    notifier = WorkflowNotifier(workflow="w", event="run_failure", targets=[SLACK])
    notifier.notify({"reason": "task_failure", "run_id": "r1"})
    notifier.notify({"reason": "timed_out", "run_id": "r2"})
    text = slack.wait_for("Workflow run failed", timeout=10)
    assert "Run: r2" in text and "Reason: timed_out" in text
    time.sleep(0.5)
    assert len(slack.texts()) == 1


def test_an_unreachable_target_fails_the_callback_after_the_others_were_sent(slack, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_DEAD_SLACK", slack_connection_json(f"http://127.0.0.1:{_free_port()}"))
    dead = {**SLACK, "connection_id": "dead_slack"}
    notifier = WorkflowNotifier(workflow="w", event="success", targets=[dead, SLACK])
    with pytest.raises(
        RuntimeError, match=r"1 of 2 notification\(s\) could not be sent: slack via connection 'dead_slack'"
    ):
        notifier.notify({"run_id": "r1"})
    assert slack.texts() == [
        "Workflow run succeeded: w\nRun: r1\nAirflow run: " + slack.texts()[0].split("Airflow run: ")[1]
    ]


@pytest.mark.skipif(not AIRFLOW_3, reason="Deadline Alerts, whose callback this is, exist on Airflow 3.3 only")
def test_the_deadline_callback_sends_through_the_async_notifiers(slack, mailbox):
    """What Airflow 3.3's triggerer awaits (CallbackTrigger): kwargs plus the small context it builds."""
    context = {
        "dag_run": {"dag_id": "orders_daily", "dag_run_id": "scheduled__2026-01-05T03:00:00+00:00"},
        "deadline": {"id": "d1", "deadline_time": "2026-01-05T06:00:00+00:00"},
    }
    result = asyncio.run(
        deadline_missed(
            workflow="orders_daily", when="by 07:00 (Europe/Berlin)", targets=[SLACK, EMAIL], context=context
        )
    )
    assert result == "sent to 2 target(s)"
    text = slack.wait_for("deadline", timeout=10)
    assert text.startswith("Workflow run has not finished by its deadline: orders_daily\n")
    assert "Deadline: by 07:00 (Europe/Berlin); it passed at 2026-01-05T06:00:00+00:00" in text
    assert "Run: scheduled__2026-01-05T03:00:00+00:00" in text
    (mail,) = _wait(lambda: mailbox.messages)
    assert mail["Subject"] == "[Airflow] DEADLINE MISSED: orders_daily"


def test_the_notifier_survives_a_build_plan(tmp_path):
    """The factory records it in build plans: a pickled and copied notifier keeps its targets."""
    import copy
    import pickle

    notifier = WorkflowNotifier(workflow="w", event="retry", targets=[SLACK, EMAIL])
    for clone in (pickle.loads(pickle.dumps(notifier)), copy.deepcopy(notifier)):
        assert (clone.workflow, clone.event, clone.targets) == ("w", "retry", [SLACK, EMAIL])
    with pytest.raises(ValueError, match="unknown notification event 'retried'"):
        WorkflowNotifier(workflow="w", event="retried", targets=[SLACK])


def _wait(get, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = get()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError("nothing arrived in time")
