"""Loading valid workflows: model values, merge order, variables, discovery."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hevo_dagfactory.spec import (
    AssetSchedule,
    ConfigErrors,
    HevoSettings,
    Sync,
    TaskDefaults,
    find_workflow_files,
    load_file,
    load_paths,
    load_schema,
    schema_path,
)
from hevo_dagfactory.spec import schema as S

from .conftest import REPO

CONFIGS = REPO / "configs"

MINIMAL = "syncs: [{id: crm, pipeline_id: 12}]\n"


def test_examples_are_valid_and_cover_the_required_shapes():
    result = load_paths([CONFIGS])
    assert result.errors == []
    by_id = {w.dag_id: w for w in result.workflows}
    assert len(by_id) >= 3
    # one sync -> dbt run
    assert any(len(w.syncs) == 1 and [s.dbt.command for s in w.steps if s.dbt] == ["run"] for w in by_id.values())
    # parallel syncs + one resync + dbt build + bash
    assert any(
        len(w.syncs) >= 2
        and [s.action for s in w.syncs].count("resync") == 1
        and {s.kind for s in w.steps} == {"dbt", "bash"}
        and any(s.dbt and s.dbt.command == "build" for s in w.steps)
        for w in by_id.values()
    )
    # one scheduled on the asset another example's sync emits
    emitted = {uri for w in by_id.values() for uri in w.emitted_assets()}
    asset_scheduled = [w for w in by_id.values() if isinstance(w.schedule, AssetSchedule)]
    assert asset_scheduled and set(asset_scheduled[0].schedule.uris) <= emitted
    assert (CONFIGS / "defaults.yaml").is_file()


def test_examples_carry_the_modeline_and_keep_polling_short():
    for path in sorted(CONFIGS.rglob("*.yaml")):  # team folders too
        first = path.read_text().splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema="), path
        target = (path.parent / first.split("$schema=", 1)[1]).resolve()
        assert target == schema_path().resolve(), path
    for w in load_paths([CONFIGS]).workflows:
        assert all(s.poll_interval <= timedelta(seconds=5) for s in w.syncs)


def test_model_values_are_normalised(write):
    path = write(
        "sales.yaml",
        """
        schedule: "0 6 * * *"
        start_date: 2026-01-01
        end_date: 2026-03-01T06:30:00Z
        timezone: Europe/Berlin
        defaults: {retries: 0, retry_delay: 1h30m, execution_timeout: 90}
        syncs:
          - id: crm
            pipeline_id: 12
            action: resync
            resync_mode: drop_and_load
            job_type: incremental
            timeout: 2h
        steps:
          - id: dbt_run
            dbt: {command: run, select: tag:sales, project_dir: ../dbt, profiles_dir: /etc/dbt, env: {N: 3, B: true}}
          - id: echo
            bash: {command: echo hi, cwd: scripts, env: {X: "1"}}
            after: []
        """,
    )
    w = load_file(path)
    tz = ZoneInfo("Europe/Berlin")
    assert w.dag_id == "sales"
    assert w.source == path.resolve() and w.source.is_absolute()
    assert w.start_date == datetime(2026, 1, 1, tzinfo=tz)
    assert w.end_date == datetime(2026, 3, 1, 7, 30, tzinfo=tz)  # Z converted into the workflow zone
    assert w.defaults == TaskDefaults(0, timedelta(hours=1, minutes=30), timedelta(seconds=90))
    sync = w.syncs[0]
    assert (sync.action, sync.resync_mode, sync.job_type) == ("resync", "DROP_AND_LOAD", "INCREMENTAL")
    assert sync.timeout == timedelta(hours=2) and sync.poll_interval == timedelta(seconds=15)
    dbt, bash = w.steps[0], w.steps[1]
    assert dbt.kind == "dbt" and dbt.after is None and w.upstream_of(dbt) == ("crm",)
    assert dbt.dbt.select == ("tag:sales",)
    assert dbt.dbt.project_dir == (path.parent / "../dbt").resolve()
    assert dbt.dbt.profiles_dir == Path("/etc/dbt")
    assert dict(dbt.dbt.env) == {"N": "3", "B": "true"}
    assert bash.kind == "bash" and bash.after == () and bash.bash.cwd == path.parent / "scripts"
    assert w.emitted_assets() == ("hevo://us/pipelines/12",)


def test_bash_string_shorthand(write):
    w = load_file(write("b.yaml", "steps: [{id: hi, bash: echo $HOME}]\n"))
    assert w.steps[0].bash.command == "echo $HOME" and w.steps[0].bash.cwd is None


def test_schema_defaults_match_model_defaults(write):
    """Defaults come from the schema; the dataclass defaults (for direct construction) agree."""
    w = load_file(write("d.yaml", MINIMAL))
    assert w.syncs[0] == Sync(id="crm", pipeline_id=12)
    assert w.hevo == HevoSettings()
    assert w.defaults == TaskDefaults()
    top = S.defaults_of("#")
    assert (w.timezone, w.catchup, w.max_active_runs, w.owner, list(w.tags), w.schedule) == (
        top["timezone"],
        top["catchup"],
        top["max_active_runs"],
        top["owner"],
        top["tags"],
        top["schedule"],
    )
    sync_defaults = S.defaults_of("#/$defs/sync")
    assert w.syncs[0].resync_mode == sync_defaults["resync_mode"].upper()
    assert w.hevo.region == load_schema()["properties"]["hevo"]["properties"]["region"]["default"]
    # every model dataclass default also appears in the schema
    # (``controls`` groups the execution controls, which have no defaults: Airflow's apply)
    model_sync = {
        f.name: f.default for f in dataclasses.fields(Sync) if f.name not in ("id", "pipeline_id", "controls")
    }
    assert set(model_sync) == set(sync_defaults)


def test_merge_order_defaults_file_then_overlays(write):
    write(
        "defaults.yaml",
        """
        owner: from-defaults
        tags: [base]
        hevo: {region: eu, connection_id: conn_defaults}
        sync_defaults: {poll_interval: 5s, on_completed_with_failures: warn}
        environments:
          prod:
            owner: from-defaults-prod
            hevo: {connection_id: conn_defaults_prod}
            max_active_runs: 4
        """,
    )
    path = write(
        "wf.yaml",
        """
        owner: from-file
        hevo: {connection_id: conn_file}
        syncs:
          - {id: a, pipeline_id: 1}
          - {id: b, pipeline_id: 2, poll_interval: 1m}
        environments:
          prod:
            hevo: {connection_id: conn_file_prod}
          dev:
            owner: from-file-dev
        """,
    )
    base = load_file(path)
    assert base.owner == "from-file"
    assert base.hevo == HevoSettings("conn_file", "eu")  # hevo merged key by key
    assert base.tags == ("base",)
    assert [s.poll_interval for s in base.syncs] == [timedelta(seconds=5), timedelta(minutes=1)]
    assert base.syncs[0].on_completed_with_failures == "warn"
    prod = load_file(path, env="prod")
    assert (
        prod.owner == "from-defaults-prod"
    )  # the file sets owner, but the defaults' prod overlay ranks above the file
    assert prod.hevo.connection_id == "conn_file_prod"  # the file's overlay ranks highest
    assert prod.max_active_runs == 4 and prod.environment == "prod"
    assert load_file(path, env="dev").owner == "from-file-dev"
    assert load_file(path, env="stage").owner == "from-file"  # undeclared env: no overlay


def test_env_is_read_from_environment_variable(write, monkeypatch):
    path = write("wf.yaml", MINIMAL + "environments:\n  dev: {owner: dev-team}\n")
    monkeypatch.setenv("HEVO_DAGFACTORY_ENV", "dev")
    assert load_file(path).owner == "dev-team"
    assert load_file(path, env="").owner == "airflow"  # explicit empty env = no overlay


def test_variables_expand_only_in_strings_after_parsing(write, monkeypatch):
    monkeypatch.setenv("HEVO_T_REGION", "eu")
    monkeypatch.setenv("HEVO_T_EMPTY", "")
    monkeypatch.delenv("HEVO_T_UNSET", raising=False)
    monkeypatch.setenv("HEVO_T_INJECT", "x\nsyncs: []")
    path = write(
        "wf.yaml",
        """
        hevo: {region: "${HEVO_T_REGION}", connection_id: "${HEVO_T_UNSET:-fallback}"}
        owner: "${HEVO_T_EMPTY:-nobody}"
        description: "${HEVO_T_INJECT}"
        syncs: [{id: crm, pipeline_id: 12}]
        steps:
          - id: sh
            bash: echo $$HOME $${HOME} $HOME costs $$5
        """,
    )
    w = load_file(path)
    assert w.hevo == HevoSettings("fallback", "eu")
    assert w.owner == "nobody"
    assert w.description == "x\nsyncs: []" and len(w.syncs) == 1  # a variable cannot inject YAML
    assert w.steps[0].bash.command == "echo $HOME ${HOME} $HOME costs $5"


def test_unselected_environment_may_use_unset_variables(write, monkeypatch):
    monkeypatch.delenv("HEVO_T_PROD_CONN", raising=False)
    path = write("wf.yaml", MINIMAL + "environments:\n  prod:\n    hevo: {connection_id: '${HEVO_T_PROD_CONN}'}\n")
    assert load_file(path).hevo.connection_id == "hevo_airflow_conn_id"
    with pytest.raises(ConfigErrors) as info:
        load_file(path, env="prod")
    (err,) = info.value.errors
    assert (err.line, err.col, err.error_type) == (4, 27, "env_var")


def test_unselected_environment_is_still_schema_checked(write):
    path = write("wf.yaml", MINIMAL + "environments:\n  prod:\n    ownr: x\n")
    with pytest.raises(ConfigErrors) as info:
        load_file(path)
    (err,) = info.value.errors
    assert (err.line, err.col, err.error_type, err.hint) == (4, 5, "unknown_key", "did you mean 'owner'?")


def test_overlay_cannot_change_tasks(write):
    path = write("wf.yaml", MINIMAL + "environments:\n  dev:\n    syncs: []\n")
    with pytest.raises(ConfigErrors) as info:
        load_file(path)
    assert [(e.line, e.col, e.error_type) for e in info.value.errors] == [(4, 5, "unknown_key")]


def test_find_workflow_files_skips_foreign_yaml(write):
    write("defaults.yaml", "owner: x\n")
    write("defaults.yml", "owner: y\n")
    write("_draft.yaml", MINIMAL)
    write(".hidden.yaml", MINIMAL)
    write("profiles.yml", "default:\n  outputs: {}\n")
    write("values.yaml", "replicaCount: 1\n")
    write("sub/nested.yaml", MINIMAL)
    write("broken.yaml", "steps:\n  - id: [\n")  # still found: the sniff reads text
    write("modeline.yml", "# yaml-language-server: $schema=../schemas/hevo-workflow.schema.json\nowner: x\n")
    write("wf.yaml", MINIMAL)
    write("notes.txt", MINIMAL)
    # subfolders are searched too (team folders), sorted by the path below the folder
    assert [p.as_posix() for p in find_workflow_files(".")] == [
        "broken.yaml",
        "modeline.yml",
        "sub/nested.yaml",
        "wf.yaml",
    ]
    result = load_paths(["."])
    assert sorted(p.name for p in result.skipped) == ["profiles.yml", "values.yaml"]
    kinds = sorted((e.file, e.error_type) for e in result.errors)
    assert ("defaults.yml", "defaults") in kinds  # two defaults files in one folder


def test_explicit_defaults_file_is_checked_as_defaults(write):
    path = write("defaults.yaml", "dag_id: nope\n")
    result = load_paths([path])
    assert [(e.line, e.col, e.error_type) for e in result.errors] == [(1, 1, "unknown_key")]


def test_missing_path_is_an_io_error():
    result = load_paths(["/nonexistent/hevo/dir"])
    assert [e.error_type for e in result.errors] == ["io"]


def test_after_edges_and_no_cycle_for_diamond(write):
    w = load_file(
        write(
            "diamond.yaml",
            """
            syncs: [{id: a, pipeline_id: 1}, {id: b, pipeline_id: 2}]
            steps:
              - {id: left, bash: echo l, after: [a]}
              - {id: right, bash: echo r, after: [b]}
              - {id: join, bash: echo j, after: [left, right]}
            """,
        )
    )
    assert [w.upstream_of(s) for s in w.steps] == [("a",), ("b",), ("left", "right")]


def test_schema_path_points_at_repo_schema_in_editable_install():
    assert schema_path().name == "hevo-workflow.schema.json"
    assert load_schema()["$schema"].endswith("2020-12/schema")


def test_dbt_vars_may_span_lines_because_they_travel_as_json(write):
    """--vars is one JSON argument: a line break in a value is written \\n there, so it cannot split the command."""
    import json

    path = write("wf.yaml", 'steps:\n  - id: d\n    dbt: {command: run, vars: {note: "line one\\nline two"}}\n')
    (step,) = load_file(path).steps
    assert step.dbt.vars == {"note": "line one\nline two"}
    (arg,) = [a for a in step.dbt.argv() if a.startswith("{")]
    assert "\n" not in arg and json.loads(arg) == {"note": "line one\nline two"}


def test_a_home_relative_path_is_expanded_when_the_file_is_loaded(write, monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    path = write("wf.yaml", 'steps:\n  - {id: d, dbt: {command: run, project_dir: "~/dbt"}}\n')
    assert load_file(path).steps[0].dbt.project_dir == tmp_path / "home" / "dbt"
