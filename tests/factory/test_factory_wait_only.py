"""``action: wait`` syncs become ``HevoPipelineOperator(action="WAIT")`` tasks that emit their Asset."""

from __future__ import annotations

from tests.factory.helpers import write

WAITS = """\
dag_id: hevo_scheduled
schedule: "15 * * * *"
start_date: 2026-01-01
hevo: {region: eu}
syncs:
  - {id: crm, pipeline_id: 11, action: wait, timeout: 2h}
  - {id: erp, pipeline_id: 12, action: wait, wait: poll, completed_after: "{{ data_interval_start }}"}
steps:
  - {id: report, bash: "echo landed"}
"""


def test_wait_syncs_map_onto_the_wait_only_operator_and_emit_their_assets(tmp_path):
    from hevo_dagfactory import load_workflows

    write(tmp_path, "hevo_scheduled.yaml", WAITS)
    dag = load_workflows(tmp_path, {"__file__": str(tmp_path / "l.py")})["hevo_scheduled"]
    assert "config-error" not in dag.tags, dag.description
    crm, erp = dag.get_task("crm"), dag.get_task("erp")
    assert (crm.action, crm.completed_after, crm.deferrable, crm.timeout) == ("WAIT", None, True, 7200)
    assert (erp.action, erp.completed_after, erp.deferrable) == ("WAIT", "{{ data_interval_start }}", False)
    # the pipeline's Asset, and the alias through which the tables the job loaded are emitted (as a sync)
    outlets = [[getattr(o, "uri", None) or f"alias:{o.name}" for o in t.outlets] for t in (crm, erp)]
    assert outlets == [[f"hevo://eu/pipelines/{p}", f"alias:hevo://eu/pipelines/{p}/tables"] for p in (11, 12)]
    assert dag.get_task("report").upstream_task_ids == {"crm", "erp"}
    assert "| `crm` | 11 | wait (a job completing after the data interval end) | deferrable |" in dag.doc_md
