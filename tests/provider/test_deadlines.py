"""``deadline:`` on Airflow 3.3: the Deadline Alert, the wall-clock reference and its plugin registration.

The scheduler finds a custom deadline reference only through a plugin; these tests use Airflow's own plugin
manager, encoder and decoder, and evaluate the decoded reference against a real DAG run in the metadata DB.
The deadline firing in a running stack is tests/e2e/test_e2e_notify.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from hevo_dagfactory.provider.compat import AIRFLOW_3
from hevo_dagfactory.provider.compat.deadlines import (
    CALLBACK_PATH,
    DeadlineUnsupported,
    deadline_alert,
    next_wall_clock,
)

BERLIN = ZoneInfo("Europe/Berlin")
UTC = timezone.utc
KWARGS = {"workflow": "w", "when": "by 07:00 (Europe/Berlin)", "targets": []}


@pytest.mark.parametrize(
    ("due", "by", "expected"),
    [
        (datetime(2026, 1, 5, 2, 0, tzinfo=BERLIN), "07:00", datetime(2026, 1, 5, 7, 0, tzinfo=BERLIN)),
        (datetime(2026, 1, 5, 8, 0, tzinfo=BERLIN), "07:00", datetime(2026, 1, 6, 7, 0, tzinfo=BERLIN)),
        (datetime(2026, 1, 5, 7, 0, tzinfo=BERLIN), "07:00", datetime(2026, 1, 5, 7, 0, tzinfo=BERLIN)),
        # daylight saving starts 2026-03-29 at 02:00 in Berlin: 02:30 does not exist that day
        (datetime(2026, 3, 29, 1, 0, tzinfo=BERLIN), "02:30", datetime(2026, 3, 29, 1, 30, tzinfo=UTC)),
        # a run due late in the evening UTC is already the next day in Berlin
        (datetime(2026, 6, 1, 23, 30, tzinfo=UTC), "07:00", datetime(2026, 6, 2, 7, 0, tzinfo=BERLIN)),
    ],
)
def test_next_wall_clock(due, by, expected):
    got = next_wall_clock(due, by, "Europe/Berlin")
    assert got == expected and got.tzinfo is not None and got.utcoffset() == timedelta(0)


@pytest.mark.skipif(AIRFLOW_3, reason="Airflow 2.11 has no Deadline Alerts")
def test_airflow_2_has_no_deadline_alerts():
    with pytest.raises(DeadlineUnsupported):
        deadline_alert(by="07:00", after=None, timezone="UTC", kwargs=KWARGS)


needs_3 = pytest.mark.skipif(not AIRFLOW_3, reason="Deadline Alerts are Airflow 3.3's")


@needs_3
def test_after_is_the_queued_time_plus_the_duration_with_our_async_callback():
    from airflow.sdk import AsyncCallback, DeadlineReference

    alert = deadline_alert(by=None, after=timedelta(hours=2), timezone="UTC", kwargs=KWARGS)
    assert alert.reference == DeadlineReference.DAGRUN_QUEUED_AT and alert.interval == timedelta(hours=2)
    assert isinstance(alert.callback, AsyncCallback)
    assert (alert.callback.path, alert.callback.kwargs) == (CALLBACK_PATH, KWARGS)


@needs_3
def test_the_plugin_registers_the_wall_clock_reference():
    from airflow import plugins_manager

    from hevo_dagfactory.provider.compat.deadlines import WallClockDeadline

    registered = plugins_manager.get_deadline_references_plugins()
    assert registered["hevo_dagfactory.provider.compat.deadlines.WallClockDeadline"] is WallClockDeadline


@needs_3
@pytest.mark.usefixtures("airflow_db")
def test_the_scheduler_side_evaluates_by_against_the_runs_run_after(tmp_path):
    """Encode as the dag-processor does, decode as the scheduler does, evaluate against a real run row."""
    from airflow.serialization.decoders import decode_deadline_alert
    from airflow.serialization.encoders import encode_deadline_alert
    from airflow.utils.session import create_session

    from hevo_dagfactory.provider.compat import DAG, BashOperator, DagBag, add_dag_to_bag, sync_dag_bag_to_db

    alert = deadline_alert(by="07:00", after=None, timezone="Europe/Berlin", kwargs=KWARGS)
    decoded = decode_deadline_alert(encode_deadline_alert(alert))
    assert type(decoded.reference).__name__ == "SerializedCustomReference"

    with DAG("deadline_eval", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=UTC)) as dag:
        BashOperator(task_id="t", bash_command="true")
    bag = DagBag(dag_folder=str(tmp_path))
    add_dag_to_bag(bag, dag)
    sync_dag_bag_to_db(bag)
    due = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)  # 02:00 in Berlin
    dr = dag.test(run_after=due, logical_date=due)
    with create_session() as session:
        got = decoded.reference.evaluate_with(
            session=session, interval=decoded.interval, dag_id="deadline_eval", run_id=dr.run_id
        )
        assert got == datetime(2026, 1, 5, 7, 0, tzinfo=BERLIN)
        missing = decoded.reference.evaluate_with(
            session=session, interval=decoded.interval, dag_id="deadline_eval", run_id="no-such-run"
        )
        assert missing is None
