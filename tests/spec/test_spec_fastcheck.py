"""The compiled schema check and jsonschema agree, with our meaning of ``integer`` and ECMA-262 ``pattern``."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hevo_dagfactory.spec import load_schema
from hevo_dagfactory.spec import schema as S
from hevo_dagfactory.spec.fastcheck import Unsupported, Unsure, compile_schema
from hevo_dagfactory.spec.patterns import compiled, ecma_to_python
from hevo_dagfactory.spec.yamlsafe import parse_text

from .conftest import REPO
from .test_spec_fuzz import FUZZ, KEYS, _paths, values


def _read(path):
    doc, errors = parse_text(path.read_text(), path, path.name)  # as the loader reads: dates stay strings
    assert not errors
    return doc.data


VALID = [_read(p) for p in sorted((REPO / "configs").glob("*.yaml")) if p.name != "defaults.yaml"]


@st.composite
def edited_valid_docs(draw):
    """A valid example with one to three values swapped for random ones (often still valid)."""
    doc = copy.deepcopy(draw(st.sampled_from(VALID)))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from([p for p in _paths(doc) if p]))
        parent = doc
        for part in path[:-1]:
            parent = parent[part]
        parent[path[-1]] = draw(values)
    return doc


def _agree(kind: str, doc) -> None:
    fast = S.fast_check(kind)
    try:
        quick = fast(doc)
    except Unsure:
        return
    slow = not list(S.validator(kind).iter_errors(doc))
    assert quick == slow, doc


def test_the_shipped_schema_compiles_for_both_kinds_of_file():
    assert S.fast_check("workflow") is not None and S.fast_check("defaults") is not None
    for doc in VALID:
        assert S.fast_check("workflow")(doc) is True


@pytest.mark.parametrize(
    ("pattern", "text", "ecma"),
    [
        ("^[a-z]+$", "abc", True),
        ("^[a-z]+$", "abc\n", False),  # Python's "$" also matches before a final newline
        ("^\\d+$", "12", True),
        ("^\\d+$", "\u0663", False),  # ARABIC-INDIC DIGIT THREE: a digit for Python, not for ECMA
        ("^\\w+$", "caf\u00e9", False),
        ("^\\S+$", "a\u00a0b", False),  # NBSP is white space in ECMA
        ("^\\S+$", "a\x1cb", True),  # U+001C is white space for Python only
        ("^[^$]+$", "a$", False),  # "$" inside a class stays a literal
        ("^a\\$$", "a$", True),  # an escaped "$" stays a literal
    ],
)
def test_patterns_mean_what_they_mean_in_ecma_262(pattern, text, ecma):
    assert (compiled(pattern).search(text) is not None) is ecma, ecma_to_python(pattern)


def test_constructs_whose_meaning_differs_are_refused():
    for pattern in ("[]", "[^]", "[\\D]", "[\\S]"):
        with pytest.raises(ValueError):
            ecma_to_python(pattern)


@pytest.mark.parametrize("value", [2.0, 1e3, True])
def test_integer_means_a_yaml_integer_in_both_checks(value):
    doc = {"max_active_runs": value, "syncs": [{"id": "a", "pipeline_id": 1}]}
    assert S.fast_check("workflow")(doc) is False
    assert [e.validator for e in S.validator("workflow").iter_errors(doc)] == ["type"]


def test_an_unsupported_keyword_falls_back_to_jsonschema(write):
    """A schema edit with a keyword the compiler lacks makes validate slower, never wrong."""
    from hevo_dagfactory.spec import ConfigErrors, load_file

    schema = load_schema()
    schema["properties"]["owner"]["not"] = {"const": "root"}
    with pytest.raises(Unsupported):
        compile_schema(schema)
    with S.using_schema(schema):
        assert S.fast_check("workflow") is None
        with pytest.raises(ConfigErrors) as info:
            load_file(write("wf.yaml", "owner: root\nsyncs: [{id: a, pipeline_id: 1}]\n"))
        assert [(e.line, e.col) for e in info.value.errors] == [(1, 8)]
        assert load_file(write("ok.yaml", "owner: me\nsyncs: [{id: a, pipeline_id: 1}]\n")).owner == "me"


def test_unique_items_over_non_strings_asks_jsonschema():
    check = compile_schema({"type": "array", "uniqueItems": True})
    assert check(["a", "b"]) is True and check(["a", "a"]) is False
    with pytest.raises(Unsure):
        check([1, True])


@FUZZ
@given(edited_valid_docs())
def test_fast_and_jsonschema_agree_on_edited_valid_documents(doc):
    _agree("workflow", doc)


@FUZZ
@given(st.dictionaries(st.sampled_from(KEYS), values, min_size=1, max_size=6))
def test_fast_and_jsonschema_agree_on_random_documents(doc):
    _agree("workflow", doc)
    _agree("defaults", doc)


@FUZZ
@given(st.sampled_from(VALID), st.sampled_from(["dev", "prod"]), values)
def test_fast_and_jsonschema_agree_on_defaults_files(doc, env, value):
    defaults = {k: v for k, v in copy.deepcopy(doc).items() if k not in ("dag_id", "syncs", "steps")}
    defaults.setdefault("environments", {})[env] = {"owner": value}
    _agree("defaults", defaults)


PROBES = [
    None,
    True,
    False,
    0,
    1,
    -1,
    2.0,
    0.5,
    64,
    65,
    100,
    101,
    2**63 - 1,
    2**63,
    10**40,
    "",
    "x",
    "x\n",
    "5m",
    "99999999999999999999d",
    "2026-01-01",
    "0 6 * * *",
    "@daily",
    "eu",
    "run",
    "hevo://eu/pipelines/1",
    "x" * 100,
    "x" * 101,
    ["a"],
    ["a", "a"],
    [],
    [1],
    ["x" * 100],
    ["x" * 101],
    {},
    {"assets": ["hevo://eu/pipelines/1"]},
    {"A": "b"},
    {"a b": 1},
]


def _base() -> dict:
    return {
        "syncs": [{"id": "crm", "pipeline_id": 1}],
        "steps": [{"id": "d", "dbt": {"command": "run"}}, {"id": "b", "bash": {"command": "true"}}],
    }


def _set(doc: dict, path: str, value) -> None:
    """``defaults.retries`` / ``syncs[].timeout`` / ``steps[].bash.cwd`` → set that key in ``doc``."""
    node = doc
    parts = path.replace("[]", "").split(".")
    for part in parts[:-1]:
        nxt = node.setdefault(part, {})
        if isinstance(nxt, list):
            kind = parts[parts.index(part) + 1]
            nxt = next((item for item in nxt if kind in item), nxt[0])
        node = nxt
    node[parts[-1]] = value


def test_fast_and_jsonschema_agree_on_every_key_with_boundary_values():
    """Each documented key set to values at and over its limits, one at a time, in an otherwise valid file."""
    from .test_spec_docs import schema_keys

    assert S.fast_check("workflow")(_base()) is True
    checked = 0
    for path, _ in schema_keys():
        for value in PROBES:
            doc = _base()
            _set(doc, path, copy.deepcopy(value))
            _agree("workflow", doc)
            checked += 1
    assert checked > 1000
    both = _base()
    both["steps"][0]["bash"] = "true"  # a step with two kinds: oneOf wants exactly one
    _agree("workflow", both)
    assert S.fast_check("workflow")(both) is False
