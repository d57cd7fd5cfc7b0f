"""One process of the shared-budget tests (tests/hevo/test_budget_shared.py): many clients, one budget.

Run as ``python budget_worker.py '<json spec>'``; prints ``ready``, reads the go line from stdin (so every
process of a test starts together, however slowly each one started up), then makes ``requests``
GETs with ``concurrency`` clients at once: async clients in one event loop (as a triggerer) or sync
clients in threads (as a worker). The budget is whatever ``HEVO_DAGFACTORY_RATE_STORE`` says.
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
import time

from hevo_dagfactory.hevo import AsyncEdgeClient, EdgeClient, RetryPolicy


def client_kwargs(spec: dict) -> dict:
    return dict(
        base_url=spec["url"],
        api_key=spec["key"],
        api_secret=spec["secret"],
        rate_per_minute=spec["limit"],
        rate_window_s=spec["window"],
        rate_scope=spec.get("scope"),
        timeout=5.0,
        retry=RetryPolicy(max_attempts=8, initial_delay=0.05, max_delay=0.5, max_retry_after=2.0),
    )


def run_async(spec: dict, out: dict) -> None:
    async def one(share: int) -> None:
        async with AsyncEdgeClient(**client_kwargs(spec)) as client:
            out["budget"] = client.budget
            for _ in range(share):
                try:
                    await client.get_pipeline(spec["pipeline"])
                    out["ok"] += 1
                except Exception as exc:  # noqa: BLE001 - reported to the test
                    out["errors"].append(f"{type(exc).__name__}: {exc}"[:300])

    async def main() -> None:
        await asyncio.gather(*(one(n) for n in shares(spec)))

    asyncio.run(main())


def run_sync(spec: dict, out: dict) -> None:
    lock = threading.Lock()

    def one(share: int) -> None:
        with EdgeClient(**client_kwargs(spec)) as client:
            out["budget"] = client.budget
            for _ in range(share):
                try:
                    client.get_pipeline(spec["pipeline"])
                    with lock:
                        out["ok"] += 1
                except Exception as exc:  # noqa: BLE001 - reported to the test
                    with lock:
                        out["errors"].append(f"{type(exc).__name__}: {exc}"[:300])

    threads = [threading.Thread(target=one, args=(n,)) for n in shares(spec)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def shares(spec: dict) -> list[int]:
    """``requests`` split over ``concurrency`` clients."""
    n, c = spec["requests"], spec["concurrency"]
    return [n // c + (1 if i < n % c else 0) for i in range(c)]


def main() -> None:
    spec = json.loads(sys.argv[1])
    out: dict = {"ok": 0, "errors": [], "budget": None}
    print("ready", flush=True)
    sys.stdin.readline()
    started = time.monotonic()
    (run_async if spec["mode"] == "async" else run_sync)(spec, out)
    budget = out.pop("budget")
    out["elapsed_s"] = time.monotonic() - started
    out["store_errors"] = getattr(budget, "store_errors", None)
    out["store_admitted"] = getattr(budget, "store_admitted", None)
    out["shared"] = hasattr(budget, "store")
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
