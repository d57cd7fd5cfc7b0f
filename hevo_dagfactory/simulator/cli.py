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
    parser.add_argument("--rate-per-minute", type=int, default=100, help="requests per window per key (default 100)")
    parser.add_argument(
        "--rate-window",
        type=float,
        default=60.0,
        help="length of the rate window in seconds (default 60; benchmarks scale it down)",
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


def run(args: argparse.Namespace) -> int:
    secret = args.api_secret or os.environ.get("HEVO_SIM_API_SECRET") or "test-secret"
    sim = Simulator(args.api_key, secret, args.rate_per_minute, rate_window_s=args.rate_window)
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
