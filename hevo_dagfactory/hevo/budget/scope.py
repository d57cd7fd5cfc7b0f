"""Which clients share one rate budget: the Hevo host, and within it the whole host, one API key or one user.

Hevo counts requests per **user** (100 per rolling minute, raisable by Support), and keys made by one
user share that count. Nothing in the API tells which user a key belongs to, so by default every key
on a host shares one budget: too polite when the keys belong to different users, never too eager.
A connection can split it: ``key`` (each key its own budget, for keys of different users) or
``user:<name>`` (keys whose connections name the same user share one budget).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from urllib.parse import urlsplit

_DEFAULT_PORTS = {"https": 443, "http": 80}

SCOPES_HELP = "'host' (the default: every key on the host shares one budget), 'key' or 'user:<name>'"


@dataclass(frozen=True)
class BudgetScope:
    """``kind`` is ``host``, ``key`` or ``user``; ``label`` names the user for ``user``."""

    kind: str = "host"
    label: str = ""

    def identity(self, api_key: str) -> str:
        """What tells budgets on one host apart (the API key itself for ``key``: never leaves the process)."""
        if self.kind == "key":
            return f"key:{api_key}"
        if self.kind == "user":
            return f"user:{self.label}"
        return "host"

    def __str__(self) -> str:
        return f"user:{self.label}" if self.kind == "user" else self.kind


HOST_SCOPE = BudgetScope()


def parse_scope(value: object) -> BudgetScope:
    """``None``/``""``/``host`` → one budget per host; ``key``; ``user:<name>``. Anything else: ValueError."""
    if value is None or isinstance(value, BudgetScope):
        return value or HOST_SCOPE
    text = str(value).strip()
    if text.lower() in ("", "host"):
        return HOST_SCOPE
    if text.lower() == "key":
        return BudgetScope("key")
    kind, sep, label = text.partition(":")
    if sep and kind.strip().lower() == "user" and label.strip():
        return BudgetScope("user", label.strip())
    raise ValueError(f"rate limit scope must be {SCOPES_HELP}; got {text!r}")


def budget_key(host: str) -> str:
    """``host``, ``host:port`` or a URL → ``hostname:port`` with the scheme's default port filled in.

    ``eu.hevodata.com``, ``eu.hevodata.com:443`` and ``https://EU.hevodata.com`` are one budget;
    a bare host means https (Hevo serves nothing else).
    """
    raw = str(host).strip()
    scheme = "https"
    if "://" in raw:
        scheme = raw.split("://", 1)[0].lower() or "https"
    else:
        raw = "//" + raw
    parts = urlsplit(raw)
    name = (parts.hostname or "").rstrip(".").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is None:
        port = _DEFAULT_PORTS.get(scheme, 443)
    if ":" in name:  # IPv6 literal
        name = f"[{name}]"
    return f"{name}:{port}"


def store_prefix(host: str, scope: BudgetScope, api_key: str) -> str:
    """The shared store's key prefix for one budget: a digest, since the identity may hold an API key.

    The braces are a Redis Cluster hash tag, so every key of one budget lives on one node.
    """
    digest = hashlib.sha256(f"{budget_key(host)}|{scope.identity(api_key)}".encode()).hexdigest()[:32]
    return f"hevo-dagfactory:budget:{{{digest}}}"
