"""What a parse process imports on a cache hit: guards against eager imports creeping back.

Why: a worker about to run one task parses the loader file with Airflow's parsing context set.
On a cache hit it needs the file's cached build plan and the operator classes, but not the model
(``spec.model``), the builders, the validator (yaml, jsonschema) nor the Hevo HTTP clients
(requests, aiohttp), which together cost well over 100 ms per process. Each check runs in a fresh
interpreter, because the pytest process itself has imported everything long ago.

Airflow itself imports ``yaml`` and ``jsonschema`` (``airflow.configuration``), so in the
worker test their absence cannot be asserted from ``sys.modules``; there the test asserts
that none of our modules loaded during the parse imports them at module level, and that our
validator modules stayed unloaded. The Airflow-free check of a broken file's entry below asserts
their absence directly.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

from tests.factory.helpers import BROKEN_UNKNOWN_KEY, REPO, dags_folder_with_loader, good_workflow, write

#: Third-party packages a cache hit must not need (jsonschema/yaml: the validator; requests/aiohttp:
#: the Hevo clients; referencing/croniter: schema refs and cron checks of the validator).
HEAVY = ("requests", "aiohttp", "jsonschema", "yaml", "referencing", "croniter")

#: Our modules that import the heavy packages (directly or through their imports).
HEAVY_OWN = (
    "hevo_dagfactory.spec.loader",
    "hevo_dagfactory.spec.build",
    "hevo_dagfactory.spec.schema",
    "hevo_dagfactory.spec.schema_errors",
    "hevo_dagfactory.spec.yamlsafe",
    "hevo_dagfactory.spec.nesting",
    "hevo_dagfactory.hevo.client",
    "hevo_dagfactory.hevo.aclient",
    "hevo_dagfactory.hevo.retry",
)

WORKER = """\
import json, sys
try:
    import airflow.sdk  # loaded by the task runner before it parses the DAG file
    from airflow.dag_processing.dagbag import DagBag
except ImportError:  # Airflow 2.x: the task runner has the ORM models loaded instead
    import airflow.models
    from airflow.models.dagbag import DagBag

before = set(sys.modules)
bag = DagBag(dag_folder=sys.argv[1], safe_mode=True)
from hevo_dagfactory.factory.loader import LAST_RUN

print(json.dumps({
    "dags": sorted(bag.dags),
    "errors": {str(k): str(v) for k, v in bag.import_errors.items()},
    "stats": dict(LAST_RUN),
    "modules": sorted(sys.modules),
    "new": sorted(set(sys.modules) - before),
}))
"""

CACHE_HIT = """\
import json, sys
from pathlib import Path
if sys.argv[2] == "with-airflow":
    import airflow  # a parse process has Airflow loaded; a build plan holds Airflow objects
from hevo_dagfactory.factory import cache

root = Path(sys.argv[1])
before = set(sys.modules)
results = {}
for name in sys.argv[3:]:
    path = root / name
    key, _ = cache.KeyBuilder(root).key(path)
    hit, value = cache.lookup(root, path, key)
    results[name] = [hit, sorted(value) if isinstance(value, dict) else [type(v).__name__ for v in value]]
