"""Hevo Edge API: regions, errors, job model, one retry policy, a shared rate budget, sync and async clients.

No Airflow imports here (checked by tests/test_layers.py): the provider wraps these for Airflow.
"""

from .aclient import AsyncEdgeClient
from .budget import RateBudget, budget_for, reset_budgets
from .client import EdgeClient
from .errors import (HevoAuthError, HevoBadRequest, HevoError, HevoJobInProgress, HevoJobNotFound, HevoNotFound,
                     HevoPermissionError, HevoRateLimited, HevoServerError, HevoTransportError, is_transient)
from .models import (RESYNC_JOB_TYPES, Job, JobOutcome, JobPage, StartedJob, classify, expected_job_types)
from .regions import REGIONS, base_url
from .retry import RetryPolicy, parse_retry_after
from .start import DiscoveryPolicy

__all__ = [
    "REGIONS", "base_url",
    "HevoError", "HevoBadRequest", "HevoAuthError", "HevoPermissionError", "HevoNotFound", "HevoRateLimited",
    "HevoServerError", "HevoTransportError", "HevoJobInProgress", "HevoJobNotFound", "is_transient",
    "Job", "JobPage", "JobOutcome", "StartedJob", "classify", "expected_job_types", "RESYNC_JOB_TYPES",
    "EdgeClient", "AsyncEdgeClient", "RetryPolicy", "parse_retry_after", "DiscoveryPolicy",
    "RateBudget", "budget_for", "reset_budgets",
]
