"""A broken workflow file in a running Airflow: a visible placeholder, and no harm to the other workflows.

Airflow 3.3 marks every DAG of a loader file stale when an import error is recorded against that file, and
a DagBag in a unit test cannot show it; only a real dag-processor + scheduler can. The broken file sits in
the shared config folder for the whole e2e package, so every other e2e run doubles as proof that it harms
nothing; this test checks the placeholder itself.
"""

from __future__ import annotations

import pytest

from .conftest import BROKEN_FILE
from .e2e_helpers import run_dag

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_broken_file_shows_as_a_failing_placeholder_and_the_loader_has_no_import_error(e2e_stack):
    stack = e2e_stack
    dag = stack.api.dag("e2e_broken")
    assert dag is not None
    assert "config-error" in {t["name"] for t in dag["tags"]}
    assert BROKEN_FILE in (dag.get("description") or "")
    errors = [e for e in stack.api.import_errors() if "hevo_workflows.py" in str(e.get("filename"))]
    assert errors == [], "an import error on the loader file would stop every workflow it loads"

    stack.api.unpause("e2e_broken")
    obs = run_dag(stack, "e2e_broken", timeout=90)
    assert obs.watch.state == "failed"
    (ti,) = obs.watch.task_instances
    log = stack.api.log_text("e2e_broken", obs.run_id, ti["task_id"], 1)
    assert f"{BROKEN_FILE}:11:5" in log and "did you mean 'pipeline_id'" in log, log[-3000:]

    # The good workflows of the same loader file still run (the loader's DAGs are not stale).
    assert run_dag(stack, "e2e_neighbour", timeout=90).watch.state == "success"
