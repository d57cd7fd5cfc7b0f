"""What ``make demo-cluster`` adds to the demo: the files it commits to the bundle, and who served the syncs."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from hevo_dagfactory.demo.runner import DemoError, ResultRow

CLUSTER_BLURB = (
    " (PostgreSQL, Redis, CeleryExecutor: two schedulers, one dag-processor, two triggerers, two Celery workers, "
    "the workflows from a Git DAG bundle)"
)

#: Room for two triggers per triggerer: the examples' four syncs then need both triggerers (Airflow's default
#: of 1000 would let the first triggerer that looks take them all).
DEMO_TRIGGERER_CAPACITY = 2


#: Folders of a dbt project that hold what dbt wrote, never committed.
_NOT_COMMITTED = frozenset({"target", "logs", "dbt_packages", "__pycache__"})


def bundle_files(configs: Path) -> dict[str, str]:
    """Every file of the config folder by its path relative to it — the workflows (team folders too), their
    ``defaults.yaml`` files and the example dbt project, whose ``project_dir`` is relative to the workflow
    file — to be committed beside the bundle's loader. Not what dbt wrote (``target/``, ``logs/``)."""
    files = {
        path.relative_to(configs).as_posix(): path.read_text()
        for path in sorted(configs.rglob("*"))
        if path.is_file() and not _NOT_COMMITTED & set(path.relative_to(configs).parts)
    }
    if not any(name.endswith((".yaml", ".yml")) for name in files):
        raise DemoError(f"no YAML files in {configs} to commit to the DAG bundle")
    return files


def _spread(names: list[str]) -> str:
    counts = Counter(n for n in names if n and n != "-")
    return ", ".join(f"{name} ×{count}" for name, count in sorted(counts.items())) or "-"


def served_notes(rows: list[ResultRow]) -> list[str]:
    """One line saying over how many workers and triggerers the syncs spread (empty for the local stack)."""
    syncs = [r for r in rows if r.worker or r.triggerer]
    if not syncs:
        return []
    triggerers = [name.strip() for r in syncs for name in r.triggerer.split(",")]
    return [
        f"{len(syncs)} sync(s) finished on Celery workers {_spread([r.worker for r in syncs])}; "
        f"their triggers ran on {_spread(triggerers)}"
    ]
