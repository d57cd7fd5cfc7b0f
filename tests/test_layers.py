"""Layer contracts from docs/architecture.md, checked on every run (import-linter style, by AST).

A layer may import only the layers below it; spec, hevo, the simulator and the demo harness never import
Airflow; nothing but provider/compat/ looks at the Airflow version.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "hevo_dagfactory"
COMPAT = PACKAGE / "provider" / "compat"  # a package: every module of it may check the version

BANNED = {
    "spec": (
        "airflow",
        "requests",
        "aiohttp",
        "hevo_dagfactory.hevo",
        "hevo_dagfactory.provider",
        "hevo_dagfactory.factory",
        "hevo_dagfactory.simulator",
        "hevo_dagfactory.demo",
    ),
    "hevo": (
        "airflow",
        "hevo_dagfactory.spec",
        "hevo_dagfactory.provider",
        "hevo_dagfactory.factory",
        "hevo_dagfactory.simulator",
        "hevo_dagfactory.demo",
    ),
    "simulator": (
        "airflow",
        "hevo_dagfactory.spec",
        "hevo_dagfactory.provider",
        "hevo_dagfactory.factory",
        "hevo_dagfactory.demo",
    ),
    "provider": ("hevo_dagfactory.spec", "hevo_dagfactory.factory", "hevo_dagfactory.demo"),
    # validate --online: above spec and hevo, below nothing that imports Airflow
    "online": (
        "airflow",
        "hevo_dagfactory.provider",
        "hevo_dagfactory.factory",
        "hevo_dagfactory.simulator",
        "hevo_dagfactory.demo",
    ),
    "factory": ("hevo_dagfactory.demo",),
    # The harness asks compat.stack_profile() in a child process; importing provider or factory would import
    # Airflow into the caller's process (and read its configuration).
    "demo": ("airflow", "hevo_dagfactory.provider", "hevo_dagfactory.factory"),
}


def _imports(path: Path) -> list[tuple[int, str]]:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1] + ["__init__"]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = parts[: -node.level]
                found.append((node.lineno, ".".join(base + ([node.module] if node.module else []))))
            else:
                found.append((node.lineno, node.module or ""))
    return found


def _cases():
    for layer, banned in BANNED.items():
        for path in sorted((PACKAGE / layer).rglob("*.py")):
            yield pytest.param(path, banned, id=str(path.relative_to(PACKAGE)))


@pytest.mark.parametrize(("path", "banned"), list(_cases()))
def test_module_respects_its_layer(path: Path, banned: tuple[str, ...]) -> None:
    bad = [
        f"{path.name}:{line} imports {name}"
        for line, name in _imports(path)
        if any(name == b or name.startswith(b + ".") for b in banned)
    ]
    assert not bad, "layer violation: " + "; ".join(bad)


# compat's flags that stand for the Airflow version: a branch on one of them is a version branch.
_VERSION_NAMES = re.compile(r"^(AIRFLOW_3|AIRFLOW_V_\w+|AIRFLOW_VERSION|AIRFLOW_MAJOR_MINOR|TRIGGER_ON_KILL)$")
_VERSION_TEXT = re.compile(r"^\d+\.(\d+(\.\d+)*)?$")  # "2.", "3.0", "2.11.2"
_ORDERING = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)


def _is_int_tuple(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Tuple)
        and bool(node.elts)
        and all(isinstance(e, ast.Constant) and type(e.value) is int for e in node.elts)
    )


def _is_version_text(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and bool(_VERSION_TEXT.match(node.value))


def version_checks(source: str) -> list[str]:
    """Every place in ``source`` that reads or compares an Airflow version (line: what)."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            names = [a.name for a in node.names]
            if (module == "airflow" and {"__version__", "version"} & set(names)) or module == "airflow.version":
                found.append(f"{line}: imports Airflow's version ({module})")
            if module == "packaging.version" or (module == "packaging" and "version" in names):
                found.append(f"{line}: imports packaging.version")
            found += [f"{line}: imports {n}" for n in names if _VERSION_NAMES.match(n)]
        elif isinstance(node, ast.Import):
            found += [
                f"{line}: imports {a.name}" for a in node.names if a.name in ("airflow.version", "packaging.version")
            ]
        elif isinstance(node, ast.Attribute):
            if node.attr == "__version__" and isinstance(node.value, ast.Name) and node.value.id == "airflow":
                found.append(f"{line}: reads airflow.__version__")
            elif _VERSION_NAMES.match(node.attr):
                found.append(f"{line}: uses {node.attr}")
        elif isinstance(node, ast.Name) and _VERSION_NAMES.match(node.id):
            found.append(f"{line}: uses {node.id}")
        elif isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            python_version = any("version_info" in ast.dump(o) for o in operands)  # sys.version_info is Python's
            if any(_is_version_text(o) for o in operands):
                found.append(f"{line}: compares with a version string")
            elif (
                not python_version
                and any(isinstance(op, _ORDERING) for op in node.ops)
                and any(map(_is_int_tuple, operands))
            ):
                found.append(f"{line}: orders against a version tuple")
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr == "startswith" and any(map(_is_version_text, node.args)):
                found.append(f"{line}: startswith a version string")
            if any(isinstance(a, ast.Constant) and a.value in ("apache-airflow", "apache_airflow") for a in node.args):
                found.append(f"{line}: asks for the apache-airflow distribution")
    return found


