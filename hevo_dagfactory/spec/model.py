"""The typed workflow model the factory builds DAGs from.

Why frozen dataclasses: a ``Workflow`` is the validated, merged, interpolated result of
one YAML file plus its folder defaults; nothing downstream should change it, and
equality makes "same file → same DAG" easy to test. Every value is already checked
and normalised (durations are ``timedelta``, dates tz-aware, paths absolute), so the
factory never re-validates. No Airflow types appear here: ``spec`` must stay importable
without Airflow.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

SyncAction = Literal["sync_now", "resync", "wait"]
WaitMode = Literal["deferrable", "poll", "none"]
FailurePolicy = Literal["fail", "warn", "succeed"]
IfRunning = Literal["attach", "fail"]
StepKindName = str  # a name registered in ``spec.kinds`` ("dbt", "bash", ...)


def asset_uri(region: str, pipeline_id: int) -> str:
    """The Asset URI a sync of ``pipeline_id`` emits: ``hevo://<region>/pipelines/<id>``."""
    return f"hevo://{region}/pipelines/{pipeline_id}"


def tables_alias(region: str, pipeline_id: int) -> str:
    """The Asset alias through which a sync emits the tables it loaded (docs/lineage.md): ``<asset uri>/tables``."""
    return f"{asset_uri(region, pipeline_id)}/tables"


def pipeline_pool(pipeline_id: int) -> str:
    """The pool an ``exclusive: true`` sync of ``pipeline_id`` runs in: ``hevo_pipeline_<id>`` (one slot)."""
    return f"hevo_pipeline_{pipeline_id}"


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
class TaskControls:
    """Execution controls of a task (``defaults``, ``sync_defaults``, a sync or a step); None = Airflow's default."""

    pool: str | None = None
    pool_slots: int | None = None
    queue: str | None = None
    priority_weight: int | None = None
    max_active_tis_per_dag: int | None = None
    retry_exponential_backoff: bool | None = None
    max_retry_delay: timedelta | None = None

    def items(self) -> tuple[tuple[str, Any], ...]:
        """The controls that are set, as (Airflow argument name, value)."""
        return tuple((f.name, getattr(self, f.name)) for f in fields(self) if getattr(self, f.name) is not None)


@dataclass(frozen=True)
class TaskDefaults:
    retries: int = 2
    retry_delay: timedelta = timedelta(minutes=5)
    execution_timeout: timedelta | None = None
    controls: TaskControls = field(default_factory=TaskControls)


@dataclass(frozen=True)
class NotifyTarget:
    """One receiver of notifications: a Slack webhook connection, or e-mail through an SMTP connection."""

    kind: Literal["slack", "email"]
    connection_id: str
    to: tuple[str, ...] = ()  # e-mail recipients
    from_email: str | None = None
    on: tuple[str, ...] = ("failure",)  # failure | retry | success

    def as_dict(self) -> dict[str, Any]:
        """Plain data for the provider's notifier (recorded in build plans and deadline callbacks)."""
        return {
            "kind": self.kind,
            "connection_id": self.connection_id,
            "to": list(self.to),
            "from_email": self.from_email,
        }


@dataclass(frozen=True)
class Deadline:
    """``deadline:``: the run must have finished ``by`` a wall-clock time in ``timezone``, or ``after`` a duration."""

    notify: tuple[NotifyTarget, ...]
    by: str | None = None  # "HH:MM"
    after: timedelta | None = None
    timezone: str = "UTC"


@dataclass(frozen=True)
class RunParam:
    """One user parameter of the trigger form (an Airflow ``Param``)."""

    name: str
    type: str
    default: Any = None
    has_default: bool = False
    description: str | None = None
    enum: tuple[Any, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True)
class Params:
    """``params:``: the user's parameters and the built-ins switched on (each only where it applies)."""

    user: tuple[RunParam, ...] = ()
    resync: bool = False  # the workflow has syncs and ``params.resync: true``
    dbt_full_refresh: bool = False  # a step's kind takes it and ``params.dbt_full_refresh: true``

    def names(self) -> tuple[str, ...]:
        builtin = tuple(n for n in BUILTIN_PARAMS if getattr(self, n))
        return builtin + tuple(p.name for p in self.user)