print(json.dumps({"results": results, "new": sorted(set(sys.modules) - before), "modules": sorted(sys.modules)}))
"""


def _run(code: str, *args: str, env: dict[str, str] | None = None) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", code, *args],
        env={**os.environ, **(env or {})},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _full_parse(folder: Path) -> None:
    """What the dag-processor does first: validate every file, fill the cache and the dag_id index."""
    from hevo_dagfactory import load_workflows

    load_workflows(folder, {"__file__": str(folder / "hevo_workflows.py")})


def _module_level_imports(module_name: str) -> set[str]:
    """Top-level packages a module imports outside functions (what it costs just to import it)."""
    import importlib.util

    spec = importlib.util.find_spec(module_name)
    assert spec is not None and spec.origin, module_name
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    found: set[str] = set()

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                found.add(node.module.split(".")[0])
            elif isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue  # never executed at runtime
            elif isinstance(node, (ast.If, ast.Try, ast.With)):
                for block in ("body", "orelse", "finalbody", "handlers"):
                    for child in getattr(node, block, []):
                        visit(child.body if isinstance(child, ast.ExceptHandler) else [child])
            elif isinstance(node, ast.ClassDef):
                visit(node.body)

    visit(tree.body)
    return found


def test_a_worker_cache_hit_imports_neither_the_validator_nor_the_http_clients(tmp_path, monkeypatch):
    dags = dags_folder_with_loader(tmp_path)
    for i in range(3):
        good_workflow(dags, f"wf{i}", pid=i + 1)
    _full_parse(dags)

    monkeypatch.setenv("_AIRFLOW_PARSING_CONTEXT_DAG_ID", "wf1")
    monkeypatch.setenv("_AIRFLOW_PARSING_CONTEXT_TASK_ID", "build")
    out = _run(WORKER, str(dags / "hevo_workflows.py"))

    # It really was the cache-hit path: one DAG built from the cache, nothing validated.
    assert out["dags"] == ["wf1"] and not out["errors"], out["errors"]
    assert out["stats"]["cached"] == 1 and out["stats"]["validated"] == 0, out["stats"]
    assert "hevo_dagfactory.provider.operators.pipeline" in out["modules"]  # the sync task was built

    loaded = set(out["modules"])
    # Airflow 2.x imports requests itself before any DAG file is parsed (3.x does not): what the parse
    # added must not include either client, and aiohttp (ours only) must not be loaded at all.
    assert not set(out["new"]) & {"requests", "aiohttp"}, "the Hevo HTTP clients were imported at parse time"
    assert "aiohttp" not in loaded, "the async Hevo client was imported at parse time"
    assert not loaded & set(HEAVY_OWN), f"validator/client modules imported on a cache hit: {loaded & set(HEAVY_OWN)}"
    assert "hevo_dagfactory.factory.placeholder" not in loaded, "placeholder machinery imported for a good file"

    # The DAG came from its cached build plan: neither the model nor the builders were needed.
    ours = [m for m in out["new"] if m.startswith("hevo_dagfactory")]
    assert "hevo_dagfactory.factory.plan" in ours
    needless = {
        "hevo_dagfactory.spec.model",
        "hevo_dagfactory.factory.dag",
        "hevo_dagfactory.factory.steps",
        "hevo_dagfactory.factory.docs",
        "hevo_dagfactory.spec.kinds",
        "hevo_dagfactory.spec.kinds.shell",
        "hevo_dagfactory.factory.bundles",
    }
    assert not loaded & needless, f"a plan replay imported {sorted(loaded & needless)}"
    assert not [m for m in loaded if m.startswith("hevo_dagfactory.spec")], "the spec layer was imported"
    # Airflow has yaml and jsonschema loaded already, so check our own modules' import statements.
    eager = {m: sorted(_module_level_imports(m) & {*HEAVY, "tenacity"}) for m in ours}
    assert not {m: pkgs for m, pkgs in eager.items() if pkgs}, "module-level imports of heavy packages"


def test_unpickling_cached_results_imports_neither_the_model_nor_the_validator(tmp_path):
    good_workflow(tmp_path, "orders", pid=1)
    write(tmp_path, "broken_one.yaml", BROKEN_UNKNOWN_KEY)
    _full_parse(tmp_path)

    # A built file's entry is its build plan: Airflow objects and our operator classes, no model.
    out = _run(CACHE_HIT, str(tmp_path), "with-airflow", "orders.yaml")
    assert out["results"] == {"orders.yaml": [True, ["dag", "dag_id", "edges", "format", "tasks"]]}
    new = set(out["new"])
    assert not new & set(HEAVY_OWN), sorted(new & set(HEAVY_OWN))
    assert not [m for m in new if m.startswith("hevo_dagfactory.spec")], sorted(new)

    # A broken file's entry is its list of errors: only the spec's error type, no Airflow, no validator.
    out = _run(CACHE_HIT, str(tmp_path), "without-airflow", "broken_one.yaml")
    assert out["results"] == {"broken_one.yaml": [True, ["ConfigError"]]}
    loaded = set(out["modules"])
    assert not {m.split(".")[0] for m in loaded} & set(HEAVY), sorted(m for m in loaded if m.split(".")[0] in HEAVY)
    assert "airflow" not in loaded
    assert not loaded & set(HEAVY_OWN), sorted(loaded & set(HEAVY_OWN))
    assert "hevo_dagfactory.spec.model" not in loaded
