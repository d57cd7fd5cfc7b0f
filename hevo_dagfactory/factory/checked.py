"""One file's DAG, made and checked as Airflow's DagBag will check it.

A build plan is replayed (``plan.py``); a ``Workflow`` is built (``dag.py``) and its plan stored
for the next parse. Then Airflow's own checks run on the DAG (``compat.check_dag_like_dagbag``:
``validate()``, the cycle check, executors, cluster policies): a DAG Airflow would reject becomes
the lines of a placeholder, never an import error (see ``loader.py``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from hevo_dagfactory.factory import plan as build_plan
from hevo_dagfactory.factory.fileresults import FileResults, Result
from hevo_dagfactory.provider.compat import DAG, check_dag_like_dagbag

if TYPE_CHECKING:
    from hevo_dagfactory.spec.model import Workflow

log = logging.getLogger("hevo_dagfactory.factory")


@dataclass
class Made:
    """The DAG; or ``skipped`` (a cluster policy skips it: the DagBag drops it silently, so do we);
    or ``errors``, the lines of its placeholder (it cannot be built, or Airflow rejects it)."""

    dag: DAG | None = None
    skipped: bool = False
    errors: list[str] = field(default_factory=list)


def make_dag(files: FileResults, path: Path, result: Result, key: tuple | None) -> Made:
    """``result`` is a build plan (replayed) or a ``Workflow`` (built, and its plan cached under ``key``)."""
    rel = files.rel(path)
    dag: DAG | None = None
    replayed = False
    if build_plan.is_plan(result):
        try:
            dag = build_plan.materialize(result)  # type: ignore[arg-type]
            replayed = True
            files.stats["replayed"] += 1
        except Exception:
            log.debug("replaying the cached plan of %s failed; validating it again", path, exc_info=True)
            result, _ = files.validate(path)
            if isinstance(result, list):
                return Made(errors=files.error_lines(path, result))
    plan = None
    if dag is None:
        built = _build(files, path, result)  # type: ignore[arg-type]
        if isinstance(built, Made):
            return built
        dag, plan = built
    try:
        # A replayed plan passed validate() and the cycle check before it was stored.
        accepted = check_dag_like_dagbag(dag, structure=not replayed)
    except Exception as exc:
        from hevo_dagfactory.factory.placeholder import rejection_reason

        log.debug("Airflow's checks rejected the DAG of %s", path, exc_info=True)
        files.store_model(path)
        return Made(errors=[f"{rel}: Airflow rejects the DAG {dag.dag_id!r}: {rejection_reason(exc)}"])
    files.store_plan(path, key, plan)
    return Made(dag=dag) if accepted else Made(skipped=True)


def _build(files: FileResults, path: Path, workflow: Workflow) -> tuple[DAG, build_plan.Plan | None] | Made:
    """The DAG and its plan from the model, or the placeholder lines if it cannot be built."""
    from hevo_dagfactory.factory.dag import build_dag_and_plan
    from hevo_dagfactory.spec.errors import ConfigErrors  # the model is loaded already on this path

    try:
        return build_dag_and_plan(workflow, source_name=files.rel(path))
    except ConfigErrors as exc:  # valid file, but this Airflow cannot run it as written
        return Made(errors=files.error_lines(path, list(exc.errors)))
    except Exception as exc:
        log.debug("building %s failed", path, exc_info=True)
        files.store_model(path)
        return Made(
            errors=[
                f"{files.rel(path)}: the DAG could not be built from this file: {type(exc).__name__}: {exc} "
                "(please report this: the file passed validation)"
            ]
        )
