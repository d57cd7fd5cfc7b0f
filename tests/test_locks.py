"""The lock files in locks/ match pyproject.toml, and the venv under test was installed from its lock.

Editing pyproject.toml without `make lock` fails here (and earlier, in `make lint`) with a message saying to run it.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import re
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

REPO = Path(__file__).resolve().parent.parent


def _load_lock_module():
    spec = importlib.util.spec_from_file_location("hevo_locks", REPO / "tools" / "lock.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


lock = _load_lock_module()


def _makefile_versions() -> list[str]:
    text = (REPO / "Makefile").read_text()
    return [
        re.search(rf"^{name}\s*\?=\s*(\S+)", text, re.M).group(1) for name in ("AIRFLOW3_VERSION", "AIRFLOW2_VERSION")
    ]


SPECS = lock.all_locks(_makefile_versions())


def _pins(path: Path) -> dict[str, Version]:
    """name → pinned version of every line that applies to this interpreter (universal locks carry markers)."""
    pins = {}
    for line in path.read_text().splitlines():
        if not line or line[0] in "# -":
            continue
        req = Requirement(line)
        if req.marker is None or req.marker.evaluate():
            (spec,) = req.specifier
            pins[canonicalize_name(req.name)] = Version(spec.version)
    return pins


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_each_lock_was_made_from_the_current_pyproject(spec):
    assert lock.stale(spec) is None, lock.stale(spec)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_the_pins_satisfy_every_requirement_and_constraint(spec):
    pins = _pins(spec.path)
    wrong = []
    for line in (*spec.requirements, *lock.CONSTRAINTS):
        req = Requirement(line)
        if req.marker is not None and not req.marker.evaluate():
            continue
        pinned = pins.get(canonicalize_name(req.name))
        is_constraint = line in lock.CONSTRAINTS
        if (pinned is None and not is_constraint) or (
            pinned is not None and not req.specifier.contains(pinned, prereleases=True)
        ):
            wrong.append(f"{line} (locked: {pinned or 'absent'})")
    assert not wrong, f"{spec.path.name} does not satisfy {wrong}: run `make lock`"


def test_a_changed_pyproject_is_caught_with_a_message_saying_to_run_make_lock():
    pyproject = lock.read_pyproject()
    pyproject["project"]["dependencies"].append("rich>=13")
    (changed, *_) = lock.all_locks(_makefile_versions(), pyproject)
    message = lock.stale(changed)
    assert message is not None and "run `make lock`" in message
    assert lock.main(["check", "--airflow", _makefile_versions()[0]]) == 0  # the committed files are current


def test_dbt_stays_out_of_the_airflow_locks_and_celery_stays_below_5_7():
    airflow_locks = [s for s in SPECS if s.name.startswith("airflow-")]
    assert len(airflow_locks) == 2
    for spec in airflow_locks:
        pins = _pins(spec.path)
        assert "dbt-core" not in pins, spec.name
        if "celery" in pins:
            assert pins["celery"] < Version("5.7"), spec.name
    assert "dbt-core" in _pins(lock.dbt_lock(lock.read_pyproject()).path)


def test_the_venv_under_test_holds_what_its_lock_pins():
    airflow = importlib.metadata.version("apache-airflow")
    (spec,) = [s for s in SPECS if s.name == f"airflow-{airflow}"] or [None]
    if spec is None:
        pytest.skip(f"no lock for Airflow {airflow} (a venv made by hand); `make install-af3` makes one from its lock")
    differ = []
    for name, pinned in _pins(spec.path).items():
        try:
            installed = Version(importlib.metadata.version(name))
        except importlib.metadata.PackageNotFoundError:
            installed = None
        if installed != pinned:
            differ.append(f"{name} {installed or 'missing'} (locked {pinned})")
    assert not differ, (
        f"this venv differs from {spec.path.name}: {differ}; `make install-af3` / `make install-af2` syncs it"
    )
