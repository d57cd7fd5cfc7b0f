"""Property-based: mutated or random YAML yields a Workflow or ConfigErrors, nothing else, quickly."""

from __future__ import annotations

import signal
import tempfile
from contextlib import contextmanager
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hevo_dagfactory.spec import ConfigError, ConfigErrors, Workflow, load_file, load_paths

from .conftest import FIXTURES, REPO

SEEDS = [p.read_text(encoding="utf-8") for p in sorted((REPO / "configs").glob("*.yaml")) if p.name != "defaults.yaml"]
SEEDS += [p.read_text(encoding="utf-8") for p in sorted((FIXTURES / "broken").glob("*.yaml"))]
PER_EXAMPLE_SECONDS = 5
SNIPPETS = [
    ":",
    "- ",
    "  ",
    "\n",
    "[",
    "]",
    "{",
    "}",
    "&a ",
    "*a",
    "<<: *a",
    "!!python/name:os.system",
    "'",
    '"',
    "${X}",
    "$$",
    "${UNSET_HEVO_FUZZ}",
    "\t",
    "#",
    "---\n",
    "~",
    "null",
    "0",
    "-1",
    "1e9",
    "2026-13-45",
    "after: [x]",
    "id: dup",
    "\\0",
    "\x00",
    "\ufeff",
    "é",
    "@daily",
    "* * * * *",
    "steps:",
    "syncs:",
]

FUZZ = settings(
    max_examples=120,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@contextmanager
def time_limit(seconds: int):
    """Fail (instead of hanging the suite) if one load takes longer than ``seconds``."""

    def boom(signum, frame):
        raise TimeoutError(f"loading took more than {seconds}s")

    old = signal.signal(signal.SIGALRM, boom)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _check(text: str | bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.yaml"
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
        with time_limit(PER_EXAMPLE_SECONDS):
            try:
                result = load_file(path)
            except ConfigErrors as exc:
                assert exc.errors and all(isinstance(e, ConfigError) for e in exc.errors)
                for err in exc.errors:
                    assert err.error_type != "internal", str(err)
                    assert err.message and str(err)
                    if err.line is not None:
                        assert err.line >= 1 and (err.col is None or err.col >= 1)
            else:
                assert isinstance(result, Workflow)
            folder = load_paths([tmp])  # the folder path must behave the same
            assert all(isinstance(e, ConfigError) and e.error_type != "internal" for e in folder.errors)


@st.composite
def mutated(draw):
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["insert", "delete", "replace", "dupline", "swaplines", "indent"]))
        pos = draw(st.integers(0, len(text)))
        if kind == "insert":
            text = text[:pos] + draw(st.sampled_from(SNIPPETS) | st.text(max_size=4)) + text[pos:]
        elif kind == "delete":
            text = text[:pos] + text[pos + draw(st.integers(1, 12)) :]
        elif kind == "replace":
            text = text[:pos] + draw(st.sampled_from(SNIPPETS)) + text[pos + draw(st.integers(1, 6)) :]
        else:
            lines = text.split("\n")
            i = draw(st.integers(0, max(0, len(lines) - 1)))
            j = draw(st.integers(0, max(0, len(lines) - 1)))
            if kind == "dupline":
                lines.insert(j, lines[i])
            elif kind == "swaplines":
                lines[i], lines[j] = lines[j], lines[i]
            else:
                lines[i] = " " * draw(st.integers(0, 5)) + lines[i].lstrip()
            text = "\n".join(lines)
    return text


@FUZZ
@given(mutated())
def test_mutated_yaml_only_ever_raises_config_errors(text):
    _check(text)


