"""Layer contracts from docs/architecture.md, checked on every run (import-linter style, by AST).

A layer may import only the layers below it; spec, hevo and the simulator never import Airflow.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "hevo_dagfactory"

BANNED = {
    "spec": ("airflow", "requests", "aiohttp", "hevo_dagfactory.hevo", "hevo_dagfactory.provider",
             "hevo_dagfactory.factory", "hevo_dagfactory.simulator", "hevo_dagfactory.demo"),
    "hevo": ("airflow", "hevo_dagfactory.spec", "hevo_dagfactory.provider", "hevo_dagfactory.factory",
             "hevo_dagfactory.simulator", "hevo_dagfactory.demo"),
    "simulator": ("airflow", "hevo_dagfactory.spec", "hevo_dagfactory.provider", "hevo_dagfactory.factory",
                  "hevo_dagfactory.demo"),
    "provider": ("hevo_dagfactory.spec", "hevo_dagfactory.factory", "hevo_dagfactory.demo"),
    "factory": ("hevo_dagfactory.demo",),
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


def test_airflow_version_checks_live_only_in_compat() -> None:
    """Nothing outside provider/compat.py branches on the Airflow version."""
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "compat.py" and path.parent.name == "provider":
            continue
        text = path.read_text(encoding="utf-8")
        if "airflow.__version__" in text or "AIRFLOW_V_" in text:
            offenders.append(str(path.relative_to(PACKAGE)))
    assert not offenders, f"Airflow version checks outside provider/compat.py: {offenders}"


def test_every_layer_has_modules() -> None:
    """Guards the test above from passing vacuously when a folder is renamed."""
    for layer in BANNED:
        assert list((PACKAGE / layer).rglob("*.py")), f"hevo_dagfactory/{layer}/ has no modules"
