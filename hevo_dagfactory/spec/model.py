"""The typed workflow model the factory builds DAGs from.

Why frozen dataclasses: a ``Workflow`` is the validated, merged, interpolated result of
one YAML file plus its folder defaults; nothing downstream should change it, and
equality makes "same file → same DAG" easy to test. Every value is already checked
and normalised (durations are ``timedelta``, dates tz-aware, paths absolute), so the
factory never re-validates. No Airflow types appear here: ``spec`` must stay importable
without Airflow.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

SyncAction = Literal["sync_now", "resync"]
WaitMode = Literal["deferrable", "poll", "none"]
FailurePolicy = Literal["fail", "warn", "succeed"]
IfRunning = Literal["attach", "fail"]
StepKind = str  # a name registered in ``spec.kinds`` ("dbt", "bash", ...)


def asset_uri(region: str, pipeline_id: int) -> str:
    """The Asset URI a sync of ``pipeline_id`` emits: ``hevo://<region>/pipelines/<id>``."""
    return f"hevo://{region}/pipelines/{pipeline_id}"


def tables_alias(region: str, pipeline_id: int) -> str:
    """The Asset alias through which a sync emits the tables it loaded (docs/lineage.md): ``<asset uri>/tables``."""
    return f"{asset_uri(region, pipeline_id)}/tables"


@dataclass(frozen=True)
class AssetSchedule:
    """``schedule: {assets: [...]}``: run when these assets are updated (all, or any if ``any``)."""

    uris: tuple[str, ...]
    any: bool = False


Schedule = str | None | AssetSchedule


@dataclass(frozen=True)
class HevoSettings:
    connection_id: str = "hevo_airflow_conn_id"
    region: str = "us"


@dataclass(frozen=True)
class TaskDefaults:
    retries: int = 2
    retry_delay: timedelta = timedelta(minutes=5)
    execution_timeout: timedelta | None = None


@dataclass(frozen=True)
class Sync:
    """One Hevo pipeline sync.

    ``action`` stays lower-case as written (``sync_now``/``resync``); ``resync_mode`` and
    ``job_type`` are upper-cased because that is what the Hevo API and the operator take.
    """

    id: str
    pipeline_id: int
    action: SyncAction = "sync_now"
    resync_mode: str = "EVOLVE_AND_MERGE"
    job_type: str | None = None
    wait: WaitMode = "deferrable"
    poll_interval: timedelta = timedelta(seconds=15)
    timeout: timedelta | None = None
    on_completed_with_failures: FailurePolicy = "fail"
    if_running: IfRunning = "attach"

    def asset_uri(self, region: str) -> str:
        return asset_uri(region, self.pipeline_id)

    def tables_alias(self, region: str) -> str:
        return tables_alias(region, self.pipeline_id)


@dataclass(frozen=True)
class DbtStep:
    command: str
    select: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    selector: str | None = None
    vars: Mapping[str, Any] = field(default_factory=dict)
    target: str | None = None
    project_dir: Path | None = None  # absolute; None = the YAML file's folder was not overridden
    profiles_dir: Path | None = None  # absolute, or None for dbt's own lookup
    full_refresh: bool = False
    threads: int | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    lineage: bool = False  # run through dbt-ol (OpenLineage's wrapper), plain dbt where it is missing

    @property
    def executable(self) -> str:
        """``dbt-ol`` when the step emits lineage, else ``dbt``."""
        return "dbt-ol" if self.lineage else "dbt"

    def argv(self) -> list[str]:
        """The dbt command line (without the executable, see :attr:`executable`), for display and for builders."""
        import json

        args = [self.command]
        if self.select:
            args += ["--select", *self.select]
        if self.exclude:
            args += ["--exclude", *self.exclude]
        if self.selector:
            args += ["--selector", self.selector]
        if self.vars:
            args += ["--vars", json.dumps(dict(self.vars), sort_keys=True)]
        if self.target:
            args += ["--target", self.target]
        if self.project_dir:
            args += ["--project-dir", str(self.project_dir)]
        if self.profiles_dir:
            args += ["--profiles-dir", str(self.profiles_dir)]
        if self.full_refresh:
            args.append("--full-refresh")
        if self.threads:
            args += ["--threads", str(self.threads)]
        return args


@dataclass(frozen=True)
class BashStep:
    command: str
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: Path | None = None  # absolute when set


@dataclass(frozen=True)
class Step:
    """A task after the syncs. ``after is None`` means "after every sync"; ``()`` means no upstream.

    ``body`` is the kind's model object (``DbtStep`` for ``dbt``, ``BashStep`` for ``bash``, whatever
    a kind registered in ``spec.kinds`` parses its YAML into); the factory hands it to the builder
    registered for ``kind``.
    """

    id: str
    kind: StepKind
    body: Any = None
    after: tuple[str, ...] | None = None

    @property
    def dbt(self) -> DbtStep | None:
        return self.body if self.kind == "dbt" else None

    @property
    def bash(self) -> BashStep | None:
        return self.body if self.kind == "bash" else None


@dataclass(frozen=True)
class Workflow:
    dag_id: str
    source: Path  # absolute path of the YAML file
    description: str | None = None
    schedule: Schedule = None
    start_date: datetime | None = None  # tz-aware, in ``timezone``
    end_date: datetime | None = None
    timezone: str = "UTC"
    catchup: bool = False
    max_active_runs: int = 1
    owner: str = "airflow"
    tags: tuple[str, ...] = ()
    hevo: HevoSettings = field(default_factory=HevoSettings)
    defaults: TaskDefaults = field(default_factory=TaskDefaults)
    syncs: tuple[Sync, ...] = ()
    steps: tuple[Step, ...] = ()
    environment: str | None = None  # the HEVO_DAGFACTORY_ENV value the file was loaded for

    def upstream_of(self, step: Step) -> tuple[str, ...]:
        """Ids a step waits for, with ``after: None`` expanded to every sync."""
        if step.after is None:
            return tuple(s.id for s in self.syncs)
        return step.after

    def emitted_assets(self) -> tuple[str, ...]:
        """Asset URIs this workflow's syncs emit."""
        return tuple(s.asset_uri(self.hevo.region) for s in self.syncs)
