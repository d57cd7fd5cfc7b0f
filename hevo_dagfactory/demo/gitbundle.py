"""The Git repository the cluster stack's DAG bundle reads: a local bare repository plus a work clone.

In production "commit the YAML to the dags folder" means a git commit that Airflow's GitDagBundle fetches.
The cluster stack does exactly that on one machine: it creates ``workflows.git`` (bare, the "remote"),
commits the loader and the workflow files into it through a work clone, and the bundle's connection points
at the bare repository's path. Tests commit changes the same way (:meth:`BundleRepo.commit`) and Airflow
picks them up at its next bundle refresh. Git runs with the caller's own git configuration switched off, so
a user's hooks, signing or templates cannot change what is committed.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

from hevo_dagfactory.demo.procs import StackError

BRANCH = "main"
DAGS_SUBDIR = "dags"
#: The README's loader, word for word: every workflow YAML file beside it becomes a DAG.
LOADER_NAME = "hevo_workflows.py"
LOADER_TEXT = (
    "# Airflow DAG loader: every hevo-dagfactory workflow YAML file beside this file becomes a DAG.\n"
    "from hevo_dagfactory import load_workflows\n"
    "\n"
    "load_workflows()\n"
)


def _git_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        {
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "hevo-dagfactory demo",
            "GIT_AUTHOR_EMAIL": "demo@example.invalid",
            "GIT_COMMITTER_NAME": "hevo-dagfactory demo",
            "GIT_COMMITTER_EMAIL": "demo@example.invalid",
            "GIT_TERMINAL_PROMPT": "0",
        }
    )
    return env


def git(*args: str, cwd: Path) -> str:
    """Run ``git args`` in ``cwd``; its output, or ``StackError`` with git's message."""
    try:
        proc = subprocess.run(
            ["git", *args], cwd=cwd, env=_git_env(), capture_output=True, text=True, timeout=60, check=False
        )
    except FileNotFoundError as exc:
        raise StackError("git is not installed: `apt-get install -y git` (the Git DAG bundle needs it)") from exc
    if proc.returncode != 0:
        raise StackError(f"git {' '.join(args)} failed in {cwd}: {(proc.stderr or proc.stdout).strip()[-1000:]}")
    return proc.stdout.strip()


class BundleRepo:
    """``<root>/workflows.git`` (bare) and ``<root>/workflows`` (the clone that commits and pushes)."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.bare = self.root / "workflows.git"
        self.work = self.root / "workflows"

    @property
    def dags(self) -> Path:
        """The bundle's DAG folder in the work clone (the loader and the workflow files)."""
        return self.work / DAGS_SUBDIR

    def create(self, workflows: Mapping[str, str], message: str = "the example workflows and the loader") -> str:
        """A new repository whose first commit holds the loader and ``workflows`` (file name -> text)."""
        self.root.mkdir(parents=True, exist_ok=True)
        git("init", "-q", "--bare", f"--initial-branch={BRANCH}", str(self.bare), cwd=self.root)
        git("init", "-q", f"--initial-branch={BRANCH}", str(self.work), cwd=self.root)
        git("remote", "add", "origin", str(self.bare), cwd=self.work)
        return self.commit({LOADER_NAME: LOADER_TEXT, **workflows}, message)

    def commit(self, changes: Mapping[str, str | None], message: str) -> str:
        """Write (text) or delete (None) files of the DAG folder, commit, push; returns the new commit id."""
        self.dags.mkdir(parents=True, exist_ok=True)
        for name, text in changes.items():
            path = self.dags / name
            if text is None:
                path.unlink(missing_ok=True)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
        git("add", "-A", DAGS_SUBDIR, cwd=self.work)
        git("commit", "-q", "--allow-empty", "-m", message, cwd=self.work)
        git("push", "-q", "origin", f"HEAD:{BRANCH}", cwd=self.work)
        return self.head()

    def head(self) -> str:
        return git("rev-parse", "HEAD", cwd=self.work)
