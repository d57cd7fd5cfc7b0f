"""Which Airflow line this is: the ONLY version check in the package, and the flags derived from it."""

from __future__ import annotations

from airflow import __version__ as _AIRFLOW_VERSION

AIRFLOW_VERSION: str = _AIRFLOW_VERSION
"""The installed Airflow version string, e.g. ``"2.11.2"`` or ``"3.3.2"``."""


def _version_tuple(text: str) -> tuple[int, int]:
    parts = []
    for piece in text.split(".")[:2]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits or 0))
    return (parts + [0, 0])[0], (parts + [0, 0])[1]


AIRFLOW_MAJOR_MINOR: tuple[int, int] = _version_tuple(_AIRFLOW_VERSION)
AIRFLOW_3: bool = AIRFLOW_MAJOR_MINOR >= (3, 0)
"""True on Airflow 3.x (Task SDK, Assets, api-server + dag-processor); False on 2.10/2.11."""
TRIGGER_ON_KILL: bool = AIRFLOW_MAJOR_MINOR >= (3, 3)
"""Airflow >= 3.3 calls ``async on_kill`` of a trigger whose deferred task a user killed."""
ASSET_WORD: str = "Asset" if AIRFLOW_3 else "Dataset"
"""What this Airflow line calls a data-aware scheduling object (for messages and docs)."""