KEYS = [
    "dag_id",
    "schedule",
    "start_date",
    "end_date",
    "timezone",
    "catchup",
    "owner",
    "tags",
    "hevo",
    "defaults",
    "sync_defaults",
    "syncs",
    "steps",
    "environments",
    "id",
    "pipeline_id",
    "action",
    "completed_after",
    "after",
    "dbt",
    "bash",
    "command",
    "select",
    "project_dir",
    "profiles_dir",
    "env",
    "cwd",
    "region",
    "retry_delay",
    "poll_interval",
    "timeout",
    "execution_timeout",
    "retries",
    "max_active_runs",
    "threads",
    "vars",
    "assets",
    "prod",
]
# No cap on integers and durations with huge numbers: a 10**12 cap hid OverflowErrors in timedelta.
huge = st.integers(min_value=0, max_value=10**40)
durations = st.one_of(
    huge,
    huge.map(str),
    st.tuples(huge, st.sampled_from("dhms")).map(lambda t: f"{t[0]}{t[1]}"),
    st.tuples(huge, huge).map(lambda t: f"{t[0]}h{t[1]}m"),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(-10, 10).map(float),
    durations,
    st.sampled_from(
        [
            "run",
            "wait",
            "eu",
            "5m",
            "@daily",
            "0 6 * * *",
            "2026-01-01",
            "a",
            "",
            "${HOME}",
            "x\ny",
            "abc\n",
            "~",
            "~nosuchuser_fuzz/x",
            "${A:-${B:-c}}",
            "9999-12-31T23:59:59-12:00",
            "0001-01-01T00:00:00+14:00",
        ]
    ),
    st.text(max_size=8),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=4),
    max_leaves=20,
)


@FUZZ
@given(st.dictionaries(st.sampled_from(KEYS), values, min_size=1, max_size=6))
def test_random_documents_only_ever_raise_config_errors(doc):
    _check(yaml.safe_dump(doc, allow_unicode=True))


@FUZZ
@given(st.binary(max_size=200))
def test_random_bytes_only_ever_raise_config_errors(data):
    _check(b"syncs:\n" + data)


VALID_DOCS = [
    yaml.safe_load(p.read_text()) for p in sorted((REPO / "configs").glob("*.yaml")) if p.name != "defaults.yaml"
]


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, prefix + (i,))


@st.composite
def edited_valid_docs(draw):
    """A valid example with one or two values swapped for random ones: reaches the semantic checks."""
    import copy

    doc = copy.deepcopy(draw(st.sampled_from(VALID_DOCS)))
    for _ in range(draw(st.integers(1, 2))):
        paths = [p for p in _paths(doc) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = doc
        for part in path[:-1]:
            parent = parent[part]
        parent[path[-1]] = draw(values)
    return doc


@FUZZ
@given(edited_valid_docs())
def test_edited_valid_documents_only_ever_raise_config_errors(doc):
    _check(yaml.safe_dump(doc, allow_unicode=True))


#: keys holding numbers or durations, as (path in the document, create the parent mapping if missing)
NUMERIC = [
    ("max_active_runs",),
    ("defaults", "retries"),
    ("defaults", "retry_delay"),
    ("defaults", "execution_timeout"),
    ("sync_defaults", "poll_interval"),
    ("sync_defaults", "timeout"),
    ("syncs", 0, "pipeline_id"),
    ("syncs", 0, "poll_interval"),
    ("syncs", 0, "timeout"),
]


@FUZZ
@given(
    st.sampled_from(VALID_DOCS),
    st.sampled_from(NUMERIC),
    st.one_of(durations, st.integers(), st.floats(allow_nan=False, allow_infinity=False)),
)
def test_numbers_and_durations_of_any_size_only_raise_config_errors(doc, path, value):
    """Aimed at the keys the random edits above rarely reach with a huge value (timedelta overflowed there)."""
    import copy

    doc = copy.deepcopy(doc)
    doc.setdefault("syncs", [{"id": "fuzz_sync", "pipeline_id": 1}])
    node = doc
    for part in path[:-1]:
        node = node.setdefault(part, {}) if isinstance(part, str) else node[part]
    node[path[-1]] = value
    _check(yaml.safe_dump(doc, allow_unicode=True))
