"""One loader run over one config folder: which files, which DAGs, which placeholders, the dag_id index.

A full run (no parsing context) reads every workflow file, builds every good DAG, makes a
placeholder for each broken file (and for the second file of a duplicate dag_id), and records which
file holds which dag_id (``dagindex``). A run for one DAG (a worker about to run a task) reads only
the file the index names for it, or, in a DAG bundle version no full run has seen, the file
another folder's index names (``bundles.index_hints``).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from hevo_dagfactory.factory import cachedir, dagindex
from hevo_dagfactory.factory.checked import make_dag
from hevo_dagfactory.factory.fileresults import FileResults, dag_id_of
from hevo_dagfactory.provider.compat import DAG, conf

if TYPE_CHECKING:
    from hevo_dagfactory.factory.plan import Plan
    from hevo_dagfactory.spec.model import Workflow

log = logging.getLogger("hevo_dagfactory.factory")

CONFIG_DIR_ENV = "HEVO_DAGFACTORY_CONFIG_DIR"


class FolderRun:
    """One run over one config folder."""

    def __init__(self, root: Path):
        self.root = root
        self.stats = {"files": 0, "cached": 0, "validated": 0, "replayed": 0, "broken": 0}
        self.files = FileResults(root, self.stats)

    def run(self, wanted: str | None) -> tuple[dict[str, DAG], dict[str, int]]:
        if cachedir.prune_due():  # a stat per run; the real work at most once an hour
            from hevo_dagfactory.factory import bundles

            bundles.maybe_prune()
        if not self.root.is_dir():
            msg = (
                f"{self.root}: workflow folder not found; pass the folder to load_workflows() or set "
                f"{CONFIG_DIR_ENV} (relative paths resolve against the loader file)"
            )
            log.error("hevo-dagfactory: %s", msg)
            from hevo_dagfactory.factory.placeholder import accepted_placeholder, placeholder_dag_id

            pid = placeholder_dag_id("hevo_workflows__missing_folder")
            return accepted_placeholder(pid, self.root.name or str(self.root), [msg]), self.stats
        if wanted:
            found = self._only(wanted)
            if found is not None:
                return found, self.stats
        return self._all(wanted), self.stats

    # --- one DAG ----------------------------------------------------------------------------
    def _only(self, wanted: str) -> dict[str, DAG] | None:
        """Build just ``wanted`` from the one file the last full parse recorded for it.

        Without a record for this folder (a bundle version no full parse has seen), the records
        of other folders name candidate files (``bundles.index_hints``). Falls back (returns None)
        when no candidate holds ``wanted``; the caller then analyses every file but still builds
        only ``wanted``.
        """
        rel = dagindex.index_lookup(self.root, wanted)
        if rel is not None:
            return self._only_from(self.root / rel, wanted, hinted=False)
        from hevo_dagfactory.factory import bundles

        for rel in bundles.index_hints(self.root, wanted):
            found = self._only_from(self.root / rel, wanted, hinted=True)
            if found is not None:
                return found
        return None

    def _only_from(self, path: Path, wanted: str, *, hinted: bool) -> dict[str, DAG] | None:
        result, key = self.files.result_for(path)
        if result is None:
            return None
        if not isinstance(result, list):
            if dag_id_of(result) != wanted:
                return None
            made = make_dag(self.files, path, result, key)
            if made.skipped:
                return {}
            if made.dag is not None:
                return {wanted: made.dag}
            lines = made.errors  # rejected by Airflow's checks: its placeholder has this id
        elif hinted:
            return None  # another folder's record: this folder's placeholder id is not known
        else:  # a broken file whose placeholder carried this id in the last full parse
            lines = self.files.error_lines(path, result)
        from hevo_dagfactory.factory.placeholder import accepted_placeholder

        self.stats["broken"] += 1
        return accepted_placeholder(wanted, self.files.rel(path), lines)

    # --- every DAG --------------------------------------------------------------------------
    def _all(self, wanted: str | None) -> dict[str, DAG]:
        good, broken = self._sort_files()
        dags: dict[str, DAG] = {}
        index: dict[str, str] = {}
        for dag_id, (path, result, key) in good.items():
            if wanted is not None and dag_id != wanted:
                index[dag_id] = self.files.rel(path)
                continue
            made = make_dag(self.files, path, result, key)
            if made.dag is not None:
                dags[dag_id] = made.dag
                index[dag_id] = self.files.rel(path)
            elif not made.skipped:
                broken.append((path, made.errors))
        self._add_placeholders(broken, index, dags, wanted)
        self.files.store_remaining()
        dagindex.write_index(self.root, index)
        return dags

    def _sort_files(self) -> tuple[dict[str, tuple[Path, Plan | Workflow, tuple | None]], list[tuple[Path, list[str]]]]:
        """(dag_id → (file, plan or model, key) of each good file; (file, error lines) of each broken one)."""
        from hevo_dagfactory.spec import find_workflow_files

        # team folders too, .airflowignore as this Airflow reads it; in the spec's order (validate's)
        files = find_workflow_files(self.root, conf.get("core", "dag_ignore_file_syntax", fallback="glob"))
        self.stats["files"] = len(files)
        good: dict[str, tuple[Path, Plan | Workflow, tuple | None]] = {}
        broken: list[tuple[Path, list[str]]] = []
        for path in files:
            result, key = self.files.result_for(path, defer=True)
            if result is None:
                continue
            if isinstance(result, list):
                broken.append((path, self.files.error_lines(path, result)))
                continue
            dag_id = dag_id_of(result)
            if dag_id in good:
                first = self.files.rel(good[dag_id][0])
                line = f"{self.files.rel(path)}: dag_id {dag_id!r} is already used by {first}; "
                broken.append((path, [line + "give one of the two files another dag_id"]))
            else:
                good[dag_id] = (path, result, key)
        return good, broken

    def _add_placeholders(
        self, broken: list[tuple[Path, list[str]]], index: dict[str, str], dags: dict[str, DAG], wanted: str | None
    ) -> None:
        """A placeholder DAG per broken file, named in the index like a good file's DAG."""
        if not broken:
            return
        from hevo_dagfactory.factory.placeholder import accepted_placeholder, placeholder_dag_id

        taken = set(index)
        for path, lines in sorted(broken, key=lambda item: str(item[0])):
            pid = placeholder_dag_id(path.stem, taken)
            taken.add(pid)
            index[pid] = self.files.rel(path)
            self.stats["broken"] += 1
            # ERROR once per full parse (the dag-processor log); a worker building another DAG stays quiet.
            log.log(
                logging.ERROR if wanted is None else logging.DEBUG,
                "hevo-dagfactory: workflow file %s is broken; it is shown as placeholder DAG %r "
                "(tag config-error) until fixed:\n  %s",
                self.files.rel(path),
                pid,
                "\n  ".join(lines),
            )
            if wanted is None or pid == wanted:
                dags.update(accepted_placeholder(pid, self.files.rel(path), lines))
