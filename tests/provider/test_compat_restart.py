"""compat.restarted_within_try reads a field the installed Airflow really sends to the task."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from hevo_dagfactory.provider import compat


@pytest.mark.skipif(not compat.AIRFLOW_3, reason="Airflow 2 has no start-up reschedule within a try")
def test_the_reschedule_count_is_part_of_airflow_3s_run_context():
    from airflow.sdk.api.datamodels._generated import TIRunContext
    from airflow.sdk.execution_time.task_runner import RuntimeTaskInstance

    assert "task_reschedule_count" in TIRunContext.model_fields
    assert "_ti_context_from_server" in RuntimeTaskInstance.__annotations__ or hasattr(
        RuntimeTaskInstance, "_ti_context_from_server"
    )


@pytest.mark.parametrize(
    ("ti", "expected"),
    [
        (SimpleNamespace(), False),
        (SimpleNamespace(_ti_context_from_server=None), False),
        (SimpleNamespace(_ti_context_from_server=SimpleNamespace(task_reschedule_count=0)), False),
        (SimpleNamespace(_ti_context_from_server=SimpleNamespace(task_reschedule_count=2)), True),
    ],
)
def test_restarted_within_try(ti, expected):
    assert compat.restarted_within_try(ti) is expected
