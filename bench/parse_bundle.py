"""Parsing from a Git DAG bundle: what a one-file commit costs the dag-processor, and a new version a worker.

Airflow 3's GitDagBundle (apache-airflow-providers-git 1.0.1) keeps, under the bundle storage path:

    <bundle>/bare              a bare clone of the repository
    <bundle>/tracking_repo     what the dag-processor parses; a refresh fetches and `git reset --hard`s it
                               in place, which rewrites only the files that changed
    <bundle>/versions/<sha>    what a worker runs a task of DAG version <sha> from: a clone of bare
                               reset to <sha>, its .git removed (a fresh folder: every file new)

This module builds that layout with real git under .bench/parse/bundle/ (the 1000 workflow files and
the loader of bench_parse.py committed at the repository's root) and times, each in a fresh process:

a) the dag-processor: a warm parse of tracking_repo, and the first parse after a commit changed one
   workflow file (target: <= 1.1x the warm parse);
b) a new dag-processor pod: tracking_repo with an empty cache, against the hand-written DAGs;
c) a worker starting a task of a new version (parsing context set, its version's folder): with the
   cache of the dag-processor on the same host; with only its own cache of an earlier version's task,
   the task's file unchanged or changed; and a new worker's first task (empty cache); against the
   hand-written one-DAG file.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
from pathlib import Path

import parse_common as common
from parse_common import OURS_LOADER, generate, ours_path, run_child, target_dag, target_index


def _root() -> Path:
    """Where the bundle's repository and hosts live: under the measured workload's folder."""
    return common.WORK / "bundle"


GIT_ENV = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_SYSTEM": os.devnull,
}


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, env={**os.environ, **GIT_ENV}, check=True, capture_output=True, text=True, timeout=600
    )
    return done.stdout.strip()


class GitBundle:
    """The repository and one host's GitDagBundle folders."""

    def __init__(self, n: int):
        root = _root()
        shutil.rmtree(root, ignore_errors=True)
        self.src, self.base = root / "repo", root / "storage" / "hevo"
        shutil.copytree(generate(n)["ours"], self.src)  # the workflows, team folders, defaults and loader
        (self.src / "hevo_workflows.py").write_text(OURS_LOADER)
        git(self.src, "init", "-q", "-b", "main")
        self.commit("workflows")
        self.base.mkdir(parents=True)
        git(self.base, "clone", "-q", "--bare", str(self.src), "bare")
        git(self.base, "clone", "-q", "bare", "tracking_repo")
        self.tracking = self.base / "tracking_repo"
        self.edits = 0

    def commit(self, message: str) -> str:
        git(self.src, "add", "-A")
        git(self.src, "commit", "-q", "-m", message)
        return git(self.src, "rev-parse", "HEAD")

    def change(self, index: int) -> str:
        """Commit a new description of workflow ``index``; returns the commit."""
        self.edits += 1
        path = self.src / ours_path(index)
        lines = path.read_text().splitlines(keepends=True)
        lines[1] = f"description: edited {self.edits} times\n"
        path.write_text("".join(lines))
        return self.commit(f"edit {index}")

    def refresh(self) -> None:
        """GitDagBundle.refresh: fetch into bare and tracking_repo, then reset --hard in place."""
        git(self.base / "bare", "fetch", "-q", "origin", "+refs/heads/*:refs/heads/*")
        git(self.tracking, "fetch", "-q", "origin")
        git(self.tracking, "reset", "-q", "--hard", "origin/main")

    def version(self, sha: str) -> Path:
        """GitDagBundle(version=sha).initialize: a clone of bare at ``sha`` with .git pruned."""
        git(self.base / "bare", "fetch", "-q", "origin", "+refs/heads/*:refs/heads/*")  # the version must be there
        folder = self.base / "versions" / sha
        git(self.base, "clone", "-q", "bare", str(folder.relative_to(self.base)))
        git(folder, "reset", "-q", "--hard", sha)
        shutil.rmtree(folder / ".git")
        return folder


def _parse(folder: Path, cache: Path, dag_id: str | None = None) -> dict:
    env = {"HEVO_DAGFACTORY_CACHE_DIR": str(cache)}
    if dag_id:
        env.update(_AIRFLOW_PARSING_CONTEXT_DAG_ID=dag_id, _AIRFLOW_PARSING_CONTEXT_TASK_ID="dbt_build")
    return run_child(folder / "hevo_workflows.py" if dag_id else folder, env)


