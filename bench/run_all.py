"""`make bench`: run every benchmark in bench/ one after another and print their figures.

Each benchmark prints its own side-by-side table (ratios measured in the same run, since these machines
are noisy). Run one alone with `.venv/bin/python bench/<name>.py`.

``--af2-python .venv-af2/bin/python`` (what ``make bench`` passes) also runs the parse benchmark on
Airflow 2.11, without dag-factory and the Git-bundle figures (Airflow 3 only) and with 3 runs per figure,
so both lines' parse figures are printed.
Every other argument goes to each benchmark.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = ["bench_validate.py", "bench_client.py", "bench_budget.py", "bench_parse.py"]


def _split_args(argv: list[str]) -> tuple[str | None, list[str]]:
    """(the --af2-python value, the arguments for the benchmarks)."""
    af2, rest, i = None, [], 0
    while i < len(argv):
        if argv[i] == "--af2-python" and i + 1 < len(argv):
            af2, i = argv[i + 1], i + 2
        elif argv[i].startswith("--af2-python="):
            af2, i = argv[i].split("=", 1)[1], i + 1
        else:
            rest, i = rest + [argv[i]], i + 1
    return af2, rest


def main() -> int:
    failed = []
    af2_python, passthrough = _split_args(sys.argv[1:])
    runs = [(name, [], name) for name in BENCHES]
    if af2_python:
        runs.append(
            (
                "bench_parse.py",
                ["--python", af2_python, "--skip-dagfactory", "--skip-bundle", "--repeat", "3"],
                "bench_parse.py on Airflow 2.11",
            )
        )
    for name, extra, label in runs:
        path = HERE / name
        if not path.exists():
            print(f"== {label}: missing, skipped")
            continue
        print(f"\n== {label}", flush=True)
        started = time.monotonic()
        code = subprocess.call([sys.executable, str(path), *passthrough, *extra])
        print(f"== {label}: exit {code} after {time.monotonic() - started:.1f} s", flush=True)
        if code:
            failed.append(label)
    if failed:
        print(f"\nbenchmarks that failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
