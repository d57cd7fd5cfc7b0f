"""dbt and bash steps run for real through Airflow's BashOperator: quoting, env, cwd, PATH lookup.

The injection test is the security boundary of the factory: a ``select`` value like
``x; touch <file>`` must reach dbt as one argument and never run as a shell command.
"""

from __future__ import annotations

import json
import os
import shlex
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
        "steps": [
            {
                "id": "dbt_step",
                "dbt": {
                    "command": "build",
                    "select": [f"x; touch {markers[0]}", "tag:ok"],
                    "exclude": [f"$(touch {markers[1]})"],
                    "selector": f"`touch {markers[2]}`",
                    "vars": {"q": f'it\'s "quoted" $(touch {markers[3]})'},
                    "target": f"prod && touch {markers[4]}",
                    "threads": 2,
                    "full_refresh": True,
                    "env": {"ARGV_OUT": str(argv_out)},
                },
            }
        ],
    }
    folder = tmp_path / "wf"
    write(folder, "inject.yaml", yaml.safe_dump(wf, sort_keys=False))  # no quoting mistakes in the test itself
    task = _load_one(folder, "inject").get_task("dbt_step")

    _run(task)

    assert [m for m in markers if m.exists()] == []
    assert json.loads(argv_out.read_text()) == [
        "build",
        "--select",
        f"x; touch {markers[0]}",
        "tag:ok",
        "--exclude",
        f"$(touch {markers[1]})",
        "--selector",
        f"`touch {markers[2]}`",
        "--vars",
        json.dumps({"q": f'it\'s "quoted" $(touch {markers[3]})'}),
        "--target",
        f"prod && touch {markers[4]}",
        "--full-refresh",
        "--threads",
        "2",
    ]


#: The audit's payloads: a run conf value, and a quote written in the file that only Jinja produces.
CONF_PAYLOAD = "x'; touch {marker}; echo '"
FILE_PAYLOAD = '{{{{ "%c" % 39 }}}}; touch {marker}; echo {{{{ "%c" % 39 }}}}'


def _jinja_payload_workflow(tmp_path, argv_out):
    """A dbt step whose vars come from the run conf and whose select holds a Jinja-made quote."""
    markers = [tmp_path / "pwned-conf", tmp_path / "pwned-file"]
    wf = {
        "dag_id": "jinja_inject",
        "schedule": None,
        "start_date": "2026-01-01",
        "defaults": {"retries": 0},
        "steps": [
            {
                "id": "dbt_step",
                "dbt": {
                    "command": "run",
                    "select": [FILE_PAYLOAD.format(marker=markers[1]), "tag:ok"],
                    "vars": {"day": "{{ dag_run.conf.day }}", "n": 3},
                    "env": {"ARGV_OUT": str(argv_out)},
                },
            }
        ],
    }
    folder = tmp_path / "wf"
    write(folder, "jinja_inject.yaml", yaml.safe_dump(wf, sort_keys=False))
    return _load_one(folder, "jinja_inject"), markers


def _expected_argv(markers):
    return [
        "run",
        "--select",
        f"'; touch {markers[1]}; echo '",
        "tag:ok",
        "--vars",
        json.dumps({"day": CONF_PAYLOAD.format(marker=markers[0]), "n": 3}, sort_keys=True),
    ]


def test_jinja_in_dbt_values_is_quoted_after_rendering(tmp_path, fake_dbt_on_path):
    """Rendering happens first, quoting second: neither audit payload reaches bash as a command."""
    dag, markers = _jinja_payload_workflow(tmp_path, fake_dbt_on_path)
    task = dag.get_task("dbt_step")
    before = task.bash_command  # what the DAG shows before a run: the line as written
    assert "{{ dag_run.conf.day }}" in before and shlex.split(before)[0] == "dbt"

    class _Run:  # the only part of the context the templates use
        conf = {"day": CONF_PAYLOAD.format(marker=markers[0])}

    _run(task, {"dag_run": _Run()})

    assert [m for m in markers if m.exists()] == []
    assert json.loads(fake_dbt_on_path.read_text()) == _expected_argv(markers)
    # The rendered bash_command (what the UI shows) is exactly the line bash ran.
    assert shlex.split(task.bash_command) == ["dbt", *_expected_argv(markers)]


