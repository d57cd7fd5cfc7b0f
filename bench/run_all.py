"""`make bench`: run every benchmark in bench/ one after another and print their figures.

Each benchmark prints its own side-by-side table (ratios measured in the same run, since these machines
are noisy). Run one alone with `.venv/bin/python bench/<name>.py`.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = ["bench_validate.py", "bench_client.py", "bench_parse.py"]


def main() -> int:
    failed = []
    for name in BENCHES:
        path = HERE / name
        if not path.exists():
            print(f"== {name}: missing, skipped")
            continue
        print(f"\n== {name}", flush=True)
        started = time.monotonic()
        code = subprocess.call([sys.executable, str(path), *sys.argv[1:]])
        print(f"== {name}: exit {code} after {time.monotonic() - started:.1f} s", flush=True)
        if code:
            failed.append(name)
    if failed:
        print(f"\nbenchmarks that failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
