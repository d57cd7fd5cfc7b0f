"""The operating workload of bench_parse.py: issue 14's keys and team folders, on both sides of the comparison.

Each YAML workflow uses a deadline, run parameters (its own and both built-ins, from the folder defaults),
notifications (Slack and e-mail, from its team's ``defaults.yaml``), an ``exclusive`` sync, a priority, a
pool, ``dagrun_timeout`` and the source YAML in its DAG docs; the folders are 10 team folders under a root
``defaults.yaml`` and an ``.airflowignore`` (which hides a ``scratch/`` folder). The hand-written file makes
the same DAGs: the same notifier objects, ``Param``s, Deadline Alert (Airflow 3.3), pools, priorities and
doc text, as someone writing them in Python would.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

TEAMS = 10


def _ids(i: int) -> tuple[str, int, int]:
    return f"wf_{i:04d}", 2 * i + 1, 2 * i + 2


def team(i: int) -> str:
    return f"team_{i % TEAMS:02d}"


def operating_yaml(i: int) -> str:
    dag_id, p1, p2 = _ids(i)
    return textwrap.dedent(f"""\
        dag_id: {dag_id}
        description: Sync orders and customers, build the marts, then notify
        schedule: "0 2 * * *"
        start_date: 2026-01-01
        tags: [bench]
        hevo: {{region: eu}}
        defaults: {{retries: 1, retry_delay: 30s}}
        dagrun_timeout: 6h
        deadline: {{after: 3h}}
        params:
          days: {{type: integer, default: 3, minimum: 1, maximum: 90, description: lookback window}}
        syncs:
          - {{id: orders, pipeline_id: {p1}, exclusive: true}}
          - {{id: customers, pipeline_id: {p2}, priority_weight: 5}}
        steps:
          - id: dbt_build
            dbt: {{command: build, select: ["tag:{dag_id}"], target: prod, vars: {{days: "{{{{ params.days }}}}"}}}}
            pool: dbt
          - id: notify
            bash: echo "{dag_id} done"
            after: [dbt_build]
        """)


ROOT_DEFAULTS = """\
owner: data-eng
params: {resync: true}
notify: [{slack: slack_data_alerts, on: [failure]}]
environments:
  airflow2: {deadline: null}   # Airflow 2.11 has no Deadline Alerts
"""


def team_defaults(name: str) -> str:
    return textwrap.dedent(f"""\
        owner: {name}
        notify:
          - {{slack: slack_{name}, on: [failure, retry]}}
          - {{email: {name}@example.com, on: [success]}}
        params: {{dbt_full_refresh: true}}
        """)


def write_operating_defaults(folder: Path) -> None:
    (folder / "defaults.yaml").write_text(ROOT_DEFAULTS)
    (folder / ".airflowignore").write_text("scratch/\n")
    (folder / "scratch").mkdir(exist_ok=True)
    (folder / "scratch" / "draft.yaml").write_text("syncs: [{id: draft, pipeline_id: 1}]\n")
    for t in range(TEAMS):
        name = f"team_{t:02d}"
        (folder / name).mkdir(exist_ok=True)
        (folder / name / "defaults.yaml").write_text(team_defaults(name))


OPERATING_HAND_HEADER = textwrap.dedent("""\
    from hevo_dagfactory.provider.notify.notifier import WorkflowNotifier
    from hevo_dagfactory.provider.operators.run_params import HevoRunParamsOperator

    try:
        from airflow.sdk import AsyncCallback, DeadlineAlert, DeadlineReference, Param

        def deadline(dag_id):
            kwargs = {"workflow": dag_id, "when": "within 3h of being queued", "targets": [SLACK_ALL]}
            callback = AsyncCallback("hevo_dagfactory.provider.notify.deadline.deadline_missed", kwargs=kwargs)
            return {"deadline": DeadlineAlert(DeadlineReference.DAGRUN_QUEUED_AT, timedelta(hours=3), callback)}
    except ImportError:  # Airflow 2.x: no Deadline Alerts
        from airflow.models.param import Param

        def deadline(dag_id):
            return {}

    SLACK_ALL = {"kind": "slack", "connection_id": "slack_data_alerts", "to": [], "from_email": None}


    def slack(team):
        return {"kind": "slack", "connection_id": f"slack_{team}", "to": [], "from_email": None}


    def mail(team):
        return {"kind": "email", "connection_id": "smtp_default", "to": [f"{team}@example.com"], "from_email": None}


    def params():
        return {
            "resync": Param("off", type="string", enum=["off", "evolve_and_merge", "drop_and_load"]),
            "dbt_full_refresh": Param(False, type="boolean"),
            "days": Param(3, type="integer", minimum=1, maximum=90, description="lookback window"),
        }

    """)


def operating_hand_dag(i: int) -> str:
    dag_id, p1, p2 = _ids(i)
    name = team(i)
    doc = operating_yaml(i).replace('"""', "'''")
    code = textwrap.dedent(f"""\
        with DAG(
            dag_id="{dag_id}",
            description="Sync orders and customers, build the marts, then notify",
            schedule="0 2 * * *",
            start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
            catchup=False,
            max_active_runs=1,
            dagrun_timeout=timedelta(hours=6),
            tags=["hevo", "region:eu", "bench"],
            params=params(),
            default_args={{
                "owner": "{name}",
                "retries": 1,
                "retry_delay": timedelta(seconds=30),
                "on_failure_callback": [WorkflowNotifier(workflow="{dag_id}", event="failure", targets=[slack("{name}")])],
                "on_retry_callback": [WorkflowNotifier(workflow="{dag_id}", event="retry", targets=[slack("{name}")])],
            }},
            on_success_callback=[WorkflowNotifier(workflow="{dag_id}", event="success", targets=[mail("{name}")])],
            on_failure_callback=[WorkflowNotifier(workflow="{dag_id}", event="run_failure", targets=[slack("{name}")])],
            doc_md=\"\"\"__DOC__\"\"\",
            **deadline("{dag_id}"),
        ):
            orders = HevoRunParamsOperator(
                task_id="orders", pipeline_id={p1}, region="eu", poll_interval=timedelta(seconds=15),
                resync="{{{{ params.resync }}}}", pool="hevo_pipeline_{p1}", pool_slots=1,
                outlets=[Asset("hevo://eu/pipelines/{p1}")],
            )
            customers = HevoRunParamsOperator(
                task_id="customers", pipeline_id={p2}, region="eu", poll_interval=timedelta(seconds=15),
                resync="{{{{ params.resync }}}}", priority_weight=5,
                outlets=[Asset("hevo://eu/pipelines/{p2}")],
            )
            dbt_build = BashOperator(
                task_id="dbt_build", pool="dbt", append_env=True,
                bash_command="dbt build --select tag:{dag_id} --vars '{{\\"days\\": \\"{{{{ params.days }}}}\\"}}' "
                "--target prod {{{{ '--full-refresh' if params.dbt_full_refresh else '' }}}}",
            )
            notify = BashOperator(task_id="notify", bash_command='echo "{dag_id} done"', append_env=True)
            [orders, customers] >> dbt_build >> notify

        """)
    return code.replace("__DOC__", doc)  # after dedent: the doc's own lines start at column 0
