"""Hevo Edge API: regions, errors, job model, one retry policy, a shared rate budget, sync and async clients.

No Airflow imports here (checked by tests/test_layers.py): the provider wraps these for Airflow.

Why the names resolve lazily (PEP 562 ``__getattr__``): the clients pull in ``requests``,
``aiohttp`` and ``tenacity`` (about 100 ms), but the provider's operator module is imported in
every DAG-parse process, where it needs only errors, the job model and region URLs. Each name
is imported from its module on first use, so ``from hevo_dagfactory.hevo import HevoError``
stays cheap and ``from hevo_dagfactory.hevo import EdgeClient`` works exactly as before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hevo_dagfactory._lazy import lazy_exports

if TYPE_CHECKING:  # for type checkers and IDEs only; at runtime see __getattr__
    from .aclient import AsyncEdgeClient
    from .budget import RateBudget, budget_for, reset_budgets
    from .client import EdgeClient
    from .discovery import DiscoveryPolicy
    from .errors import (
        HevoAuthError,
        HevoBadRequest,
        HevoError,
        HevoJobInProgress,
        HevoJobNotFound,
        HevoNotFound,
        HevoPermissionError,
        HevoPipelineNotReady,
        HevoRateLimited,
        HevoServerError,
        HevoTransportError,
        is_transient,
    )
    from .models import RESYNC_JOB_TYPES, Job, JobOutcome, JobPage, StartedJob, classify, expected_job_types
    from .objects import HevoObject, Namespace, ObjectPage
    from .regions import REGIONS, base_url
    from .retry import RetryPolicy, parse_retry_after

#: module → the public names it defines (heavy ones: ``aclient`` aiohttp, ``client`` requests,
#: ``retry`` tenacity).
_MODULES: dict[str, tuple[str, ...]] = {
    "aclient": ("AsyncEdgeClient",),
    "budget": ("RateBudget", "budget_for", "reset_budgets"),
    "client": ("EdgeClient",),
    "errors": (
        "HevoAuthError",
        "HevoBadRequest",
        "HevoError",
        "HevoJobInProgress",
        "HevoJobNotFound",
        "HevoNotFound",
        "HevoPermissionError",
        "HevoPipelineNotReady",
        "HevoRateLimited",
        "HevoServerError",
        "HevoTransportError",
        "is_transient",
    ),
    "models": ("RESYNC_JOB_TYPES", "Job", "JobOutcome", "JobPage", "StartedJob", "classify", "expected_job_types"),
    "objects": ("HevoObject", "Namespace", "ObjectPage"),
    "regions": ("REGIONS", "base_url"),
    "retry": ("RetryPolicy", "parse_retry_after"),
    "discovery": ("DiscoveryPolicy",),
}
_LAZY: dict[str, str] = {name: module for module, names in _MODULES.items() for name in names}

#: Submodules the eager ``__init__`` used to import as a side effect; they stay reachable as
#: attributes of the package without an explicit ``import``.
_SUBMODULES = frozenset(
    {
        "aclient",
        "attach",
        "base",
        "budget",
        "client",
        "connection",
        "discovery",
        "endpoints",
        "errors",
        "flow",
        "joblist",
        "models",
        "objects",
        "preflight",
        "refusal",
        "regions",
        "resync",
        "retry",
        "start",
    }
)

__all__ = [
    "REGIONS",
    "RESYNC_JOB_TYPES",
    "AsyncEdgeClient",
    "DiscoveryPolicy",
    "EdgeClient",
    "HevoAuthError",
    "HevoBadRequest",
    "HevoError",
    "HevoJobInProgress",
    "HevoJobNotFound",
    "HevoNotFound",
    "HevoObject",
    "HevoPermissionError",
    "HevoPipelineNotReady",
    "HevoRateLimited",
    "HevoServerError",
    "HevoTransportError",
    "Job",
    "JobOutcome",
    "JobPage",
    "Namespace",
    "ObjectPage",
    "RateBudget",
    "RetryPolicy",
    "StartedJob",
    "base_url",
    "budget_for",
    "classify",
    "expected_job_types",
    "is_transient",
    "parse_retry_after",
    "reset_budgets",
]


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, _SUBMODULES, __all__)
