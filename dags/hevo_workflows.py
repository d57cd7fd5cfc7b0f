"""Airflow DAG loader for hevo-dagfactory: every workflow YAML file becomes a DAG.

This project's copy loads the example workflows in ../configs (relative to this file). In your
own dags folder, ``from hevo_dagfactory import load_workflows`` and ``load_workflows()`` read the
YAML files beside the file (or the folder named by HEVO_DAGFACTORY_CONFIG_DIR), and the file's
text must also mention "airflow" (as this docstring does): Airflow's safe mode skips a .py file
without the words "airflow" and "dag" in it. See docs/loader.md.
"""

from hevo_dagfactory import load_workflows

load_workflows("../configs", globals())