def _dag_processor(bundle: GitBundle, repeat: int, cache: Path) -> dict[str, list[dict]]:
    """a) warm parses and first parses after a one-file commit, in turn."""
    runs: dict[str, list[dict]] = {"warm": [], "commit": []}
    _parse(bundle.tracking, cache)  # fill the cache
    for _ in range(repeat):
        runs["warm"].append(_parse(bundle.tracking, cache))
        bundle.change(0)
        bundle.refresh()
        runs["commit"].append(_parse(bundle.tracking, cache))
    return runs


def _new_pod(bundle: GitBundle, repeat: int, hand: Path) -> dict[str, list[dict]]:
    """b) the hand-written DAGs and tracking_repo with an empty cache, in turn."""
    runs: dict[str, list[dict]] = {"hand": [], "pod": []}
    for i in range(repeat):
        runs["hand"].append(run_child(hand))
        runs["pod"].append(_parse(bundle.tracking, _root() / f"cache-new-pod-{i}"))
    return runs


def _workers(bundle: GitBundle, repeat: int, cache: Path, one_hand: Path, n: int) -> dict[str, list[dict]]:
    """c) a task of a new version, in turn with the hand-written one-DAG file."""
    target = target_dag(n)
    own_cache = _root() / "cache-worker"
    runs: dict[str, list[dict]] = {"hand": [], "shared": [], "own": [], "own_changed": [], "fresh": []}
    _parse(bundle.version(bundle.change(1)), own_cache, target)  # the worker ran a task of an earlier version
    for i in range(repeat):
        runs["hand"].append(run_child(one_hand, {"_AIRFLOW_PARSING_CONTEXT_DAG_ID": target}))
        bundle.change(1)  # a commit that leaves the task's file as it was
        bundle.refresh()
        _parse(bundle.tracking, cache)  # the dag-processor parses the new version first
        version = bundle.version(git(bundle.src, "rev-parse", "HEAD"))
        runs["shared"].append(_parse(version, cache, target))
        runs["own"].append(_parse(version, own_cache, target))
        runs["fresh"].append(_parse(version, _root() / f"cache-new-worker-{i}", target))
        changed = bundle.version(bundle.change(target_index(n)))  # a commit that changes the task's file
        runs["own_changed"].append(_parse(changed, own_cache, target))
    return runs


def _median(runs: list[dict], figure: str = "fill") -> float:
    return statistics.median(r[figure] for r in runs)


def _cpu_ratio(runs: list[dict], base: list[dict]) -> str:
    """The same ratio in CPU time of the parsing process: steadier than wall time on a shared machine."""
    return f"(CPU {_median(runs, 'cpu') / _median(base, 'cpu'):4.2f}x)"


def _stats(runs: list[dict]) -> str:
    last = runs[-1]["stats"]
    return f"validated {last.get('validated')}, replayed {last.get('replayed')}, files listed {last.get('files')}"


def main(n: int, repeat: int, hand: Path, one_hand: Path) -> None:
    if shutil.which("git") is None:
        print("3) Git DAG bundle: skipped (git is not installed)")
        return
    bundle = GitBundle(n)
    cache = _root() / "cache-dag-processor"
    dp = _dag_processor(bundle, repeat, cache)
    pod = _new_pod(bundle, repeat, hand)
    workers = _workers(bundle, repeat, cache, one_hand, n)
    warm, commit = _median(dp["warm"]), _median(dp["commit"])
    print(f"3) Git DAG bundle ({n} workflows, GitDagBundle layout in {_root().relative_to(common.REPO)}/)")
    print(
        f"   dag-processor, warm parse of tracking_repo          {warm:8.3f} s   (hand-written: {_median(pod['hand']):.3f} s)"
    )
    print(
        f"   first parse after a one-file commit                 {commit:8.3f} s   {commit / warm:5.2f}x warm "
        + _cpu_ratio(dp["commit"], dp["warm"])
    )
    print(f"      ({_stats(dp['commit'])})")
    hand_fill, pod_fill = _median(pod["hand"]), _median(pod["pod"])
    print(
        f"   new dag-processor pod (empty cache) vs hand-written {pod_fill:8.3f} s   {pod_fill / hand_fill:5.2f}x "
        + _cpu_ratio(pod["pod"], pod["hand"])
    )
    one = _median(workers["hand"])
    print(f"   task start on a new version, DagBag fill (hand-written 1-DAG file: {one * 1000:.1f} ms)")
    for key, label in (
        ("shared", "cache shared with the dag-processor"),
        ("own", "worker's own cache of an earlier version"),
        ("own_changed", "same, the task's own file changed"),
        ("fresh", "a new worker's first task (empty cache)"),
    ):
        fill = _median(workers[key])
        print(
            f"     {label:46s} {fill * 1000:7.1f} ms   {fill / one:5.2f}x {_cpu_ratio(workers[key], workers['hand'])}"
            f"   ({_stats(workers[key])})"
        )
    print()
