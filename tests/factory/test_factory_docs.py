"""What the Airflow UI shows (description, doc_md) never carries secrets."""

from __future__ import annotations

import json

from tests.factory.helpers import write

SECRETS = [
    "bash-env-secret-1",
    "dbt-env-secret-2",
    "dbt-vars-secret-3",
    "conn-password-5",
    "hevo-api-secret-6",
    "interpolated-secret-7",
]
#: written literally into a command: shown only inside the file as written (docs/format.md, "The source in the UI")
IN_A_COMMAND = "inline-secret-4"

WF = """\
dag_id: secretive
description: Nightly load
schedule: "@daily"
start_date: 2026-01-01
hevo: {region: eu, connection_id: hevo_prod}
syncs:
  - {id: s, pipeline_id: 11}
steps:
  - id: d
    dbt:
      command: run
      select: [tag:nightly]
      vars: {api_key: dbt-vars-secret-3}
      env: {DBT_PASSWORD: dbt-env-secret-2, TOKEN: "${HEVO_TEST_TOKEN}"}
  - id: b
    bash:
      command: 'curl -H "Authorization: inline-secret-4" https://example.invalid'
      env: {API_TOKEN: bash-env-secret-1}
"""


def test_ui_text_never_contains_secrets(tmp_path, monkeypatch):
    from hevo_dagfactory import load_workflows

    monkeypatch.setenv("HEVO_TEST_TOKEN", "interpolated-secret-7")
    monkeypatch.setenv(
        "AIRFLOW_CONN_HEVO_PROD",
        json.dumps(
            {
                "conn_type": "hevo",
                "login": "key",
                "password": "conn-password-5",
                "extra": {"api_secret": "hevo-api-secret-6", "region": "eu"},
            }
        ),
    )
    write(tmp_path, "secretive.yaml", WF)
    # A broken file holding a secret: its placeholder must not echo the secret either.
    write(
        tmp_path,
        "broken.yaml",
        WF.replace("dag_id: secretive", "dag_id: broken").replace("command: run", "command: run\n      colour: red"),
    )
    dags = load_workflows(tmp_path, {"__file__": str(tmp_path / "l.py")})
    assert "config-error" not in dags["secretive"].tags
    assert "config-error" in dags["broken"].tags
    for dag in dags.values():
        shown = f"{dag.description}\n{dag.doc_md}"
        assert not [s for s in SECRETS if s in shown], dag.dag_id
    doc = dags["secretive"].doc_md
    assert "`hevo_prod`" in doc  # the connection *id* is shown, nothing of its content
    assert "select tag:nightly" in doc
    # the file as written: secret-looking keys masked, ${VAR} as written, the command as written
    summary, source = doc.split("### Workflow file `secretive.yaml`", 1)
    assert IN_A_COMMAND not in summary and IN_A_COMMAND in source
    assert "TOKEN: '***'" in source and "api_key: '***'" in source and "DBT_PASSWORD: '***'" in source
    assert "${HEVO_TEST_TOKEN}" not in source  # under a secret-looking key: masked, not even the reference


def test_show_source_false_keeps_the_file_out_of_the_docs(tmp_path, monkeypatch):
    from hevo_dagfactory import load_workflows

    monkeypatch.setenv("HEVO_TEST_TOKEN", "interpolated-secret-7")
    write(tmp_path, "secretive.yaml", WF.replace("schedule:", "show_source: false\nschedule:"))
    write(tmp_path, "defaults.yaml", "owner: team-x\nshow_source: true\n")  # the file's own key wins
    dags = load_workflows(tmp_path, {"__file__": str(tmp_path / "l.py")})
    doc = dags["secretive"].doc_md
    assert "Workflow file `" not in doc and IN_A_COMMAND not in doc and "curl" not in doc
    assert "| Owner | team-x |" in doc  # the summary table stays


def test_docs_show_exactly_the_loader_the_tests_use():
    """docs/loader.md's snippet is the loader every DagBag test here copies: the two cannot drift."""
    import re

    from tests.factory.helpers import REPO, USER_LOADER

    text = (REPO / "docs" / "loader.md").read_text()
    snippet = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    assert snippet == USER_LOADER


def test_a_broken_interpolated_value_is_not_quoted_in_the_placeholder(tmp_path, monkeypatch, caplog):
    """``pipeline_id: ${MY_TOKEN}`` is invalid (not a number): the message must not show the token."""
    import logging

    from hevo_dagfactory import load_workflows

    monkeypatch.setenv("MY_TOKEN", "tok-interpolated-8")
    write(tmp_path, "leaky.yaml", "dag_id: leaky\nschedule: null\nsyncs:\n  - id: s\n    pipeline_id: ${MY_TOKEN}\n")
    with caplog.at_level(logging.DEBUG, logger="hevo_dagfactory"):
        dag = load_workflows(tmp_path, {"__file__": str(tmp_path / "l.py")})["leaky"]
    assert "config-error" in dag.tags
    assert "leaky.yaml:5:" in dag.description and "[/syncs/0/pipeline_id]" in dag.description
    shown = [
        dag.description,
        dag.doc_md,
        dag.get_task("config_error").error_text,
        *(r.getMessage() for r in caplog.records),
    ]
    assert not [text for text in shown if "tok-interpolated-8" in text]
