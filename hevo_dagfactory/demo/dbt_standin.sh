#!/bin/sh
# dbt STAND-IN used by `hevo-dagfactory demo` and the e2e tests. It is not dbt.
# It stands in for dbt the way the Hevo simulator stands in for Hevo: the demo stack puts it first on the
# PATH of the Airflow processes, so a workflow's dbt step runs end to end without a dbt install or a
# warehouse. It prints the command line it got and the project directory, records the call, and exits 0
# (or $HEVO_DBT_STANDIN_EXIT). Remove it from PATH (or run your own Airflow) to use the real dbt.
project_dir="$(pwd)"
prev=""
for arg in "$@"; do
  if [ "$prev" = "--project-dir" ]; then project_dir="$arg"; fi
  case "$arg" in --project-dir=*) project_dir="${arg#--project-dir=}";; esac
  prev="$arg"
done
echo "dbt stand-in (hevo-dagfactory demo, not real dbt): dbt $*"
echo "dbt stand-in: project dir ${project_dir}"
if [ -n "${HEVO_DBT_STANDIN_LOG:-}" ]; then
  echo "${AIRFLOW_CTX_DAG_ID:-?} ${AIRFLOW_CTX_DAG_RUN_ID:-?} ${AIRFLOW_CTX_TASK_ID:-?} dbt $*" >> "$HEVO_DBT_STANDIN_LOG"
fi
exit "${HEVO_DBT_STANDIN_EXIT:-0}"
