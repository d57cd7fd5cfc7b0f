"""``hevo-dagfactory validate --online``: ask Hevo about every pipeline the workflow files name.

A layer above ``spec`` and ``hevo`` (the spec layer never talks to Hevo, the client knows nothing of
workflow files); the CLI reaches it lazily, only when ``--online`` is given, so a plain ``validate``
imports neither requests nor this package. Modules: ``credentials`` (which Hevo credentials a
workflow's connection means, read from ``AIRFLOW_CONN_<ID>`` or ``HEVO_API_*`` without Airflow),
``check`` (one GET per distinct pipeline, judged like the operator's pre-flight) and ``command``
(the CLI glue). Never imports Airflow.
"""
