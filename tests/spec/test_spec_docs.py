"""The schema is the single source of truth: docs, examples and the wheel follow it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest

from hevo_dagfactory.spec import load_schema, schema_path

from .conftest import REPO

FORMAT_MD = REPO / "docs" / "format.md"
#: containers whose keys are documented elsewhere (they only $ref other properties): names, or full paths
NOT_DESCENDED = {"sync_defaults", "environments", "deadline.notify"}
#: free-form maps: their keys are the user's own names
FREE_FORM = {"vars", "env"}


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        target: Any = schema
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def schema_keys(schema: dict | None = None) -> Iterator[tuple[str, dict]]:
    """Every documented key as a path such as ``syncs[].pipeline_id``, with its (resolved) schema."""
    schema = schema or load_schema()

    def walk(props: dict, prefix: str) -> Iterator[tuple[str, dict]]:
        for name, prop in props.items():
            prop = _resolve(schema, prop)
            path = f"{prefix}{name}"
            yield path, prop
            if name in NOT_DESCENDED or path in NOT_DESCENDED or name in FREE_FORM:
                continue
            if "properties" in prop:
                yield from walk(prop["properties"], f"{path}.")
            items = prop.get("items")
            if isinstance(items, dict):
                items = _resolve(schema, items)
                if "properties" in items:
                    yield from walk(items["properties"], f"{path}[].")

    yield from walk(schema["properties"], "")


def render_default(value: Any) -> str:
    return json.dumps(value) if not isinstance(value, str) else value


def documented_rows() -> dict[str, list[str]]:
    """Rows of the key reference tables (those headed ``| key | type | default | meaning |``)."""
    rows = {}
    in_reference = False
    for line in FORMAT_MD.read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            in_reference = False
            continue
        if re.match(r"^\|\s*key\s*\|\s*type\s*\|\s*default\s*\|\s*meaning\s*\|$", line):
            in_reference = True
            continue
        match = re.match(r"^\|\s*`([^`]+)`\s*\|(.*)\|\s*$", line)
        if in_reference and match:
            rows[match.group(1)] = [c.strip() for c in re.split(r"(?<!\\)\|", match.group(2))]
    return rows


def test_docs_document_every_schema_key_and_nothing_else():
    keys = {path for path, _ in schema_keys()}
    rows = set(documented_rows())
    assert sorted(keys - rows) == [], "schema keys missing from docs/format.md"
    assert sorted(rows - keys) == [], "docs/format.md documents keys the schema does not have"


def test_docs_defaults_and_allowed_values_match_schema():
    rows = documented_rows()
    for path, prop in schema_keys():
        type_cell, default_cell = rows[path][0], rows[path][1]
        if "default" in prop:
            assert f"`{render_default(prop['default'])}`" in default_cell, path
        for value in prop.get("enum", []):
            assert f"`{value}`" in type_cell, (path, value)


def test_every_property_has_description_and_examples():
    for path, prop in schema_keys():
        assert prop.get("description"), path
        assert prop.get("examples"), path


def test_every_object_forbids_unknown_keys():
    schema = load_schema()

    def visit(node: Any, where: str) -> None:
        if isinstance(node, dict):
            if "properties" in node:
                # False, or a schema every other key must match (params: any other name is a parameter)
                assert node.get("additionalProperties") is False or isinstance(
                    node.get("additionalProperties"), dict
                ), where
            for key, value in node.items():
                visit(value, f"{where}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                visit(value, f"{where}/{i}")

    visit(schema, "#")


def test_schema_is_valid_draft_2020_12_and_examples_validate():
    from jsonschema import Draft202012Validator

    from hevo_dagfactory.spec.schema import validator_class

    schema = load_schema()
    Draft202012Validator.check_schema(schema)
    validator = validator_class()(schema)  # our meaning of integer and pattern
    for path, prop in schema_keys(schema):
        sub = validator.evolve(schema=prop)  # keeps the root resolver, so "#/..." refs still resolve
        for example in prop["examples"]:
            if isinstance(example, str) and "${" in example:
                continue  # shown before variable expansion
            assert not list(sub.iter_errors(example)), (path, example)
    assert validator.is_valid({"syncs": [{"id": "a", "pipeline_id": 1}]})


def test_docs_mention_asset_uri_and_environment_variable():
    text = FORMAT_MD.read_text(encoding="utf-8")
    assert "hevo://<region>/pipelines/<pipeline_id>" in text
    assert "HEVO_DAGFACTORY_ENV" in text


@pytest.mark.slow
def test_wheel_contains_the_schema(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(tmp_path), str(REPO)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (wheel,) = tmp_path.glob("*.whl")
    with zipfile.ZipFile(wheel) as zf:
        packaged = zf.read("hevo_dagfactory/schemas/hevo-workflow.schema.json")
    assert json.loads(packaged) == json.loads(schema_path().read_text())
