"""Airflow provider glue for Hevo: hook, operator, trigger, sensor, extra link.

``get_provider_info()`` is what Airflow's ProvidersManager reads through the
``apache_airflow_provider`` entry point; it must stay cheap (no Airflow imports), because
every Airflow process calls it at start-up. The public classes are resolved lazily so
that ``import hevo_dagfactory.provider`` alone does not pull in the Task SDK.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hevo_dagfactory._lazy import lazy_exports

if TYPE_CHECKING:  # for type checkers and IDEs only; at runtime see __getattr__
    from hevo_dagfactory.provider.hooks.hevo import HevoHook
    from hevo_dagfactory.provider.links.job import HevoJobLink
    from hevo_dagfactory.provider.operators.pipeline import HevoPipelineOperator
    from hevo_dagfactory.provider.sensors.job import HevoJobSensor
    from hevo_dagfactory.provider.triggers.job import HevoJobTrigger

__all__ = [
    "HevoHook",
    "HevoJobLink",
    "HevoJobSensor",
    "HevoJobTrigger",
    "HevoPipelineOperator",
    "get_provider_info",
]

#: public name → the module that defines it
_LAZY: dict[str, str] = {
    "HevoHook": "hooks.hevo",
    "HevoPipelineOperator": "operators.pipeline",
    "HevoJobTrigger": "triggers.job",
    "HevoJobSensor": "sensors.job",
    "HevoJobLink": "links.job",
}

HOOK_CLASS = "hevo_dagfactory.provider.hooks.hevo.HevoHook"
LINK_CLASS = "hevo_dagfactory.provider.links.job.HevoJobLink"


def get_provider_info() -> dict[str, Any]:
    """Describe this provider to Airflow (connection type ``hevo``, its form, the extra link).

    The form metadata (``conn-fields`` / ``ui-field-behaviour``) lives here rather than in hook
    methods because Airflow >= 3.2 reads it without importing the hook and deprecates the
    ``get_ui_field_behaviour()`` hook methods.
    """
    from hevo_dagfactory import __version__

    return {
        "package-name": "hevo-dagfactory",
        "name": "Hevo Data (hevo-dagfactory)",
        "description": "Deferrable operator, trigger, sensor and hook for Hevo Edge pipelines.",
        "versions": [__version__],
        "connection-types": [
            {
                "connection-type": "hevo",
                "hook-class-name": HOOK_CLASS,
                "hook-name": "Hevo Data",
                "ui-field-behaviour": {
                    "hidden-fields": ["schema"],
                    "relabeling": {"login": "API Key", "password": "API Secret", "host": "Host (optional)"},
                    "placeholders": {
                        "login": "Hevo API key (Account > API Keys)",
                        "password": "Hevo API secret",
                        "host": "leave empty to use the region; e.g. eu.hevodata.com",
                    },
                },
                "conn-fields": {
                    "region": {
                        "label": "Region",
                        "description": "Hevo region of your account: asia, au, eu, in, us or us2.",
                        "schema": {"type": "string"},
                    },
                },
            }
        ],
        "extra-links": [LINK_CLASS],
        "hooks": [{"integration-name": "Hevo Data", "python-modules": ["hevo_dagfactory.provider.hooks.hevo"]}],
        "operators": [
            {
                "integration-name": "Hevo Data",
                "python-modules": ["hevo_dagfactory.provider.operators.pipeline"],
            }
        ],
        "sensors": [{"integration-name": "Hevo Data", "python-modules": ["hevo_dagfactory.provider.sensors.job"]}],
        "triggers": [{"integration-name": "Hevo Data", "python-modules": ["hevo_dagfactory.provider.triggers.job"]}],
    }


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, (), __all__)
