"""The lock files every make target installs from: what goes into each, and `make lock` / the staleness check.

One lock per virtualenv the Makefile makes: ``airflow-<version>.txt`` for each tested Airflow line (the
package's dependencies, its extras and the line's Airflow pin) and ``dbt.txt`` for the dbt venv (dbt stays
out of the Airflow venvs: its pins clash with Airflow's). ``uv pip compile --universal`` resolves each for
CPython 3.11 and later on any OS (CI runs 3.11 on Linux). Airflow's own constraints files would do this job,
but they live where our machines cannot reach.

Each lock's first lines record a hash of its inputs (the requirement lines below, taken from pyproject.toml);
``check`` recomputes it, so editing pyproject.toml without ``make lock`` fails ``make lint`` and the tests
with a message saying to run it. Re-locking keeps every pin that still fits (uv prefers the versions in the
existing file); ``make lock UPGRADE=1`` moves everything to the newest versions that resolve.

Usage (the Makefile passes the Airflow versions):
    python tools/lock.py compile --uv .venv-tools/bin/uv --airflow 3.3.2 --airflow 2.11.2 [--upgrade]
    python tools/lock.py check --airflow 3.3.2 --airflow 2.11.2
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import tomllib

REPO = Path(__file__).resolve().parent.parent
LOCK_DIR = REPO / "locks"
PYTHON_VERSION = "3.11"  # the lowest Python the locks hold for (CI's)

#: Pins on top of pyproject.toml's ranges, each with its reason. Constraints, not requirements: they narrow a
#: package only when something pulls it in.
CONSTRAINTS = (
    # celery 5.7.0 dropped celery.backends.database.retry, which apache-airflow-providers-celery 3.26.0
    # imports; 5.6.3 works.
    "celery<5.7",
)
#: What each Airflow line's venv installs on top of the dependencies (docs/compatibility.md, "Test venvs").
#: apache-airflow-providers-git needs Airflow 3, so the production-shaped `cluster` group is 3.x only.
#: pip itself, pinned like the rest: uv makes venvs without it, and `make bench` installs dag-factory with pip.
VENV_TOOLS = ("pip",)
LINE_EXTRAS = {
    "3": (("test", "redis", "openlineage", "slack", "smtp"), ("cluster",)),
    "2": (("test", "redis", "openlineage", "slack", "smtp"), ()),
}


@dataclass(frozen=True)
class LockSpec:
    """One lock: its file name and the requirement lines it is compiled from."""

    name: str
    title: str
    requirements: tuple[str, ...]

    @property
    def path(self) -> Path:
        return LOCK_DIR / f"{self.name}.txt"

    @property
    def digest(self) -> str:
        """A hash of everything the lock is compiled from; recorded in the lock's header."""
        inputs = {"python": PYTHON_VERSION, "requirements": self.requirements, "constraints": CONSTRAINTS}
        return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


def read_pyproject(path: Path = REPO / "pyproject.toml") -> dict:
    with path.open("rb") as f:
        return tomllib.load(f)


def airflow_lock(pyproject: dict, airflow_version: str) -> LockSpec:
    """The lock of one Airflow line: dependencies + that line's extras and groups + the Airflow pin."""
    project = pyproject["project"]
    extras, groups = LINE_EXTRAS[airflow_version.split(".")[0]]
    requirements = [*project["dependencies"], f"apache-airflow=={airflow_version}", *VENV_TOOLS]
    for extra in extras:
        requirements += project["optional-dependencies"][extra]
    for group in groups:
        requirements += pyproject["dependency-groups"][group]
    title = f"Airflow {airflow_version} (extras: {', '.join(extras)}; groups: {', '.join(groups) or 'none'})"
    return LockSpec(f"airflow-{airflow_version}", title, tuple(requirements))


def dbt_lock(pyproject: dict) -> LockSpec:
    return LockSpec("dbt", "the dbt venv (group: dbt)", tuple(pyproject["dependency-groups"]["dbt"]))


def all_locks(airflow_versions: list[str], pyproject: dict | None = None) -> list[LockSpec]:
    pyproject = pyproject if pyproject is not None else read_pyproject()
    return [*(airflow_lock(pyproject, v) for v in airflow_versions), dbt_lock(pyproject)]


def header(spec: LockSpec) -> str:
    return (
        f"# hevo-dagfactory lock for {spec.title}.\n"
        f"# Made by `make lock` from pyproject.toml for CPython >= {PYTHON_VERSION}; do not edit by hand.\n"
        f"# inputs-sha256: {spec.digest}\n"
    )


def recorded_digest(lock_path: Path) -> str | None:
    """The inputs hash a lock file's header records, or None if it has none."""
    for line in lock_path.read_text().splitlines()[:5]:
        if line.startswith("# inputs-sha256: "):
            return line.split(": ", 1)[1].strip()
    return None


def stale(spec: LockSpec) -> str | None:
    """Why the lock does not match pyproject.toml (a message saying what to do), or None if it does."""
    if not spec.path.exists():
        return f"{spec.path.relative_to(REPO)} is missing: run `make lock` and commit it"
    if recorded_digest(spec.path) != spec.digest:
        return (
            f"{spec.path.relative_to(REPO)} was not made from the current pyproject.toml "
            "(its dependencies, extras or groups changed): run `make lock` and commit the lock files"
        )
    return None


def uv_path(uv: str) -> str:
    """uv runs in a scratch folder: a relative path to it must not change meaning."""
    return str(Path(uv).resolve()) if "/" in uv else uv


def compile_lock(spec: LockSpec, uv: str, upgrade: bool) -> None:
    """Resolve the spec with uv into its lock file (keeping the existing pins that still fit unless upgrade)."""
    with tempfile.TemporaryDirectory() as tmp:
        # uv names the input files in its "# via" notes: relative names in a scratch folder keep them neutral.
        Path(tmp, f"{spec.name}.in").write_text("\n".join(spec.requirements) + "\n")
        Path(tmp, "constraints.txt").write_text("\n".join(CONSTRAINTS) + "\n")
        out = Path(tmp, "lock.txt")
        if spec.path.exists():
            out.write_text(spec.path.read_text())  # so uv keeps the pins that still fit
        command = [uv_path(uv), "pip", "compile", "--quiet", "--universal", "--python-version", PYTHON_VERSION]
        command += ["--custom-compile-command", "make lock", "-c", "constraints.txt", "-o", "lock.txt"]
        command += [f"{spec.name}.in"] + (["--upgrade"] if upgrade else [])
        proc = subprocess.run(command, cwd=tmp, capture_output=True, text=True)
        if proc.returncode != 0:
            sys.exit(f"make lock: {spec.name} does not resolve:\n{proc.stderr.strip()}")
        spec.path.write_text(header(spec) + out.read_text())
    print(f"locks/{spec.name}.txt: {spec.title}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="compile or check the lock files")
    parser.add_argument("action", choices=("compile", "check"))
    parser.add_argument("--airflow", action="append", required=True, help="an Airflow version to lock (repeat)")
    parser.add_argument("--uv", default="uv", help="the uv executable (compile)")
    parser.add_argument("--upgrade", action="store_true", help="move every pin to the newest version that resolves")
    args = parser.parse_args(argv)
    specs = all_locks(args.airflow)
    if args.action == "compile":
        for spec in specs:
            compile_lock(spec, args.uv, args.upgrade)
        return 0
    problems = [p for p in map(stale, specs) if p]
    for problem in problems:
        print(f"lock check: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
