"""Placeholder DAGs that make a broken workflow file visible in the Airflow UI.

Why placeholders and not an import error: Airflow 3.3 records import errors per ``.py`` file.
An error raised from (or recorded against) the loader file marks *every* DAG of that file stale
in a running Airflow, so one bad YAML would stop all workflows. An error recorded under a
``.yaml`` path is deleted as an orphan at the next bundle refresh. So for each broken file the
loader registers a small valid DAG instead: id from the file name, tag ``config-error``, no
schedule, the errors (file:line:col and message) in its description and docs, and one task that
fails with those errors if someone triggers it.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from hevo_dagfactory.factory import docs
from hevo_dagfactory.provider.compat import DAG, AirflowFailException, BaseOperator, check_dag_like_dagbag

log = logging.getLogger("hevo_dagfactory.factory")

CONFIG_ERROR_TAG = "config-error"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_DESCRIPTION_LIMIT = 480


def placeholder_dag_id(stem: str, taken: set[str] | frozenset[str] = frozenset()) -> str:
    """The id a broken file's placeholder gets: the file name as a valid dag_id.

    That is also the dag_id the file gets by default, so a DAG that breaks keeps its place (and
    its run history) in the UI. When a good DAG already uses the name, ``__config_error`` (and a
    counter if needed) is appended.
    """
    base = _UNSAFE.sub("_", stem).strip("._-") or "workflow"
    base = base[:200]
    candidate = base
    if candidate in taken:
        candidate = f"{base}__config_error"
    n = 2
    while candidate in taken:
        candidate = f"{base}__config_error_{n}"
        n += 1
    return candidate


class WorkflowConfigErrorOperator(BaseOperator):
    """Fails at once, without retries, with the workflow file's errors as the message."""

    ui_color = "#f4a6a6"

    def __init__(self, *, error_text: str, **kwargs: Any) -> None:
        kwargs.setdefault("retries", 0)
        super().__init__(**kwargs)
        self.error_text = error_text

    def execute(self, context: Any) -> None:
        raise AirflowFailException(
            "This DAG is a placeholder for a broken hevo-dagfactory workflow file. Fix the file "
            "(run `hevo-dagfactory validate <file>`) and the real DAG replaces this one.\n" + self.error_text
        )


def placeholder_dag(dag_id: str, source_name: str, lines: list[str]) -> DAG:
    """A schedule-less DAG whose description, docs and only task name the file's errors."""
    text = "\n".join(lines)
    first = lines[0] if lines else f"{source_name}: invalid workflow file"
    more = f" (+{len(lines) - 1} more)" if len(lines) > 1 else ""
    description = f"CONFIG ERROR {first}{more}"
    if len(description) > _DESCRIPTION_LIMIT:
        description = description[: _DESCRIPTION_LIMIT - 1] + "…"
    dag = DAG(
        dag_id=dag_id,
        description=description,
        schedule=None,
        catchup=False,
        tags=[CONFIG_ERROR_TAG, "hevo"],
        doc_md=docs.error_doc_md(
            source_name,
            lines,
            what_to_do=(
                f"Fix `{source_name}` (check it with `hevo-dagfactory validate {source_name}`); "
                "the next parse replaces this placeholder with the real DAG."
            ),
        ),
    )
    WorkflowConfigErrorOperator(task_id="config_error", dag=dag, error_text=text)
    return dag


def accepted_placeholder(dag_id: str, source_name: str, lines: list[str]) -> dict[str, DAG]:
    """``{dag_id: placeholder}`` if Airflow's DagBag checks accept it, else ``{}`` and an ERROR line.

    Why: a cluster policy may refuse any DAG, placeholders included (say, one that demands an
    owner e-mail). Handing Airflow a DAG it rejects would stale every DAG of the loader file, so a
    refused placeholder is dropped; the file's errors then show only in this ERROR log line.
    """
    dag = placeholder_dag(dag_id, source_name, lines)
    try:
        if check_dag_like_dagbag(dag):
            return {dag_id: dag}
    except Exception as exc:  # noqa: BLE001 - see the docstring
        log.error(
            "hevo-dagfactory: Airflow also rejects the placeholder DAG %r (%s), so it is not shown; "
            "what it stands for: %s",
            dag_id,
            rejection_reason(exc),
            dag.description,
        )
    return {}


def rejection_reason(exc: BaseException) -> str:
    """Airflow's reason for refusing a DAG, with what to do when it comes from a cluster policy."""
    text = f"{type(exc).__name__}: {exc}"
    if type(exc).__name__.startswith("AirflowClusterPolicy"):
        text += (
            " (a cluster policy of this Airflow, in airflow_local_settings.py, refuses the DAG: change "
            "the workflow file so that it complies, or ask your Airflow administrators)"
        )
    return text
