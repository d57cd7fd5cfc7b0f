"""The spec commands through the real CLI entry point (in-process and as a subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys

from hevo_dagfactory.cli import main
from hevo_dagfactory.spec import load_file

from .conftest import FIXTURES, REPO

BROKEN = FIXTURES / "broken"


def test_validate_exit_codes(capsys):
    assert main(["validate", str(REPO / "configs")]) == 0
    assert main(["validate", str(REPO / "configs"), str(BROKEN / "unknown_key.yaml")]) == 1
    out = capsys.readouterr()
    assert "unknown key 'regoin'" in out.out and "did you mean 'region'?" in out.out
    assert main(["validate", "/nonexistent/path.yaml"]) == 2
    assert main(["validate"]) == 2  # argparse usage error
    assert main(["validate", "--format", "xml", "configs"]) == 2


def test_validate_reports_other_files_and_every_error(capsys):
    code = main(["validate", str(BROKEN / "bad_enum.yaml"), str(BROKEN / "wrong_type.yaml"), str(REPO / "configs")])
    out = capsys.readouterr()
    assert code == 1
    assert out.out.count("\n") == 3  # one line per error, both files
    assert "bad_enum.yaml:4:13: action must be one of" in out.out
    assert "4 valid workflow(s)" in out.err


def test_validate_json(capsys):
    assert main(["validate", "--format", "json", str(BROKEN / "unknown_key.yaml")]) == 1
    payload = json.loads(capsys.readouterr().out)
    assert payload["valid"] is False
    first = payload["errors"][0]
    assert (first["line"], first["col"], first["pointer"], first["error_type"]) == (2, 3, "/hevo/regoin", "unknown_key")


def test_validate_github_annotations(capsys):
    assert main(["validate", "--format", "github", str(BROKEN / "bad_cron.yaml")]) == 1
    line = capsys.readouterr().out.strip()
    assert line.startswith("::error file=")
    assert "bad_cron.yaml,line=1,col=11,title=cron::invalid cron expression" in line


def test_schema_command_prints_the_schema(capsys):
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "hevo-dagfactory workflow"
    assert main(["schema", "--path"]) == 0
    assert capsys.readouterr().out.strip().endswith("hevo-workflow.schema.json")


def test_show_prints_levels_and_edges(capsys):
    assert main(["show", str(REPO / "configs" / "finance_close_nightly.yaml")]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith("finance_close_nightly")
    level1 = [l for l in lines if l.strip().startswith("[1]")]
    assert len(level1) == 3 and any("resync (EVOLVE_AND_MERGE) pipeline 90402" in l for l in level1)
    assert any(l.strip().startswith("[2] dbt_finance") and "after stripe, netsuite, bank_feed" in l for l in lines)
    assert any(l.strip().startswith("[3] check_export_dir") for l in lines)
    assert "emits: hevo://us/pipelines/90311" in out


def test_show_invalid_file_prints_errors_not_traceback(capsys):
    assert main(["show", str(BROKEN / "cycle.yaml")]) == 1
    err = capsys.readouterr().err
    assert "dependency cycle" in err and "Traceback" not in err


def test_new_writes_a_valid_workflow_and_refuses_to_overwrite(tmp_path, capsys):
    assert main(["new", "orders_hourly", "--dir", str(tmp_path)]) == 0
    path = tmp_path / "orders_hourly.yaml"
    workflow = load_file(path)
    assert workflow.dag_id == "orders_hourly" and workflow.syncs and workflow.steps
    assert path.read_text().startswith("# yaml-language-server: $schema=")
    before = path.read_text()
    assert main(["new", "orders_hourly", "--dir", str(tmp_path)]) == 1
    assert path.read_text() == before
    assert "already exists" in capsys.readouterr().err
    assert main(["new", "bad name!", "--dir", str(tmp_path)]) == 2


def test_validate_never_imports_airflow_or_http_clients():
    code = (
        "import sys\n"
        "from hevo_dagfactory.cli import main\n"
        f"rc = main(['validate', '-q', {str(REPO / 'configs')!r}, {str(BROKEN)!r}])\n"
        "bad = sorted(m for m in ('airflow', 'requests', 'aiohttp', 'pendulum') if m in sys.modules)\n"
        "print(rc, bad)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip().splitlines()[-1] == "1 []", proc.stderr


def test_console_script_has_no_traceback_on_bad_input():
    exe = [sys.executable, "-m", "hevo_dagfactory", "validate", str(BROKEN)]
    proc = subprocess.run(exe, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stdout + proc.stderr


def test_only_workflows_skips_foreign_yaml_named_explicitly(tmp_path, capsys):
    foreign = tmp_path / "values.yaml"
    foreign.write_text("replicaCount: 1\n")
    broken = tmp_path / "wf.yaml"
    broken.write_text("syncs: [{id: a, pipeline_id: 0}]\n")
    assert main(["validate", str(foreign)]) == 1  # named files are workflows by default
    assert main(["validate", "--only-workflows", str(foreign)]) == 0
    assert main(["validate", "--only-workflows", str(foreign), str(broken)]) == 1
    assert "pipeline_id must be at least 1" in capsys.readouterr().out


def test_pre_commit_hook_definition_runs_validate():
    import yaml

    hook, installed = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "hevo-dagfactory-validate"
    assert hook["entry"].split()[:2] == ["hevo-dagfactory", "validate"]
    assert hook["language"] == "python" and hook["require_serial"] is True
    args = hook["entry"].split()[2:]
    assert main(["validate", *args, str(REPO / "configs" / "crm_accounts_daily.yaml")]) == 0
    # the variant that installs nothing runs the very same command
    assert installed["id"] == "hevo-dagfactory-validate-installed" and installed["language"] == "system"
    assert {k: v for k, v in installed.items() if k not in ("id", "name", "description", "language")} == {
        k: v for k, v in hook.items() if k not in ("id", "name", "description", "language")
    }


def test_a_bug_of_ours_becomes_an_error_for_that_file_not_a_traceback(tmp_path, monkeypatch, capsys):
    """Simulates a defect in the model builder (no real input triggers one, the fuzz tests check that)."""
    import hevo_dagfactory.spec.loader as loader

    real = loader.build_workflow

    def flaky(data, source, pos, environment, *more):
        if source.name == "crm_accounts_daily.yaml":
            raise KeyError("boom")
        return real(data, source, pos, environment, *more)

    monkeypatch.setattr(loader, "build_workflow", flaky)
    assert main(["validate", str(REPO / "configs")]) == 1
    out = capsys.readouterr()
    # at 1:1 like every whole-file error; the exception's text is left out (it could quote a variable's value)
    assert "crm_accounts_daily.yaml:1:1: internal error while checking this file (KeyError)" in out.out
    assert "boom" not in out.out
    assert "6 file(s) checked, 3 valid workflow(s), 1 error(s) in 1 file(s)" in out.err  # defaults.yaml files count


def test_summary_counts_the_defaults_file_it_read(write, capsys):
    write("defaults.yaml", "hevo: {region: mars}\n")
    write("wf.yaml", "syncs: [{id: s, pipeline_id: 1}]\n")
    assert main(["validate", "wf.yaml"]) == 1
    out = capsys.readouterr()
    assert out.out.splitlines()[0].startswith("defaults.yaml:1:16: region must be one of")
    assert out.out.splitlines()[1] == (
        "wf.yaml:1:1: not loaded because the folder's defaults file has errors; fix the defaults file first"
    )
    assert out.err.strip() == "2 file(s) checked, 0 valid workflow(s), 2 error(s) in 2 file(s)"


def test_validate_says_what_a_special_file_is(tmp_path, capsys, monkeypatch):
    import os

    monkeypatch.chdir(tmp_path)
    os.mkfifo("pipe.yaml")
    assert main(["validate", "pipe.yaml", "/dev/null"]) == 1  # returns at once: a FIFO is never opened to read
    out = capsys.readouterr()
    assert "/dev/null:1:1: cannot read a character device: workflow files must be regular files" in out.out
    assert "pipe.yaml:1:1: cannot read a FIFO (named pipe): workflow files must be regular files" in out.out
    assert "no such file" not in out.out
    assert out.err.strip() == "2 file(s) checked, 0 valid workflow(s), 2 error(s) in 2 file(s)"


def test_show_refuses_a_device_instead_of_reading_it_forever(tmp_path, capsys):
    """/dev/zero reports size 0 and never ends; reading it whole ran out of memory."""
    import os

    assert main(["show", "/dev/zero"]) == 1
    assert capsys.readouterr().err.strip() == (
        "/dev/zero:1:1: cannot read a character device: workflow files must be regular files; name a .yaml file"
    )
    fifo = tmp_path / "wf.yaml"
    os.mkfifo(fifo)
    assert main(["show", str(fifo)]) == 1  # would block forever if opened without O_NONBLOCK
    assert "a FIFO (named pipe)" in capsys.readouterr().err


def test_a_file_over_the_limit_is_refused_after_reading_one_byte_more(write, capsys):
    from hevo_dagfactory.spec.yamlsafe import MAX_FILE_BYTES

    write("big.yaml", b"syncs: []\n" + b"#" * MAX_FILE_BYTES)
    write("edge.yaml", b"syncs: [{id: s, pipeline_id: 1}]\n".ljust(MAX_FILE_BYTES, b" "))
    assert main(["validate", "big.yaml", "edge.yaml"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        f"big.yaml:1:1: file is larger than the {MAX_FILE_BYTES} byte limit; split it into several workflow files"
    ]


def test_validating_valid_files_never_imports_jsonschema():
    """The compiled check answers for valid files; jsonschema (~120 ms to import) is only for explaining errors."""
    code = (
        "import sys\n"
        "from hevo_dagfactory.cli import main\n"
        f"rc = main(['validate', '-q', {str(REPO / 'configs')!r}])\n"
        "print(rc, 'jsonschema' in sys.modules)\n"
        f"rc = main(['validate', '-q', {str(BROKEN / 'bad_enum.yaml')!r}])\n"
        "print(rc, 'jsonschema' in sys.modules)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    lines = proc.stdout.splitlines()
    assert (lines[0], lines[-1]) == ("0 False", "1 True"), proc.stdout + proc.stderr