#: built-in run parameters (``params: {resync: true}``); their values and meaning: docs/format.md
BUILTIN_PARAMS = ("resync", "dbt_full_refresh")
#: values of the built-in ``resync`` parameter; "off" keeps each sync's own action
RESYNC_CHOICES = ("off", "evolve_and_merge", "drop_and_load")


@dataclass(frozen=True)
class Origin:
    """Where a workflow came from, for the DAG's docs: the file as written and the folder defaults it used.

    ``text`` is the file's text, never expanded; ``defaults`` the merged ``defaults.yaml`` chain as written
    (``environments`` left out), ``defaults_files`` those files relative to the config root, nearest last.
    """

    text: str
    defaults_files: tuple[str, ...] = ()
    defaults: Any = None


@dataclass(frozen=True)
class Sync:
    """One Hevo pipeline sync.

    ``action`` stays lower-case as written (``sync_now``/``resync``/``wait``); ``resync_mode`` and
    ``job_type`` are upper-cased because that is what the Hevo API and the operator take.
    ``completed_after`` (``action: wait`` only) is a template as written, or a fixed time in ISO form
    with its offset; ``None`` means the run's data interval end.
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
    completed_after: str | None = None
    controls: TaskControls = field(default_factory=TaskControls)
    exclusive: bool = False  # at most one task of this pipeline at a time, across DAGs (its pipeline pool)

    def asset_uri(self, region: str) -> str:
        return asset_uri(region, self.pipeline_id)

    def tables_alias(self, region: str) -> str:
        return tables_alias(region, self.pipeline_id)

    def effective_controls(self) -> TaskControls:
        """The sync's controls, with its pipeline's pool when ``exclusive`` (a one-slot pool)."""
        if not self.exclusive:
            return self.controls
        return replace(self.controls, pool=pipeline_pool(self.pipeline_id), pool_slots=1)


@dataclass(frozen=True)
class Step:
    """A task after the syncs. ``after is None`` means "after every sync"; ``()`` means no upstream.

    ``body`` is the kind's model object (``DbtStep`` for ``dbt``, ``BashStep`` for ``bash``, whatever
    a kind registered in ``spec.kinds`` parses its YAML into); the factory builds it as the kind says.
    ``step.<kind>`` (``step.dbt``, ``step.bash``, ``step.<any registered kind>``) is the body when the
    step is of that kind and None otherwise; any other name is an ``AttributeError`` as usual.
    """

    id: str
    kind: StepKindName
    body: Any = None
    after: tuple[str, ...] | None = None
    controls: TaskControls = field(default_factory=TaskControls)

    def __getattr__(self, name: str) -> Any:
        # Called only for names that are not fields or methods: the kind accessors.
        if not name.startswith("_"):
            from hevo_dagfactory.spec.kinds import STEP_KINDS

            if name in STEP_KINDS:
                return self.body if self.kind == name else None
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


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
    max_active_tasks: int | None = None  # None: Airflow's default
    dagrun_timeout: timedelta | None = None
    owner: str = "airflow"
    tags: tuple[str, ...] = ()
    hevo: HevoSettings = field(default_factory=HevoSettings)
    defaults: TaskDefaults = field(default_factory=TaskDefaults)
    syncs: tuple[Sync, ...] = ()
    steps: tuple[Step, ...] = ()
    environment: str | None = None  # the HEVO_DAGFACTORY_ENV value the file was loaded for
    notify: tuple[NotifyTarget, ...] = ()
    deadline: Deadline | None = None
    params: Params = field(default_factory=Params)
    show_source: bool = True
    origin: Origin | None = None

    def upstream_of(self, step: Step) -> tuple[str, ...]:
        """Ids a step waits for, with ``after: None`` expanded to every sync."""
        if step.after is None:
            return tuple(s.id for s in self.syncs)
        return step.after

    def emitted_assets(self) -> tuple[str, ...]:
        """Asset URIs this workflow's syncs emit."""
        return tuple(s.asset_uri(self.hevo.region) for s in self.syncs)