@pytest.mark.usefixtures("airflow_db")
def test_jinja_payloads_in_a_real_dag_run_on_both_lines(tmp_path, fake_dbt_on_path):
    """``dag.test()`` with the payload in the run conf: no file appears, and the rendered fields
    Airflow records for the UI hold the final, quoted command (captured after the join)."""
    from hevo_dagfactory.provider.compat import DagBag, add_dag_to_bag, sync_dag_bag_to_db

    dag, markers = _jinja_payload_workflow(tmp_path, fake_dbt_on_path)
    bag = DagBag(dag_folder=str(tmp_path / "empty"))
    add_dag_to_bag(bag, dag)
    sync_dag_bag_to_db(bag)

    dr = dag.test(run_conf={"day": CONF_PAYLOAD.format(marker=markers[0])})

    assert str(getattr(dr.state, "value", dr.state)) == "success"
    assert [m for m in markers if m.exists()] == []
    assert json.loads(fake_dbt_on_path.read_text()) == _expected_argv(markers)
    rendered = _recorded_rendered_fields(dr, "dbt_step")
    assert shlex.split(rendered["bash_command"]) == ["dbt", *_expected_argv(markers)]


def _recorded_rendered_fields(dag_run, task_id):
    """The rendered template fields Airflow stored for the UI (RenderedTaskInstanceFields)."""
    from airflow.models.renderedtifields import RenderedTaskInstanceFields
    from airflow.utils.session import create_session

    with create_session() as session:
        ti = dag_run.get_task_instance(task_id, session=session)
        return RenderedTaskInstanceFields.get_templated_fields(ti, session=session)


def test_dbt_paths_resolve_against_the_workflow_file_and_env_is_added(tmp_path, fake_dbt_on_path, monkeypatch):
    monkeypatch.setenv("WORKER_ONLY", "from-the-worker")
    folder = tmp_path / "wf"
    write(
        folder,
        "paths.yaml",
        """\
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
        """
        % fake_dbt_on_path,
    )
    task = _load_one(folder, "paths").get_task("run")
    assert task.append_env is True
    _run(task)
    argv = json.loads(fake_dbt_on_path.read_text())
    assert argv == [
        "run",
        "--vars",
        '{"day": "2026-01-02"}',
        "--project-dir",
        str(tmp_path / "dbt project"),
        "--profiles-dir",
        str(folder / "profiles"),
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
    write(
        folder,
        "b.yaml",
        """\
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
        """,
    )
    dag = _load_one(folder, "b")
    _run(dag.get_task("greet"))
    assert (folder / "work" / "greeting.txt").read_text() == "HELLO 2026-01-02\n"
    # A command ending in .sh is a command, not a Jinja template file to load.
    _run(dag.get_task("script"))
    assert (folder / "work" / "out.txt").read_text() == "hi w \n"


def test_dbt_command_builder_quotes_every_value():
    from hevo_dagfactory.spec import DbtStep
    from hevo_dagfactory.spec.kinds.dbt import dbt_argv, dbt_command
    from hevo_dagfactory.spec.kinds.shell import join_argv

    step = DbtStep(command="test", select=("a b",), target="it's", vars={"d": "{{ ds }}"})
    assert dbt_argv(step) == ["dbt", "test", "--select", "a b", "--vars", {"d": "{{ ds }}"}, "--target", "it's"]
    assert dbt_command(step) == "dbt test --select 'a b' --vars '{\"d\": \"{{ ds }}\"}' --target 'it'\"'\"'s'"
    assert join_argv(["dbt", "run", "--vars", {"d": "x'y"}]) == 'dbt run --vars \'{"d": "x\'"\'"\'y"}\''


def test_values_ending_in_sh_are_values_not_template_files(tmp_path, fake_dbt_on_path):
    """BashOperator would load any templated string ending in .sh/.bash as a template FILE
    (TemplateNotFound './notify.sh'): env values and cwd must stay what they say, like commands."""
    folder = tmp_path / "wf"
    (folder / "hooks.sh").mkdir(parents=True)  # a folder whose name ends in .sh, used as cwd
    write(
        folder,
        "sh.yaml",
        """\
        dag_id: sh_values
        schedule: null
        start_date: 2026-01-01
        steps:
          - id: bash_step
            bash:
              command: echo "$HOOK {{ ds }}" > out.txt
              env: {HOOK: ./notify.sh}
              cwd: hooks.sh
          - id: dbt_step
            dbt:
              command: run
              env: {ARGV_OUT: "%s", DBT_HOOK: "{{ ds }}/post.bash"}
        """
        % fake_dbt_on_path,
    )
    dag = _load_one(folder, "sh_values")
    bash_task, dbt_task = dag.get_task("bash_step"), dag.get_task("dbt_step")
    _run(bash_task)
    assert (folder / "hooks.sh" / "out.txt").read_text() == "./notify.sh 2026-01-02\n"
    assert bash_task.env["HOOK"] == "./notify.sh" and bash_task.cwd == str(folder / "hooks.sh")
    _run(dbt_task)
    assert dbt_task.env["DBT_HOOK"] == "2026-01-02/post.bash"  # rendered as Jinja, not loaded as a file
    assert json.loads(fake_dbt_on_path.read_text()) == ["run"]
