"""Run DAGs with ``dag.test()`` in a fresh interpreter and report what they left: ``python -m tests.lineage.runner SPEC``.

Why a child process: Airflow loads its listener plugins (OpenLineage's among them) once per process, and the
tests need one process with the provider switched on and writing to a file, and one with the provider
hidden, neither disturbed by what earlier tests of the session loaded. The child uses the session's
metadata DB (``AIRFLOW_HOME`` is inherited) and the parent's simulator (over its socket).

SPEC is a JSON file: ``workflows`` (a folder of YAML workflows to load), ``split`` (pipeline id of a
hand-written start + sensor DAG), ``plain`` (pipeline id of a hand-written operator without outlets),
``runs`` (dag ids to run, in order), ``unpause`` (dag ids), ``hide_provider`` and ``report`` (where the JSON
report goes: per run the task states, XComs and Asset events; the DAGs due on Assets; ``openlineage``
modules loaded).
"""

from __future__ import annotations

import importlib
import importlib.abc
import json
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

HIDDEN = "airflow.providers.openlineage"
DISTRIBUTION = "apache-airflow-providers-openlineage"


class HideProvider(importlib.abc.MetaPathFinder):
    """Airflow's OpenLineage provider cannot be imported, as if it were not installed (the client still can)."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name == HIDDEN or name.startswith(HIDDEN + "."):
            raise ModuleNotFoundError(f"No module named {name!r} (hidden by the test)", name=name)
        return None


def hide_provider() -> None:
    """Neither importable nor listed: Airflow finds providers through the installed distributions' entry points."""
    sys.meta_path.insert(0, HideProvider())
    for module_name in ("importlib.metadata", "importlib_metadata"):
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        listed = module.distributions

        def distributions(*args: Any, _listed: Any = listed, **kwargs: Any) -> Any:
            return (d for d in _listed(*args, **kwargs) if (d.metadata["Name"] or "").lower() != DISTRIBUTION)

        module.distributions = distributions


def hand_written(spec: dict[str, Any]) -> list[Any]:
    """The DAGs that are not YAML workflows: a no-wait start followed by the sensor, and a plain operator."""
    from hevo_dagfactory.provider import HevoJobSensor, HevoPipelineOperator
    from hevo_dagfactory.provider.compat import DAG

    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    dags = []
    if spec.get("split"):
        with DAG("lineage_split", schedule=None, start_date=start) as dag:
            begin = HevoPipelineOperator(
                task_id="start", pipeline_id=spec["split"], region="eu", wait_for_completion=False
            )
            watch = HevoJobSensor(
                task_id="wait",
                pipeline_id=spec["split"],
                region="eu",
                job_id="{{ ti.xcom_pull(task_ids='start', key='hevo_job_id') }}",
                deferrable=True,
                poke_interval=1,
            )
            begin >> watch
        dags.append(dag)
    if spec.get("plain"):
        with DAG("lineage_plain_operator", schedule=None, start_date=start) as dag:
            HevoPipelineOperator(task_id="sync", pipeline_id=spec["plain"], poll_interval=1)
        dags.append(dag)
    return dags


def load(spec: dict[str, Any]) -> dict[str, Any]:
    """Every DAG of the spec, written to the metadata DB (dag.test() runs the serialized version)."""
    from hevo_dagfactory import load_workflows
    from hevo_dagfactory.provider.compat import DagBag, add_dag_to_bag, sync_dag_bag_to_db

    dags = dict(load_workflows(spec["workflows"], {})) if spec.get("workflows") else {}
    dags.update({d.dag_id: d for d in hand_written(spec)})
    empty = Path(spec["report"]).parent / "bag"  # the DAGs are added by hand: nothing to collect from a folder
    empty.mkdir(exist_ok=True)
    bag = DagBag(dag_folder=str(empty))
    for dag in dags.values():
        add_dag_to_bag(bag, dag)
    sync_dag_bag_to_db(bag)
    return dags


def run(dag: Any) -> dict[str, Any]:
    from hevo_dagfactory.provider.compat import asset_events, task_xcoms

    dag_run = dag.test()
    states = {ti.task_id: str(getattr(ti.state, "value", ti.state)) for ti in dag_run.get_task_instances()}
    return {
        "run_id": dag_run.run_id,
        "states": states,
        "xcoms": {task_id: task_xcoms(dag.dag_id, dag_run.run_id, task_id) for task_id in states},
        "asset_events": asset_events(dag.dag_id, dag_run.run_id),
    }


def main(spec_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text())
    if spec.get("hide_provider"):
        hide_provider()
    from hevo_dagfactory.provider.compat import dags_due_on_assets, unpause

    dags = load(spec)
    for dag_id in spec.get("unpause", []):
        unpause(dag_id)
    report: dict[str, Any] = {"runs": {}}
    for dag_id in spec["runs"]:
        report["runs"][dag_id] = run(dags[dag_id])
    report["due"] = sorted(dags_due_on_assets())
    report["openlineage_modules"] = sorted(m for m in sys.modules if m.startswith("openlineage"))
    report["provider_modules"] = sorted(m for m in sys.modules if m.startswith(HIDDEN))
    Path(spec["report"]).write_text(json.dumps(report, default=str, indent=1))


if __name__ == "__main__":
    main(sys.argv[1])
