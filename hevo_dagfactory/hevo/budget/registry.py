"""The process-wide registry: one budget per (host, scope), shared by every sync and async client.

Tasks, triggers and sensors of one Airflow process build their own clients, so the budget cannot live
in a client. Without a store each process has its own :class:`~.local.RateBudget`; with
``HEVO_DAGFACTORY_RATE_STORE`` set (a Redis URL, the same on every Airflow component) the budget is a
:class:`~.shared.SharedBudget` that every process using the same Hevo user shares through Redis.
"""

from __future__ import annotations

import logging
import os
import threading

from .local import DEFAULT_RATE_PER_MINUTE, DEFAULT_WINDOW_S, RateBudget
from .scope import BudgetScope, budget_key, parse_scope, store_prefix
from .shared import SharedBudget
from .store import RedisStore

log = logging.getLogger(__name__)

#: The one setting that turns the shared budget on: a Redis URL, the same in every Airflow component.
STORE_ENV = "HEVO_DAGFACTORY_RATE_STORE"

Budget = RateBudget | SharedBudget

_registry: dict[tuple[str, str, str], Budget] = {}
_stores: dict[str, RedisStore] = {}
_registry_lock = threading.Lock()


def store_url(store: str | None = None) -> str:
    """The store to use: ``store`` if given (``""``: none), else ``$HEVO_DAGFACTORY_RATE_STORE``."""
    value = os.environ.get(STORE_ENV, "") if store is None else store
    return value.strip()


def _store(url: str) -> RedisStore:
    found = _stores.get(url)
    if found is None:
        found = _stores[url] = RedisStore(url)
    return found


def budget_for(
    host: str,
    api_key: str,
    rate_per_minute: int = DEFAULT_RATE_PER_MINUTE,
    window_s: float = DEFAULT_WINDOW_S,
    *,
    scope: BudgetScope | str | None = None,
    store: str | None = None,
    lease_s: float = 30.0,
) -> Budget:
    """The one process-wide budget of ``host`` within ``scope`` (default: the whole host); created on first use.

    If clients of one budget ask for different settings, it keeps the lowest limit and the longest
    window: that pair honours every request made of it (being too polite is harmless, being too eager
    earns 429s for everyone). ``lease_s`` (a client's request timeout) bounds how long the shared store
    counts a request whose answer never came (its process died). Raises ValueError for a bad scope or
    store URL, or a store without the ``redis`` package.
    """
    parsed = parse_scope(scope)
    url = store_url(store)
    key = (budget_key(host), parsed.identity(api_key), url)
    with _registry_lock:
        budget = _registry.get(key)
        if budget is None:
            if url:
                prefix = store_prefix(host, parsed, api_key)
                budget = _registry[key] = SharedBudget(prefix, _store(url), rate_per_minute, window_s, lease_s=lease_s)
            else:
                budget = _registry[key] = RateBudget(rate_per_minute, window_s)
            return budget
        _reconcile(budget, key[0], rate_per_minute, window_s, lease_s)
        return budget


def _reconcile(budget: Budget, where: str, rate_per_minute: int, window_s: float, lease_s: float) -> None:
    if rate_per_minute < budget.limit:
        budget.set_limit(rate_per_minute)
    if float(window_s) > budget.window_s:
        log.warning(
            "Clients of one Hevo rate budget on %s asked for rate windows of %g s and %g s; the budget uses the longer.",
            where,
            budget.window_s,
            float(window_s),
        )
        budget.set_window(window_s)
    if isinstance(budget, SharedBudget):
        budget.lease_s = max(budget.lease_s, float(lease_s))


def reset_budgets() -> None:
    """Forget every budget (tests that start many simulators on fresh ports use distinct hosts anyway)."""
    with _registry_lock:
        _registry.clear()


def _after_fork_in_child() -> None:
    """A forked child is another process: its budgets start empty (the parent's requests in flight are the
    parent's), with fresh locks (one may have been held while forking), and for a shared budget its own
    participant id and store connections."""
    global _registry_lock
    _registry_lock = threading.Lock()
    for budget in _registry.values():
        budget.after_fork()
    for store in _stores.values():
        store.forget_connections()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
