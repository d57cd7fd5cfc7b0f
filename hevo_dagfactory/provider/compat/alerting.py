"""What notifications need from Airflow on each line: UI links, the secrets masker, the notifier providers.

- The UI's base URL is ``[api] base_url`` on 3.3 and ``[webserver] base_url`` on 2.11, and a run's page
  is ``/dags/<dag>/runs/<run>`` on 3.3 and ``/dags/<dag>/grid?dag_run_id=<run>`` on 2.11.
- Airflow's secrets masker (``redact``, ``should_hide_value_for_key``) moved from
  ``airflow.utils.log.secrets_masker`` (2.11) to ``airflow.sdk._shared.secrets_masker`` (3.3); its
  key rule (``password``, ``token``, ``secret``, ... plus ``[core] sensitive_var_conn_names``) is what
  hides values in the source YAML shown in the DAG docs.
- The Slack and SMTP notifiers come from optional providers (``hevo-dagfactory[slack]``, ``[smtp]``);
  :func:`notifier_problem` says what to install when one is missing.
"""

from __future__ import annotations

import importlib.util
from typing import Any
from urllib.parse import quote

from hevo_dagfactory.provider.compat.names import conf
from hevo_dagfactory.provider.compat.version import AIRFLOW_3

#: target kind → (module of Airflow's notifier class, its class name, the extra of this package)
NOTIFIERS: dict[str, tuple[str, str, str]] = {
    "slack": ("airflow.providers.slack.notifications.slack_webhook", "SlackWebhookNotifier", "slack"),
    "email": ("airflow.providers.smtp.notifications.smtp", "SmtpNotifier", "smtp"),
}
_PROVIDER_PACKAGES = {"slack": "apache-airflow-providers-slack", "email": "apache-airflow-providers-smtp"}


def notifier_problem(kind: str) -> str | None:
    """Why Airflow's notifier for ``kind`` cannot be used here (with what to install), or None."""
    module = NOTIFIERS[kind][0]
    try:
        found = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        found = False
    if found:
        return None
    extra = NOTIFIERS[kind][2]
    return (
        f"{kind} notifications need {_PROVIDER_PACKAGES[kind]}, which is not installed here: "
        f"pip install 'hevo-dagfactory[{extra}]' on every Airflow component"
    )


def notifier_class(kind: str) -> type:
    """Airflow's notifier class for ``kind`` (imported when a message is sent)."""
    module, name, _ = NOTIFIERS[kind]
    problem = notifier_problem(kind)
    if problem is not None:
        raise RuntimeError(problem)
    return getattr(importlib.import_module(module), name)


def ui_base_url() -> str:
    """The Airflow UI's base URL as configured (no trailing slash)."""
    section = "api" if AIRFLOW_3 else "webserver"
    return str(conf.get(section, "base_url", fallback="http://localhost:8080")).rstrip("/")


def run_url(dag_id: str, run_id: str) -> str:
    """The UI page of one DAG run."""
    dag, run = quote(dag_id, safe=""), quote(run_id, safe="")
    if AIRFLOW_3:
        return f"{ui_base_url()}/dags/{dag}/runs/{run}"
    return f"{ui_base_url()}/dags/{dag}/grid?dag_run_id={run}"  # pragma: no cover - Airflow 2.x


def _masker() -> Any:
    try:  # Airflow 3.x
        from airflow.sdk._shared.secrets_masker import secrets_masker as module
    except ImportError:  # pragma: no cover - Airflow 2.x
        from airflow.utils.log import secrets_masker as module  # type: ignore[no-redef]
    return module


def sensitive_key(name: str) -> bool:
    """Whether Airflow hides the value of a key called ``name`` (password, token, secret, ...)."""
    return bool(_masker().should_hide_value_for_key(name))


def redact(text: str) -> str:
    """``text`` with every secret Airflow's masker knows in this process replaced by ``***``."""
    return str(_masker().redact(text))
