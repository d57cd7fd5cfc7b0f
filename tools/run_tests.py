"""`make test`'s runner: test suites in parallel lanes, each suite's output shown whole when it ends.

The e2e suite spends most of its time waiting for real Airflow stacks, so it runs in a lane of its own while
the other lane runs the unit and integration suites (with pytest-xdist workers) one after the other. A suite's
output goes to ``.test-logs/<name>.log`` and is printed in one piece when the suite ends, so two suites never
interleave their lines. Every suite runs to its end whatever the others do; the exit code is 1 if any failed.

Usage (the Makefile writes the suites):
    python tools/run_tests.py --lane 'NAME=COMMAND' --lane 'NAME=COMMAND;;NAME=COMMAND' ...
A lane is one or more suites (``;;`` between them) run in order; lanes run at the same time.
"""

from __future__ import annotations

import argparse
import queue
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

LOG_DIR = Path(".test-logs")
#: How often a line says which suites are still running (CI shows nothing else meanwhile).
HEARTBEAT_S = 60
#: Set once the run is interrupted: lanes start no further suite.
STOP = threading.Event()
NO_TESTS = 5  # pytest's exit code when it collected no test
COUNTS = re.compile(r"(\d+) (passed|failed|errors?|skipped|deselected|xfailed|xpassed)\b")


@dataclass
class Suite:
    name: str
    command: list[str]
    started: bool = False
    process: subprocess.Popen[bytes] | None = None
    returncode: int | None = None
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def log(self) -> Path:
        return LOG_DIR / f"{self.name}.log"


def parse_lane(text: str) -> list[Suite]:
    suites = []
    for part in text.split(";;"):
        name, sep, command = part.partition("=")
        if not sep or not name.strip() or not command.strip():
            raise SystemExit(f"run_tests: a suite is NAME=COMMAND, not {part!r}")
        suites.append(Suite(name.strip(), shlex.split(command)))
    return suites


def summary_counts(output: str) -> dict[str, int]:
    """The counts of pytest's closing line (``12 passed, 1 failed, 3 skipped in 9.1s``)."""
    lines = [line for line in output.splitlines() if re.search(r"\b(passed|failed|errors?|no tests ran)\b", line)]
    counts: dict[str, int] = {}
    for number, word in COUNTS.findall(lines[-1] if lines else ""):
        key = "errors" if word.startswith("error") else word
        counts[key] = counts.get(key, 0) + int(number)
    return counts


def run_lane(suites: list[Suite], done: queue.Queue[Suite]) -> None:
    for suite in suites:
        if STOP.is_set():
            return
        start, suite.started = time.monotonic(), True
        with suite.log.open("w") as out:
            suite.process = subprocess.Popen(suite.command, stdout=out, stderr=subprocess.STDOUT)
            suite.returncode = suite.process.wait()
        suite.seconds = time.monotonic() - start
        suite.counts = summary_counts(suite.log.read_text(errors="replace"))
        done.put(suite)


def report(suites: list[Suite], seconds: float) -> int:
    print("==> make test: summary", flush=True)
    total: dict[str, int] = {}
    for suite in suites:
        state = "ok" if suite.returncode == 0 else f"FAILED (exit {suite.returncode})"
        counts = ", ".join(f"{n} {w}" for w, n in suite.counts.items()) or "no pytest summary"
        print(f"    {suite.name:<20} {state:<18} {suite.seconds:6.0f} s  {counts}")
        for word, number in suite.counts.items():
            total[word] = total.get(word, 0) + number
    # pytest's exit code 5 means "no tests collected" (PYTEST_ARGS can select nothing in one suite): not a
    # failure of that suite, unless no suite ran anything.
    ran = any(s.returncode != NO_TESTS for s in suites)
    failed = [s for s in suites if s.returncode not in ((0, NO_TESTS) if ran else (0,))]
    print(f"    wall time {seconds:.0f} s; logs in {LOG_DIR}/")
    # One plain closing line over every suite, as pytest would print it for one run.
    print(
        f"total: {total.get('passed', 0)} passed, {total.get('failed', 0) + total.get('errors', 0)} failed, "
        f"{total.get('skipped', 0)} skipped"
    )
    if failed:
        print(f"make test: FAILED: {', '.join(s.name for s in failed)} (output above)", file=sys.stderr)
    return 1 if failed else 0


def stop_on_sigterm(suites: list[Suite]) -> None:
    """On SIGTERM (a CI timeout, a kill), pass an interrupt on to the running suites, so that pytest tears its
    fixtures down and stops the Airflow stacks they started, instead of leaving them behind."""

    def forward(signum: int, frame: object) -> None:
        STOP.set()
        for suite in suites:
            if suite.process is not None and suite.process.poll() is None:
                suite.process.send_signal(signal.SIGINT)
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, forward)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lane", action="append", required=True, help="NAME=COMMAND[;;NAME=COMMAND...]")
    args = parser.parse_args(argv)
    lanes = [parse_lane(text) for text in args.lane]
    suites = [suite for lane in lanes for suite in lane]
    LOG_DIR.mkdir(exist_ok=True)
    stop_on_sigterm(suites)
    start = time.monotonic()
    done: queue.Queue[Suite] = queue.Queue()
    threads = [threading.Thread(target=run_lane, args=(lane, done), daemon=True) for lane in lanes]
    for lane, thread in zip(lanes, threads):
        print(f"==> lane: {' then '.join(s.name for s in lane)}", flush=True)
        thread.start()
    finished = 0
    while finished < len(suites):
        try:
            suite = done.get(timeout=HEARTBEAT_S)
        except KeyboardInterrupt:  # Ctrl-C reached the suites too (or SIGTERM passed it on): let them clean up
            STOP.set()
            print("\nmake test: interrupted; waiting for the suites to clean up", file=sys.stderr)
            for thread in threads:
                thread.join(timeout=120)
            return 130
        except queue.Empty:
            running = [s.name for s in suites if s.started and s.returncode is None]
            print(f"... {time.monotonic() - start:.0f} s, still running: {', '.join(running)}", flush=True)
            continue
        finished += 1
        print(f"==> {suite.name}: {shlex.join(suite.command)}", flush=True)
        sys.stdout.write(suite.log.read_text(errors="replace"))
        sys.stdout.flush()
    return report(suites, time.monotonic() - start)


if __name__ == "__main__":
    sys.exit(main())
