"""`make test`'s runner (tools/run_tests.py): lanes at once, whole outputs, one summary, the right exit code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RUNNER = REPO / "tools" / "run_tests.py"


def _suite(name: str, closing_line: str, code: int = 0, sleep: float = 0) -> str:
    script = (
        f"import sys, time; time.sleep({sleep}); print('output of {name}'); print({closing_line!r}); sys.exit({code})"
    )
    return f"{name}={sys.executable} -c {script!r}"


def _run(tmp_path: Path, *lanes: str) -> subprocess.CompletedProcess[str]:
    args = [arg for lane in lanes for arg in ("--lane", lane)]
    return subprocess.run(
        [sys.executable, str(RUNNER), *args], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )


def test_lanes_run_at_once_and_the_summary_adds_every_suite(tmp_path):
    slow = _suite("slow", "3 passed, 1 skipped in 1.0s", sleep=1.5)
    first, second = _suite("first", "= 2 passed in 0.1s ="), _suite("second", "4 passed, 2 skipped in 0.1s")
    proc = _run(tmp_path, slow, f"{first};;{second}")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    # Each suite's output appears whole, the quick lane's two suites before the slow one they ran beside.
    assert out.index("output of first") < out.index("output of second") < out.index("output of slow")
    assert out.splitlines()[-1] == "total: 9 passed, 0 failed, 3 skipped"
    assert (tmp_path / ".test-logs" / "slow.log").read_text().startswith("output of slow")


def test_a_failing_suite_fails_the_run_but_the_others_still_run(tmp_path):
    failing = _suite("failing", "1 failed, 5 passed in 0.2s", code=1)
    after = _suite("after", "7 passed in 0.1s")
    proc = _run(tmp_path, f"{failing};;{after}", _suite("other", "1 passed in 0.1s"))
    assert proc.returncode == 1
    assert "output of after" in proc.stdout  # the lane went on after the failure
    assert proc.stdout.splitlines()[-1] == "total: 13 passed, 1 failed, 0 skipped"
    assert "FAILED: failing" in proc.stderr


def test_a_suite_that_selects_nothing_is_no_failure_unless_no_suite_ran_tests(tmp_path):
    nothing = _suite("nothing", "no tests ran in 0.01s", code=5)
    assert _run(tmp_path, nothing, _suite("some", "2 passed in 0.1s")).returncode == 0
    assert _run(tmp_path, nothing).returncode == 1


def test_a_malformed_lane_is_refused_with_a_message(tmp_path):
    proc = _run(tmp_path, "no-command-here")
    assert proc.returncode != 0
    assert "NAME=COMMAND" in proc.stderr
