"""The sections of a workflow file, one module per concept, each turning its keys into model fields.

``spec.build`` runs them in order (see ``build.SECTIONS``); each is a function
``section(state: BuildState) -> dict`` of ``Workflow`` fields (``{}`` for a check that adds none),
reporting problems through ``state.error``. Adding a top-level key means one section (or one line
in ``header.py`` for a key without checks), a ``Workflow`` field and the schema property.
"""
