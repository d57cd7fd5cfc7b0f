"""Small, visible structure, checked on every run (by AST, over every module of the package).

The rules (docs/architecture.md, "Structure"):

- no module over ``MAX_MODULE_LINES`` lines;
- no function over ``MAX_FUNCTION_LINES`` lines (decorators excluded, docstring included), except a
  *data table*: a function whose body is an optional docstring and one ``return`` of a literal
  display (dict, list, tuple or set) built only from constants, names, attribute references, nested
  displays and ``*name`` / ``**name`` spreads: no call, operator, comprehension or condition in it;
- no import circle between the package's modules, counting imports inside functions (a lazy import
  is still a dependency) and leaving out ``if TYPE_CHECKING:`` blocks;
- no ``from module import _name`` of another module's private name;
- no numeric constant (an upper-case module-level name bound to an int or float literal) defined in
  two modules: one module owns it, the others import it.

``TEMPORARY_ALLOWANCE`` lists the offenders that other branches are rewriting right now; nothing
else may go there, and an entry that no longer offends fails the test until it is removed.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "hevo_dagfactory"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60

# TEMPORARY: the lead removes this allowance when merging. hevo/start.py belongs to the hevo-client
# branch, provider/operators|triggers|sensors to the wait branch (issue 15 item 1), which are
# rewriting exactly these places; every other offender is fixed.
TEMPORARY_ALLOWANCE: dict[str, set[str]] = {
    "module": {"hevo_dagfactory.hevo.start"},
    "function": {
        "hevo_dagfactory.hevo.start.start_job_flow",
        "hevo_dagfactory.provider.operators.pipeline.HevoPipelineOperator.execute",
        "hevo_dagfactory.provider.triggers.job.HevoJobTrigger._poll",
    },
    "constant": {"MAX_POLL_INTERVAL_S", "DEFER_BACKSTOP_S"},
}


@dataclass
class Findings:
    modules: dict[str, int] = field(default_factory=dict)  # module -> lines, over the limit
    functions: dict[str, int] = field(default_factory=dict)  # qualified name -> lines, over the limit
    cycles: list[list[str]] = field(default_factory=list)
    private_imports: list[str] = field(default_factory=list)
    constants: dict[str, list[str]] = field(default_factory=dict)  # name -> modules defining it


def module_names(package: Path) -> dict[str, Path]:
    """Dotted module name → file, for every ``.py`` file of ``package`` (``__init__`` is the package)."""
    found = {}
    for path in sorted(package.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def is_data_table(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    body = fn.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    return (
        len(body) == 1
        and isinstance(body[0], ast.Return)
        and isinstance(body[0].value, (ast.Dict, ast.List, ast.Tuple, ast.Set))
        and _literal(body[0].value)
    )


def _literal(node: ast.AST | None) -> bool:
    if node is None:  # the key of a ``**spread`` in a dict display
        return True
    if isinstance(node, (ast.Constant, ast.Name)):
        return True
    if isinstance(node, ast.Attribute):
        return _literal(node.value)
    if isinstance(node, ast.Starred):
        return isinstance(node.value, (ast.Name, ast.Attribute))
    if isinstance(node, ast.Dict):
        return all(map(_literal, node.keys)) and all(map(_literal, node.values))
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return all(map(_literal, node.elts))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return isinstance(node.operand, ast.Constant)
    return False


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


class _ModuleScan(ast.NodeVisitor):
    """Functions with their lengths, imports (outside TYPE_CHECKING) and numeric constants of one module."""

    def __init__(self, name: str, is_package: bool, known: dict[str, Path]):
        self.name, self.is_package, self.known = name, is_package, known
        self.scope: list[str] = []
        self.functions: dict[str, int] = {}
        self.imports: set[str] = set()
        self.private: list[str] = []
        self.constants: list[str] = []

    def _resolve(self, module: str | None, level: int) -> str:
        if not level:
            return module or ""
        base = self.name.split(".") if self.is_package else self.name.split(".")[:-1]
        base = base[: len(base) - (level - 1)]
        return ".".join(base + ([module] if module else []))

    def visit_If(self, node: ast.If) -> None:
        if _type_checking(node):
            for child in node.orelse:
                self.visit(child)
        else:
            self.generic_visit(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        qualified = ".".join([self.name, *self.scope, node.name])
        length = node.end_lineno - node.lineno + 1  # type: ignore[operator]
        if length > MAX_FUNCTION_LINES and not is_data_table(node):
            self.functions[qualified] = length
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = _function

    def visit_Import(self, node: ast.Import) -> None:
        self.imports.update(alias.name for alias in node.names if alias.name in self.known)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        target = self._resolve(node.module, node.level)
        if target not in self.known:
            return
        for alias in node.names:
            submodule = f"{target}.{alias.name}"
            self.imports.add(submodule if submodule in self.known else target)
            if alias.name.startswith("_") and not alias.name.startswith("__") and target != self.name:
                self.private.append(f"{self.name} imports {alias.name} from {target}")

    def visit_Assign(self, node: ast.Assign) -> None:
        if not self.scope and isinstance(node.value, ast.Constant) and type(node.value.value) in (int, float):
            self.constants += [t.id for t in node.targets if isinstance(t, ast.Name) and t.id.lstrip("_").isupper()]

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        value, target = node.value, node.target
        numeric = isinstance(value, ast.Constant) and type(value.value) in (int, float)
        if not self.scope and numeric and isinstance(target, ast.Name) and target.id.lstrip("_").isupper():
            self.constants.append(target.id)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def scan(package: Path) -> Findings:
    known = module_names(package)
    findings = Findings()
    graph: dict[str, set[str]] = defaultdict(set)
    constants: dict[str, list[str]] = defaultdict(list)
    for name, path in known.items():
        text = path.read_text(encoding="utf-8")
        lines = len(text.splitlines())
        if lines > MAX_MODULE_LINES:
            findings.modules[name] = lines
        visitor = _ModuleScan(name, path.name == "__init__.py", known)
        visitor.visit(ast.parse(text, str(path)))
        findings.functions.update(visitor.functions)
        findings.private_imports += visitor.private
        graph[name] |= visitor.imports - {name}
        for constant in set(visitor.constants):
            constants[constant].append(name)
    findings.cycles = cycles(graph)
    findings.constants = {k: sorted(v) for k, v in constants.items() if len(v) > 1}
    return findings


@pytest.fixture(scope="module")
def findings() -> Findings:
    return scan(PACKAGE)


def test_no_module_over_the_limit(findings):
    over = {m: n for m, n in findings.modules.items() if m not in TEMPORARY_ALLOWANCE["module"]}
    assert not over, f"modules over {MAX_MODULE_LINES} lines (split them by concept): {over}"


def test_no_function_over_the_limit(findings):
    over = {f: n for f, n in findings.functions.items() if f not in TEMPORARY_ALLOWANCE["function"]}
    assert not over, f"functions over {MAX_FUNCTION_LINES} lines (data tables aside): {over}"


def test_no_import_circle(findings):
    assert not findings.cycles, f"import circles (a module-level or lazy import each way): {findings.cycles}"


def test_no_private_name_imported_from_another_module(findings):
    assert not findings.private_imports, findings.private_imports


def test_no_numeric_constant_defined_twice(findings):
    twice = {k: v for k, v in findings.constants.items() if k not in TEMPORARY_ALLOWANCE["constant"]}
    assert not twice, f"define each constant in one module and import it elsewhere: {twice}"


def test_the_temporary_allowance_names_only_current_offenders(findings):
    stale = (
        (TEMPORARY_ALLOWANCE["module"] - set(findings.modules))
        | (TEMPORARY_ALLOWANCE["function"] - set(findings.functions))
        | (TEMPORARY_ALLOWANCE["constant"] - set(findings.constants))
    )
    assert not stale, f"fixed, so remove from TEMPORARY_ALLOWANCE in tests/test_structure.py: {sorted(stale)}"


# --- the checker itself, on a package made for the purpose ---------------------------------------
BAD_PACKAGE = {
    "__init__.py": "",
    "a.py": "from pkg.b import helper\nLIMIT = 3\n",
    "b.py": "LIMIT = 4\n\ndef helper():\n    from pkg.a import LIMIT\n    return LIMIT\n",
    "c.py": "from pkg.d import _hidden\n",
    "d.py": "_hidden = 1\n\nif False:\n    pass\n",
    "e.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.f import x\n",
    "f.py": "from pkg.e import TYPE_CHECKING\nx = 1\n",
    "long.py": (
        "def table():\n    '''A data table.'''\n    return {\n"
        + "".join(f"        'k{i}': [{i}, NAME],\n" for i in range(70))
        + "    }\n\n\ndef work():\n"
        + "".join(f"    x{i} = {i}\n" for i in range(70))
        + "    return x0\n"
        + "\n\ndef computed():\n    return {\n"
        + "".join(f"        'k{i}': len('{i}'),\n" for i in range(70))
        + "    }\n"
    ),
    "big.py": "".join(f"N{i} = {i}\n" for i in range(401)),
}


def test_the_checker_finds_each_kind_of_offence(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    for name, text in BAD_PACKAGE.items():
        (pkg / name).write_text(text)
    found = scan(pkg)
    assert found.modules == {"pkg.big": 401}
    assert set(found.functions) == {"pkg.long.work", "pkg.long.computed"}  # table() is a data table
    assert found.cycles == [["pkg.a", "pkg.b"]]  # the lazy import counts; the TYPE_CHECKING one does not
    assert found.private_imports == ["pkg.c imports _hidden from pkg.d"]
    assert found.constants == {"LIMIT": ["pkg.a", "pkg.b"]}
