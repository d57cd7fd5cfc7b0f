"""Team folders: workflow files in subfolders, the ``defaults.yaml`` chain, global dag_ids, ``.airflowignore``."""

from __future__ import annotations

from pathlib import Path

from hevo_dagfactory.spec import find_workflow_files, load_file, load_paths

WF = "syncs: [{id: orders, pipeline_id: 7}]\n"


def rel(paths: list[Path], root: Path = Path(".")) -> list[str]:
    return [Path(p).relative_to(root).as_posix() for p in paths]


def test_subfolders_are_searched_sorted_by_path(write):
    write("b.yaml", WF)
    write("team_a/x.yaml", WF.replace("orders", "x"))
    write("team_a/deep/y.yaml", WF)
    write("team_b/a.yaml", WF)
    write("_drafts/old.yaml", WF)  # folders starting with _ or . are not searched
    write(".git/z.yaml", WF)
    assert rel(find_workflow_files(".")) == ["b.yaml", "team_a/deep/y.yaml", "team_a/x.yaml", "team_b/a.yaml"]


def test_nearest_defaults_win_maps_merge_key_by_key_lists_are_replaced(write):
    write(
        "defaults.yaml",
        """
        owner: data
        tags: [company]
        timezone: Europe/Berlin
        defaults: {retries: 3, retry_delay: 1m}
        params: {resync: true}
        notify: [{slack: company_alerts}]
        deadline: {after: 2h}
        environments: {qa: {}}
        """,
    )
    write(
        "team/defaults.yaml",
        """
        owner: team
        tags: [team]
        defaults: {retries: 0}
        params: {dbt_full_refresh: true}
        deadline: null
        """,
    )
    path = write("team/sub/w.yaml", WF + "steps: [{id: b, dbt: {command: run}}]\nnotify: []\n")
    wf = load_file(path, root=".")
    assert wf.owner == "team" and wf.tags == ("team",) and wf.timezone == "Europe/Berlin"
    assert (wf.defaults.retries, wf.defaults.retry_delay.total_seconds()) == (0, 60)
    assert wf.params.names() == ("resync", "dbt_full_refresh")  # map merged: both built-ins
    assert wf.notify == () and wf.deadline is None  # the nearer layer switched them off
    assert wf.origin.defaults_files == ("defaults.yaml", "team/defaults.yaml")
    # environments declared anywhere in the chain are known
    assert load_file(path, root=".", env="qa").environment == "qa"
    # without the root only the file's own folder counts (it has no defaults file)
    assert load_file(path).owner == "airflow"


def test_a_folder_argument_is_the_root_of_its_files(write):
    write("defaults.yaml", "owner: data\n")
    write("team/defaults.yaml", "tags: [team]\n")
    write("team/w.yaml", WF)
    (wf,) = load_paths(["."]).workflows
    assert (wf.owner, wf.tags) == ("data", ("team",))
    (wf,) = load_paths(["team/w.yaml"], root=".").workflows
    assert (wf.owner, wf.tags) == ("data", ("team",))
    (wf,) = load_paths(["team/w.yaml"]).workflows
    assert (wf.owner, wf.tags) == ("airflow", ("team",))


def test_dag_ids_are_unique_across_folders_and_the_error_names_both_files(write):
    write("team_a/orders.yaml", WF)
    write("team_b/orders.yaml", WF)
    result = load_paths(["."])
    assert [w.source.relative_to(Path.cwd()).as_posix() for w in result.workflows] == ["team_a/orders.yaml"]
    assert [str(e) for e in result.errors] == [
        "team_b/orders.yaml:1:1: dag_id 'orders' is already used by team_a/orders.yaml [/dag_id]; "
        "give each workflow its own dag_id (or file name)"
    ]


def test_a_broken_parent_defaults_file_stops_its_subfolders_only(write):
    write("defaults.yaml", "owner: data\n")
    write("team/defaults.yaml", "ownr: team\n")
    write("team/w.yaml", WF)
    write("other.yaml", WF.replace("orders", "o"))
    result = load_paths(["."])
    assert [w.dag_id for w in result.workflows] == ["other"]
    assert [str(e) for e in result.errors] == [
        "team/defaults.yaml:1:1: unknown key 'ownr' [/ownr]; did you mean 'owner'?",
        "team/w.yaml:1:1: not loaded because the folder's defaults file has errors; fix the defaults file first",
    ]


def test_airflowignore_glob_is_honoured_in_every_folder(write):
    write(".airflowignore", "# comments and blank lines are skipped\n\nscratch/\n*_old.yaml\n")
    write("team/.airflowignore", "/local.yaml\n!keep_old.yaml\n")
    for name in ("a.yaml", "b_old.yaml", "scratch/c.yaml", "team/local.yaml", "team/keep_old.yaml", "team/x.yaml"):
        write(name, WF)
    write("team/sub/local.yaml", WF)  # "/local.yaml" is anchored to team/, so team/sub/local.yaml stays
    assert rel(find_workflow_files(".")) == ["a.yaml", "team/keep_old.yaml", "team/sub/local.yaml", "team/x.yaml"]


def test_airflowignore_regexp_matches_the_path_below_the_searched_folder(write):
    write(".airflowignore", "^team/.*_old\n")
    write("team/.airflowignore", "skip\n")
    for name in ("a_old.yaml", "team/b_old.yaml", "team/skip_me.yaml", "team/ok.yaml", "skipped/x.yaml"):
        write(name, WF)
    # team/.airflowignore's "skip" applies only in team/ and below; the root's regexp sees "team/b_old.yaml"
    assert rel(find_workflow_files(".", "regexp")) == ["a_old.yaml", "skipped/x.yaml", "team/ok.yaml"]


def test_validate_takes_the_ignore_syntax_and_root_options(write, capsys):
    from hevo_dagfactory.cli import main

    write(".airflowignore", "old.yaml\n")
    write("old.yaml", "syncs: [{id: x, pipeline_idd: 1}]\n")  # broken, but ignored by both syntaxes
    write("defaults.yaml", "owner: data\n")
    write("team/w.yaml", WF)
    assert main(["validate", "."]) == 0
    assert main(["validate", "--ignore-syntax", "regexp", "."]) == 0
    assert main(["validate", "--root", ".", "team/w.yaml", "-q"]) == 0
    capsys.readouterr()
    assert main(["show", "--root", ".", "team/w.yaml"]) == 0
    assert "defaults from: defaults.yaml" in capsys.readouterr().out
