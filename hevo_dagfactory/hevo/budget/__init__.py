"""Hevo's rate limit as a budget: per process (:mod:`.local`), per user or host (:mod:`.scope`), shared by
every process through Redis when one is configured (:mod:`.shared`, :mod:`.store`), one per scope in each
process (:mod:`.registry`). Clients use ``acquire``/``release`` (or their async twins) of what
:func:`budget_for` returns.
"""

from __future__ import annotations

from .local import DEFAULT_RATE_PER_MINUTE, DEFAULT_WINDOW_S, RateBudget, Slot
from .registry import STORE_ENV, Budget, budget_for, reset_budgets, store_url
from .scope import BudgetScope, budget_key, parse_scope
from .shared import SharedBudget

__all__ = [
    "DEFAULT_RATE_PER_MINUTE",
    "DEFAULT_WINDOW_S",
    "STORE_ENV",
    "Budget",
    "BudgetScope",
    "RateBudget",
    "SharedBudget",
    "Slot",
    "budget_for",
    "budget_key",
    "parse_scope",
    "reset_budgets",
    "store_url",
]
