"""Lineage of Hevo syncs: OpenLineage datasets and facets, and the loaded tables as Airflow Assets.

- ``active``: is Airflow's OpenLineage provider installed and on (asked at run time, never at parse time);
- ``naming``: OpenLineage dataset names and Asset URIs for the systems Hevo reads and loads;
- ``collect``: what a finished job read and loaded, gathered on the worker when a wait ends;
- ``tables``: the loaded tables as Asset events, through the task's Asset aliases;
- ``hooks``: the operator's and sensor's side (gathering, and the three ``get_openlineage_facets_on_*``);
- ``facets``: the OpenLineage objects (imported only by those hooks, so only with the provider installed).

docs/lineage.md describes the events and the naming.
"""
