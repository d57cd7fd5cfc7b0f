"""The shared store of rate budgets: one Redis server that every process of a deployment talks to.

Each call is one Lua script (``store.lua``) run atomically on the server, on the server's clock, so
the processes' clocks never matter and no two processes can take the same token. Every call is
bounded (``timeout_s``, no client-side retries): a slow or absent store must turn into
:class:`StoreUnavailable` quickly, so the budget can fall back to its share instead of hanging.

The ``redis`` package is an optional extra (``pip install 'hevo-dagfactory[redis]'``), imported only
when a store is configured. The sync client serves threads (workers); the async one, made per event
loop (redis' asyncio connections belong to the loop that made them), serves the triggerer's loop.
"""

from __future__ import annotations

import asyncio
import importlib.resources
import threading
import weakref
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

#: How long one call to the store may take before the budget stops waiting for it.
STORE_TIMEOUT_S = 0.5
STORE_SCHEMES = ("redis", "rediss", "unix")
_KEYS = ("inflight", "answered", "pause", "seen", "grants", "epoch")


class StoreUnavailable(Exception):
    """The store did not answer in time, refused the connection, or failed the script."""


@dataclass(frozen=True)
class StoreReply:
    """One answer of the store. ``wait_s``: when not admitted, how long until a token frees (or a pause ends)."""

    admitted: bool
    wait_s: float
    share: int
    epoch: str
    participants: int


def describe(url: str) -> str:
    """The store's URL without user or password, for messages."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def _lua() -> str:
    return importlib.resources.files(__package__).joinpath("store.lua").read_text(encoding="utf-8")


def _import_redis(url: str) -> Any:
    try:
        import redis
        import redis.asyncio  # the async client, for the triggerer
    except ImportError:
        raise ValueError(
            f"A shared rate-budget store is configured ({describe(url)}), but the Python package 'redis' is "
            "not installed. Install it on every Airflow component: pip install 'hevo-dagfactory[redis]'."
        ) from None
    return redis


class RedisStore:
    """Bounded calls of the budget script on one Redis server (thread-safe; one async client per loop)."""

    def __init__(self, url: str, *, timeout_s: float = STORE_TIMEOUT_S) -> None:
        scheme = urlsplit(url).scheme.lower()
        if scheme not in STORE_SCHEMES:
            raise ValueError(
                f"The rate-budget store must be a Redis URL (redis://host:6379/0, rediss://..., unix://...); "
                f"got {describe(url)!r}."
            )
        self._redis = _import_redis(url)
        self.url = url
        self.where = describe(url)
        self.timeout_s = float(timeout_s)
        self._lock = threading.Lock()
        self._lua = _lua()
        self._sync: Any = None
        self._by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = weakref.WeakKeyDictionary()

    def __repr__(self) -> str:
        return f"RedisStore({self.where!r})"

    def _options(self) -> dict[str, Any]:
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        return {
            "socket_timeout": self.timeout_s,
            "socket_connect_timeout": self.timeout_s,
            "retry": Retry(NoBackoff(), 0),  # the budget decides what a failure means, at once
            "decode_responses": True,
        }

    def _sync_script(self) -> Any:
        with self._lock:
            if self._sync is None:
                client = self._redis.Redis.from_url(self.url, **self._options())
                self._sync = client.register_script(self._lua)
            return self._sync

    def _async_script(self) -> Any:
        loop = asyncio.get_running_loop()
        with self._lock:
            script = self._by_loop.get(loop)
            if script is None:
                client = self._redis.asyncio.Redis.from_url(self.url, **self._options())
                script = self._by_loop[loop] = client.register_script(self._lua)
            return script

    @staticmethod
    def keys(prefix: str) -> list[str]:
        return [f"{prefix}:{name}" for name in _KEYS]

    def call(self, keys: list[str], args: list[Any]) -> StoreReply:
        """Run the script (blocking, bounded by ``timeout_s``)."""
        try:
            return _reply(self._sync_script()(keys=keys, args=args))
        except StoreUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001 - any failure of the store is the same to the budget
            raise StoreUnavailable(f"{type(exc).__name__}: {str(exc)[:200]}") from None

    async def acall(self, keys: list[str], args: list[Any]) -> StoreReply:
        """Run the script without blocking the event loop (bounded by ``timeout_s``)."""
        try:
            raw = await asyncio.wait_for(self._async_script()(keys=keys, args=args), self.timeout_s)
            return _reply(raw)
        except StoreUnavailable:
            raise
        except asyncio.TimeoutError:
            raise StoreUnavailable(f"no answer within {self.timeout_s:g} s") from None
        except Exception as exc:  # noqa: BLE001 - any failure of the store is the same to the budget
            raise StoreUnavailable(f"{type(exc).__name__}: {str(exc)[:200]}") from None

    def forget_connections(self) -> None:
        """After a fork: the child opens its own connections (redis checks the pid too) under a fresh lock."""
        self._lock = threading.Lock()
        self._sync = None
        self._by_loop = weakref.WeakKeyDictionary()


def _reply(raw: Any) -> StoreReply:
    try:
        admitted, wait_ms, share, epoch, participants = raw
        return StoreReply(bool(int(admitted)), int(wait_ms) / 1000.0, int(share), str(epoch), int(participants))
    except (TypeError, ValueError) as exc:
        raise StoreUnavailable(f"unexpected answer from the budget script: {raw!r} ({exc})") from None