def _scanned() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if COMPAT not in p.parents)


def test_airflow_version_checks_live_only_in_compat() -> None:
    """Nothing outside provider/compat/ reads or branches on the Airflow version (issue 8)."""
    scanned = _scanned()
    names = {str(p.relative_to(PACKAGE)) for p in scanned}
    # Guards against a vacuous pass: every layer, the demo harness and the CLI are scanned; only compat is not.
    assert {"demo/stack.py", "demo/client.py", "factory/loader.py", "provider/operators/pipeline.py", "cli.py"} <= names
    assert len(scanned) == len(list(PACKAGE.rglob("*.py"))) - len(list(COMPAT.rglob("*.py")))
    offenders = [f"{p.relative_to(PACKAGE)}:{hit}" for p in scanned for hit in version_checks(p.read_text("utf-8"))]
    assert not offenders, f"Airflow version checks outside provider/compat/: {offenders}"


@pytest.mark.parametrize(
    "snippet",
    [
        "from airflow import __version__",
        "import airflow\nif airflow.__version__ >= '3': pass",
        "from airflow.version import version",
        "from hevo_dagfactory.provider.compat import AIRFLOW_3",
        "from hevo_dagfactory.provider import compat\nx = 1 if compat.AIRFLOW_3 else 2",
        "if AIRFLOW_V_3_0_PLUS: pass",
        "if compat.TRIGGER_ON_KILL: pass",
        "if version >= '3.0': pass",
        "ok = v.startswith('2.')",
        "ok = major_minor < (3, 3)",
        "from packaging.version import Version",
        "import importlib.metadata as m\nv = m.version('apache-airflow')",
    ],
)
def test_version_check_finder_catches(snippet: str) -> None:
    assert version_checks(snippet), f"not caught: {snippet!r}"


def test_version_check_finder_leaves_other_versions_alone() -> None:
    clean = (
        "import sys\nfrom hevo_dagfactory import __version__\nimport hevo_dagfactory\n"
        "h = hevo_dagfactory.__version__\nif sys.version_info >= (3, 11): pass\n"
        "ok = str(status).startswith('5')\nn = name == 'v2'\n"
    )
    assert version_checks(clean) == []
    assert version_checks((COMPAT / "version.py").read_text("utf-8")), (
        "compat itself must trip the finder (it holds the checks)"
    )


def test_demo_imports_no_airflow_even_indirectly() -> None:
    """The AST rule above sees direct imports only; a fresh interpreter loading every demo module sees all."""
    modules = sorted(f"hevo_dagfactory.demo.{p.stem}" for p in (PACKAGE / "demo").glob("*.py") if p.stem != "__init__")
    code = (
        f"import sys\nfor m in {modules!r}: __import__(m)\n"
        "print(sorted(m for m in sys.modules if m == 'airflow' or m.startswith('airflow.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "[]", out.stdout[-2000:]
    assert len(modules) >= 8


def test_every_layer_has_modules() -> None:
    """Guards the test above from passing vacuously when a folder is renamed."""
    for layer in BANNED:
        assert list((PACKAGE / layer).rglob("*.py")), f"hevo_dagfactory/{layer}/ has no modules"
