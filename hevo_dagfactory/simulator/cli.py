"""``hevo-dagfactory simulator``: run the local Hevo API until SIGTERM/SIGINT (127.0.0.1 only)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

from .script import PipelineScript
from .server import Simulator


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0 = pick a free one; default 0)")
    parser.add_argument(
        "--pipelines",
        type=Path,
        default=None,
        help="JSON or YAML file: {pipeline_id: {PipelineScript fields}} (default: pipeline 1 with defaults)",
    )
    parser.add_argument("--api-key", default="test-key", help="accepted API key (default test-key)")
    parser.add_argument(
        "--api-secret",
        default=None,
        help="accepted API secret (default: $HEVO_SIM_API_SECRET, else test-secret; the variable "
        "keeps it out of the process list)",
    )
    parser.add_argument(
        "--rate-per-minute", type=int, default=100, help="requests per window per Hevo user (default 100)"
    )
    parser.add_argument(
        "--rate-window",
        type=float,
        default=60.0,
        help="length of the rate window in seconds (default 60; benchmarks scale it down)",
    )
    parser.add_argument(
        "--key",
        action="append",
        default=[],
        metavar="KEY[:USER]",
        help="accept another API key (same secret), of Hevo user USER (default: the first key's user, "
        "'default'); keys of one user share its rate limit. Repeatable",
    )
    parser.add_argument(
        "--user-limit",
        action="append",
        default=[],
        metavar="USER=N",
        help="requests per window for one user (a limit Hevo support raised). Repeatable",
    )
    parser.add_argument(
        "--rate-limit-status",
        type=int,
        default=429,
        help="status of the 'Request rate limit exceeded' answer (default 429; Hevo does not document it)",
    )
    parser.add_argument(
        "--no-retry-after", action="store_true", help="answer rate-limit refusals without a Retry-After header"
    )


def load_pipelines(path: Path) -> dict[str, PipelineScript]:
    """Read a pipelines file; raises ValueError with the file name and the problem."""
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            import yaml

            data: Any = yaml.safe_load(text)
        else:
            data = json.loads(text)
    except Exception as exc:  # noqa: BLE001 - any parse error becomes one clear message
        raise ValueError(f"{path}: cannot parse ({exc})") from None
    if isinstance(data, dict) and isinstance(data.get("pipelines"), (dict, list)):
        data = data["pipelines"]
    if isinstance(data, list):
        data = {str(item.pop("pipeline_id")): item for item in data if isinstance(item, dict) and "pipeline_id" in item}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping of pipeline id to script fields")
    out = {}
    for pid, fields in data.items():
        try:
            out[str(pid)] = PipelineScript.from_dict(fields or {})
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{path}: pipeline {pid}: {exc}") from None
    return out


def make_simulator(args: argparse.Namespace) -> Simulator:
    """The simulator the arguments describe; ValueError names the argument that is wrong."""
    secret = args.api_secret or os.environ.get("HEVO_SIM_API_SECRET") or "test-secret"
    sim = Simulator(
        args.api_key,
        secret,
        args.rate_per_minute,
        rate_window_s=args.rate_window,
        rate_limit_status=args.rate_limit_status,
        retry_after=not args.no_retry_after,
    )
    for spec in args.key:
        key, _, user = spec.partition(":")
        if not key.strip():
            raise ValueError(f"--key {spec!r}: expected KEY or KEY:USER")
        sim.add_key(key.strip(), secret, user.strip() or "default")
    for spec in args.user_limit:
        user, _, limit = spec.partition("=")
        if not user.strip() or not limit.strip().isdigit() or int(limit) < 1:
            raise ValueError(f"--user-limit {spec!r}: expected USER=N with N >= 1")
        sim.set_user_limit(user.strip(), int(limit))
    return sim


def run(args: argparse.Namespace) -> int:
    try:
        sim = make_simulator(args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.pipelines is not None:
        try:
            scripts = load_pipelines(args.pipelines)
        except (OSError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    else:
        scripts = {"1": PipelineScript()}
    for pid, script in scripts.items():
        sim.add_pipeline(pid, script)
    try:
        return asyncio.run(_serve(sim, args.port))
    except OSError as exc:
        print(f"error: cannot listen on 127.0.0.1:{args.port}: {exc}. Pick another --port or 0.", file=sys.stderr)
        return 1


async def _serve(sim: Simulator, port: int) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    url = await sim.start(port)
    print(f"simulator listening on {url}", flush=True)
    try:
        await stop.wait()
    finally:
        await sim.stop()
    print("simulator stopped", flush=True)
    return 0
