"""Airflow DAG loader for hevo-dagfactory: every workflow YAML file becomes a DAG.

This project's copy loads the example workflows in ../configs (relative to this file). In
your own dags folder the one line is ``load_workflows()``: it reads the YAML files beside this
file, or the folder named by HEVO_DAGFACTORY_CONFIG_DIR. See docs/loader.md.
"""

from hevo_dagfactory import load_workflows

load_workflows("../configs", globals())
