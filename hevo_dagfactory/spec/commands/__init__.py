"""CLI commands owned by the spec layer (``validate``, ``schema``, ``show``, ``new``).

Each module exposes ``add_arguments(parser)`` and ``run(args) -> int`` for
``hevo_dagfactory.cli``; none imports Airflow.
"""
