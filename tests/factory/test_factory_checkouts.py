"""The model cache across Git checkouts, with real git in the layout of apache-airflow-providers-git's GitDagBundle.

    <bundle>/bare             a bare clone of the repository
    <bundle>/tracking_repo    what the dag-processor parses; a refresh fetches and `git reset --hard`s it in place
    <bundle>/versions/<sha>   what a worker runs a task of DAG version <sha> from: a clone at <sha>, .git removed

Results are keyed by content (``cachekeys.py``), so a checkout that rewrote unchanged files, or a
new version's checkout, finds them; build plans move their paths into the replaying checkout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.factory.helpers import write

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_SYSTEM": os.devnull,
}

WORKFLOW = """\
dag_id: {dag_id}
schedule: null
start_date: 2026-01-01
syncs:
  - {{id: orders, pipeline_id: {pid}}}
steps:
  - id: build
    dbt: {{command: build, project_dir: ../dbt}}
"""


def git(cwd: Path, *args: str) -> str:
    out = subprocess.run(
        ["git", *args], cwd=cwd, env={**os.environ, **GIT_ENV}, check=True, capture_output=True, text=True, timeout=60
    )
    return out.stdout.strip()


class Bundle:
    """A repository with workflow files in ``configs/`` and the GitDagBundle folders of one Airflow host."""

    def __init__(self, tmp: Path):
        self.src, self.base = tmp / "src", tmp / "bundles" / "hevo"
        (self.src / "configs").mkdir(parents=True)
        (self.src / "dbt").mkdir()
        (self.src / "dbt" / "dbt_project.yml").write_text("name: x\n")
        for i in range(4):
            write(self.src / "configs", f"wf{i}.yaml", WORKFLOW.format(dag_id=f"wf{i}", pid=i + 1))
        git(self.src, "init", "-q", "-b", "main")
        self.commit("four workflows")
        self.base.mkdir(parents=True)
        git(self.base, "clone", "-q", "--bare", str(self.src), "bare")
        git(self.base, "clone", "-q", "bare", "tracking_repo")
        self.tracking = self.base / "tracking_repo" / "configs"

    def commit(self, message: str) -> str:
        git(self.src, "add", "-A")
        git(self.src, "commit", "-q", "-m", message)
        return git(self.src, "rev-parse", "HEAD")

    def refresh(self) -> None:
        """What GitDagBundle.refresh does: fetch into bare and tracking_repo, reset --hard in place."""
        git(self.base / "bare", "fetch", "-q", "origin", "+refs/heads/*:refs/heads/*")
        git(self.base / "tracking_repo", "fetch", "-q", "origin")
        git(self.base / "tracking_repo", "reset", "-q", "--hard", "origin/main")

    def version(self, sha: str) -> Path:
        """What a task of version ``sha`` runs from: a clone of bare at ``sha``, .git pruned."""
        git(self.base / "bare", "fetch", "-q", "origin", "+refs/heads/*:refs/heads/*")  # the version must be there
        folder = self.base / "versions" / sha
        git(self.base, "clone", "-q", "bare", str(folder.relative_to(self.base)))
        git(folder, "reset", "-q", "--hard", sha)
        shutil.rmtree(folder / ".git")
        return folder / "configs"


def _load(folder: Path) -> tuple[dict, dict]:
    from hevo_dagfactory import load_workflows
    from hevo_dagfactory.factory import cache
    from hevo_dagfactory.factory.loader import LAST_RUN

    cache.reset()  # each parse is a new process in Airflow
    dags = load_workflows(folder, {"__file__": str(folder / "loader.py")})
    return dags, dict(LAST_RUN)


@pytest.fixture
def bundle(tmp_path):
    return Bundle(tmp_path)


def test_a_one_file_commit_validates_that_file_only(bundle):
    _, first = _load(bundle.tracking)
    assert first["validated"] == 4
    path = bundle.src / "configs" / "wf2.yaml"
    path.write_text(path.read_text().replace("pipeline_id: 3", "pipeline_id: 33"))
    bundle.commit("wf2 syncs pipeline 33")
    bundle.refresh()
    dags, stats = _load(bundle.tracking)
    assert (stats["validated"], stats["replayed"]) == (1, 3)
    assert dags["wf2"].get_task("orders").pipeline_id == 33


def test_a_fresh_clone_at_the_same_path_is_served_from_the_cache(bundle):
    """A new dag-processor pod with a persistent cache: every file has a new mtime, none a new content."""
    _load(bundle.tracking)
    shutil.rmtree(bundle.base / "tracking_repo")
    time.sleep(0.01)  # new files, new mtimes
    git(bundle.base, "clone", "-q", "bare", "tracking_repo")
    _, stats = _load(bundle.tracking)
    assert (stats["validated"], stats["replayed"]) == (0, 4)


def test_a_worker_on_a_new_version_replays_the_plan_in_its_own_checkout(bundle, parsing_context):
    _load(bundle.tracking)  # the dag-processor's full parse
    (bundle.src / "README").write_text("a commit that changes no workflow\n")
    sha = bundle.commit("docs")
    bundle.refresh()
    version = bundle.version(sha)
    parsing_context("wf1")
    dags, stats = _load(version)
    assert list(dags) == ["wf1"] and (stats["validated"], stats["replayed"], stats["files"]) == (0, 1, 0)
    argv = dags["wf1"].get_task("build").dbt_argv
    assert argv[argv.index("--project-dir") + 1] == str(version.parent / "dbt")  # its own checkout's dbt


def test_a_workers_own_cache_of_an_earlier_version_serves_the_next(bundle, parsing_context, monkeypatch, tmp_path):
    """A worker on another host: its cache holds only what its own earlier tasks left."""
    from hevo_dagfactory.factory import cache

    monkeypatch.setenv("HEVO_DAGFACTORY_CACHE_DIR", str(tmp_path / "worker-cache"))
    cache.reset(disk=True)
    parsing_context("wf1")
    first = bundle.version(git(bundle.src, "rev-parse", "HEAD"))
    _, stats = _load(first)  # nothing known yet: every file validated, one DAG built
    assert (stats["validated"], stats["files"]) == (4, 4)
    path = bundle.src / "configs" / "wf3.yaml"
    path.write_text(path.read_text().replace("pipeline_id: 4", "pipeline_id: 44"))
    second = bundle.version(bundle.commit("wf3 changes"))
    dags, stats = _load(second)
    assert (stats["validated"], stats["replayed"], stats["files"]) == (0, 1, 0)
    assert str(second.parent / "dbt") in dags["wf1"].get_task("build").bash_command


def test_a_file_that_spells_its_checkouts_path_keeps_its_plan_to_itself(bundle, parsing_context):
    """A literal path into the checkout is the user's: it is never moved into another checkout."""
    literal = bundle.base / "tracking_repo" / "dbt"
    path = bundle.src / "configs" / "wf0.yaml"
    path.write_text(path.read_text().replace("project_dir: ../dbt", f"project_dir: {literal}"))
    sha = bundle.commit("wf0 names its dbt project by absolute path")
    bundle.refresh()
    _load(bundle.tracking)
    parsing_context("wf0")
    dags, stats = _load(bundle.version(sha))
    assert stats["validated"] == 1 and stats["replayed"] == 0
    assert str(literal) in dags["wf0"].get_task("build").bash_command


def test_entries_nobody_reads_are_pruned_and_a_hit_keeps_an_entry(bundle):
    from hevo_dagfactory.factory import cache, cachedir

    _load(bundle.tracking)
    entries = sorted(cachedir.entries_dir().glob("*.pkl"))
    assert len(entries) == 4
    old = time.time() - cache.ENTRY_MAX_AGE_S - 60
    for entry in entries:
        os.utime(entry, (old, old))
    _load(bundle.tracking)  # every entry read: each one's age is refreshed
    assert cache.prune_entries(time.time()) == 0
    os.utime(entries[0], (old, old))
    assert cache.prune_entries(time.time()) == 1 and not entries[0].exists()
