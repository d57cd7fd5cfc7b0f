"""dbt and bash steps run for real through Airflow's BashOperator: quoting, env, cwd, PATH lookup.

The injection test is the security boundary of the factory: a ``select`` value like
``x; touch <file>`` must reach dbt as one argument and never run as a shell command.
"""

from __future__ import annotations

import json
import os
import stat

import pytest
import yaml

from tests.factory.helpers import write

FAKE_DBT = """#!/usr/bin/env python3
import json, os, sys
with open(os.environ["ARGV_OUT"], "w") as fh:
    json.dump(sys.argv[1:], fh)
"""


@pytest.fixture
def fake_dbt_on_path(tmp_path, monkeypatch):
    """A stand-in ``dbt`` first on the worker's PATH that records the argv it was given."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    exe = bin_dir / "dbt"
    exe.write_text(FAKE_DBT)
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return tmp_path / "argv.json"


def _load_one(folder, dag_id):
    from hevo_dagfactory import load_workflows

    dags = load_workflows(folder, {"__file__": str(folder / "loader.py")})
    assert "config-error" not in dags[dag_id].tags, dags[dag_id].description
    return dags[dag_id]


def _run(task, context=None):
    """Render the templated fields as the task runner does, then run the real BashOperator."""
    ctx = {"ds": "2026-01-02", **(context or {})}
    task.render_template_fields(ctx)
    return task.execute(ctx)


def test_dbt_values_cannot_inject_shell_commands(tmp_path, fake_dbt_on_path):
    markers = [tmp_path / f"pwned{i}" for i in range(5)]
    argv_out = fake_dbt_on_path
    wf = {
        "dag_id": "inject",
        "schedule": None,
        "start_date": "2026-01-01",
        "steps": [{
            "id": "dbt_step",
            "dbt": {
                "command": "build",
                "select": [f"x; touch {markers[0]}", "tag:ok"],
                "exclude": [f"$(touch {markers[1]})"],
                "selector": f"`touch {markers[2]}`",
                "vars": {"q": f"it's \"quoted\" $(touch {markers[3]})"},
                "target": f"prod && touch {markers[4]}",
                "threads": 2,
                "full_refresh": True,
                "env": {"ARGV_OUT": str(argv_out)},
            },
        }],
    }
    folder = tmp_path / "wf"
    write(folder, "inject.yaml", yaml.safe_dump(wf, sort_keys=False))  # no quoting mistakes in the test itself
    task = _load_one(folder, "inject").get_task("dbt_step")

    _run(task)

    assert [m for m in markers if m.exists()] == []
    assert json.loads(argv_out.read_text()) == [
        "build",
        "--select", f"x; touch {markers[0]}", "tag:ok",
        "--exclude", f"$(touch {markers[1]})",
        "--selector", f"`touch {markers[2]}`",
        "--vars", json.dumps({"q": f"it's \"quoted\" $(touch {markers[3]})"}),
        "--target", f"prod && touch {markers[4]}",
        "--full-refresh",
        "--threads", "2",
    ]


def test_dbt_paths_resolve_against_the_workflow_file_and_env_is_added(tmp_path, fake_dbt_on_path, monkeypatch):
    monkeypatch.setenv("WORKER_ONLY", "from-the-worker")
    folder = tmp_path / "wf"
    write(folder, "paths.yaml", """\
        dag_id: paths
        schedule: null
        start_date: 2026-01-01
        steps:
          - id: run
            dbt:
              command: run
              project_dir: ../dbt project
              profiles_dir: profiles
              vars: {day: "{{ ds }}"}
              env: {ARGV_OUT: "%s", DBT_TARGET_SCHEMA: analytics}
        """ % fake_dbt_on_path)
    task = _load_one(folder, "paths").get_task("run")
    assert task.append_env is True
    _run(task)
    argv = json.loads(fake_dbt_on_path.read_text())
    assert argv == [
        "run",
        "--vars", '{"day": "2026-01-02"}',
        "--project-dir", str(tmp_path / "dbt project"),
        "--profiles-dir", str(folder / "profiles"),
    ]
    env = task.get_env({})
    assert env["DBT_TARGET_SCHEMA"] == "analytics" and env["WORKER_ONLY"] == "from-the-worker"


def test_bash_step_runs_the_command_as_written_with_env_and_cwd(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKER_ONLY", "w")
    folder = tmp_path / "wf"
    (folder / "work").mkdir(parents=True)
    script = folder / "work" / "notify.sh"
    script.write_text('#!/bin/bash\necho "$GREETING $WORKER_ONLY $1" > out.txt\n')
    script.chmod(0o755)
    write(folder, "b.yaml", """\
        dag_id: b
        schedule: null
        start_date: 2026-01-01
        steps:
          - id: greet
            bash:
              command: echo "$GREETING {{ ds }}" | tr a-z A-Z > greeting.txt && test "$(pwd)" = "$PWD"
              env: {GREETING: hello}
              cwd: work
          - id: script
            bash:
              command: ./notify.sh
              env: {GREETING: hi}
              cwd: work
            after: [greet]
        """)
    dag = _load_one(folder, "b")
    _run(dag.get_task("greet"))
    assert (folder / "work" / "greeting.txt").read_text() == "HELLO 2026-01-02\n"
    # A command ending in .sh is a command, not a Jinja template file to load.
    _run(dag.get_task("script"))
    assert (folder / "work" / "out.txt").read_text() == "hi w \n"


def test_dbt_command_builder_quotes_every_value():
    from hevo_dagfactory.factory.commands import bash_command, dbt_command
    from hevo_dagfactory.spec import DbtStep

    cmd = dbt_command(DbtStep(command="test", select=("a b",), target="it's"))
    assert cmd == "dbt test --select 'a b' --target 'it'\"'\"'s'"
    assert bash_command("./x.sh") == "./x.sh " and bash_command("echo a") == "echo a"
