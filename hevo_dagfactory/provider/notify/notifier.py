"""``WorkflowNotifier``: the callback the factory attaches for ``notify:`` targets.

Why a notifier of our own in front of Airflow's: Airflow's ``SlackWebhookNotifier`` and
``SmtpNotifier`` send what they are given; this one decides *what* (``message.build``) and *when*
(a DAG-level failure callback stays quiet for ``reason: task_failure``, which the task's own failure
callback already reported with more detail), then hands the text to Airflow's notifier for the
target. It is an Airflow ``BaseNotifier``, so it is the callback itself (task and DAG callbacks, and
awaitable for Airflow 3.3's triggerer), and its arguments are plain data, so it goes into build plans.
The target names connection ids only; webhook tokens and SMTP passwords stay in the connections.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hevo_dagfactory.provider.compat import BaseNotifier
from hevo_dagfactory.provider.compat.alerting import notifier_class
from hevo_dagfactory.provider.notify.message import EVENTS, Message, build


def airflow_notifier(target: Mapping[str, Any], message: Message) -> Any:
    """Airflow's own notifier for ``target`` (``{"kind", "connection_id", "to", "from_email"}``)."""
    cls = notifier_class(target["kind"])
    if target["kind"] == "slack":
        return cls(slack_webhook_conn_id=target["connection_id"], text=message.text)
    return cls(
        to=list(target["to"]),
        from_email=target.get("from_email"),
        smtp_conn_id=target["connection_id"],
        subject=message.subject,
        html_content=message.html,
    )


class WorkflowNotifier(BaseNotifier):
    """Send one workflow's ``event`` (``failure``, ``retry``, ``success``, ``run_failure``) to ``targets``."""

    template_fields = ()

    def __init__(self, *, workflow: str, event: str, targets: list[dict[str, Any]]) -> None:
        super().__init__()
        if event not in EVENTS:
            raise ValueError(f"unknown notification event {event!r}; one of {', '.join(EVENTS)}")
        self.workflow = workflow
        self.event = event
        self.targets = [dict(t) for t in targets]

    def render_template_fields(self, context: Any, jinja_env: Any = None) -> None:
        """Nothing to render: the message is built from the context, never a template (a ``{{`` in an error
        text stays as written). Skipping it also keeps a callback context whose ``dag`` cannot make a
        template environment (``dag.test()`` passes the serialized DAG on 3.3) from failing the message."""

    def _quiet(self, context: Mapping[str, Any]) -> bool:
        return self.event == "run_failure" and context.get("reason") == "task_failure"

    def notify(self, context: Any) -> None:
        if self._quiet(context):
            return
        message = build(self.event, self.workflow, context)
        failed = []
        for target in self.targets:
            try:
                airflow_notifier(target, message).notify(_for_sending(context))
            except Exception as exc:  # noqa: BLE001 - one broken target must not silence the others
                failed.append(_failure(target, exc))
        _raise_if(failed, len(self.targets))

    async def async_notify(self, context: Any) -> None:
        if self._quiet(context):
            return
        await send_async(self.targets, build(self.event, self.workflow, context), context)


async def send_async(targets: list[dict[str, Any]], message: Message, context: Any) -> None:
    """Send ``message`` to every target with the notifiers' async paths (in the triggerer)."""
    failed = []
    for target in targets:
        try:
            await airflow_notifier(target, message).async_notify(_for_sending(context))
        except Exception as exc:  # noqa: BLE001 - one broken target must not silence the others
            failed.append(_failure(target, exc))
    _raise_if(failed, len(targets))


def _for_sending(context: Any) -> dict[str, Any]:
    """The context Airflow's notifier gets (it renders only the connection's default sender with it).

    A ``dag`` that cannot make a template environment is left out: on Airflow 3.3 a DAG callback's
    context may hold the serialized DAG (``dag.test()``), and the notifier then falls back to the default
    environment; 2.11's notifiers look ``dag`` up, and there it is always the real DAG.
    """
    out = dict(context or {})
    if "dag" in out and not hasattr(out["dag"], "get_template_env"):
        del out["dag"]
    return out


def _failure(target: Mapping[str, Any], exc: Exception) -> str:
    return f"{target['kind']} via connection {target['connection_id']!r}: {type(exc).__name__}: {exc}"


def _raise_if(failed: list[str], total: int) -> None:
    """After every target was tried: fail the callback (Airflow logs it) if any target could not be reached."""
    if failed:
        raise RuntimeError(
            f"{len(failed)} of {total} notification(s) could not be sent: {'; '.join(failed)}. "
            "Check the connection (host, token or password) and that the provider is installed."
        )
