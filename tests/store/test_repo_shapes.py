"""Repository shapes (issue 12) and git's own rules (issue 15): shared repositories, the runs branch,
file names, GIT_DIR, git's environment list, storage that dedups, schema 1 records."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from conftest import git, repo_state  # noqa: E402
from reliability_support import assert_clean_error, init_repo, settle, tiny_repo  # noqa: E402

from rerun_git.errors import RerunError  # noqa: E402
from rerun_git.store.repo import Repo, clean_environment, local_env_vars, run_git, shared_mode, shared_permissions  # noqa: E402


def _loose_objects(repo: Path) -> dict[str, Path]:
    objects = Path(git(repo, "rev-parse", "--git-common-dir").strip())
    objects = (objects if objects.is_absolute() else repo / objects) / "objects"
    return {d.name + f.name: f for d in objects.iterdir() if len(d.name) == 2 for f in d.iterdir()}


# ---------------------------------------------------------------- core.sharedRepository
@pytest.fixture
def strict_umask():
    old = os.umask(0o077)  # without sharing, nothing would be group-readable
    yield
    os.umask(old)


def test_objects_in_a_shared_group_repository_get_the_permissions_git_gives_them(tmp_path: Path, cli, strict_umask) -> None:
    repo = tmp_path / "repo"
    git(tmp_path, "init", "-q", "--shared=group", str(repo))
    from reliability_support import write_tiny_project

    write_tiny_project(repo)
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "project")
    before = set(_loose_objects(repo))
    assert cli("run", "--name", "shared", cwd=repo).code == 0
    ours = {sha: path for sha, path in _loose_objects(repo).items() if sha not in before}
    assert len(ours) > 5
    reference = repo / "by-git.txt"
    reference.write_text("written by git itself\n")
    written = git(repo, "hash-object", "-w", str(reference)).strip()
    by_git = _loose_objects(repo).get(written)
    assert by_git is not None, (written, sorted(_loose_objects(repo))[:5], git(repo, "count-objects", "-v"))
    for sha, path in ours.items():
        assert stat.S_IMODE(path.stat().st_mode) == stat.S_IMODE(by_git.stat().st_mode) == 0o440, sha
        folder = stat.S_IMODE(path.parent.stat().st_mode)
        assert folder & 0o2770 == 0o2770, f"{path.parent} is {oct(folder)}"
    assert git(repo, "fsck", "--strict", "--no-dangling").strip() == ""


@pytest.mark.parametrize("value, mode, folder", [
    ("group", 0o440, 0o2770), ("true", 0o440, 0o2770), ("all", 0o444, 0o2775), ("0640", 0o440, 0o2750),
    ("umask", None, None), ("false", None, None), (None, None, None),
])
def test_shared_repository_values_are_read_as_git_reads_them(value, mode, folder) -> None:
    shared = shared_permissions(value)
    if mode is None:
        assert shared is None
        return
    assert stat.S_IMODE(shared_mode(0o400, shared)) == mode  # a read-only object file under umask 077
    assert stat.S_IMODE(shared_mode(stat.S_IFDIR | 0o700, shared, directory=True)) == folder


# ---------------------------------------------------------------- the runs branch
def _hint_and_unmoved(result, repo: Path, before, message: str) -> None:
    assert_clean_error(result.code, result.err)
    assert message in result.err and "hint:" in result.err
    assert repo_state(repo) == before


def test_a_runs_branch_checked_out_in_a_linked_worktree_is_refused(tmp_path: Path, cli) -> None:
    repo = tiny_repo(tmp_path / "repo")
    assert cli("run", "--name", "first", cwd=repo).code == 0
    git(repo, "worktree", "add", "-q", str(tmp_path / "wt"), "rerun/runs")
    tip = git(repo, "rev-parse", "rerun/runs")
    settle(repo)
    before = repo_state(repo)
    _hint_and_unmoved(cli("run", "--name", "second", cwd=repo), repo, before, "is checked out in")
    assert git(repo, "rev-parse", "rerun/runs") == tip
    assert git(repo, "tag", "-l", "run/*").split() == ["run/first"]


def test_refs_branch_main_is_refused_and_main_never_moves(tmp_path: Path, cli) -> None:
    repo = tiny_repo(tmp_path / "repo")
    (repo / "rerun.toml").write_text((repo / "rerun.toml").read_text() + '\n[refs]\nbranch = "main"\n')
    git(repo, "commit", "-q", "-am", "runs on main")
    settle(repo)
    before, main = repo_state(repo), git(repo, "rev-parse", "main")
    _hint_and_unmoved(cli("run", "--name", "on-main", cwd=repo), repo, before, "runs branch main is checked out")
    assert git(repo, "rev-parse", "main") == main and git(repo, "tag", "-l") == ""


def test_an_unborn_checked_out_branch_is_refused_too(tmp_path: Path, cli) -> None:
    from reliability_support import write_tiny_project

    repo = init_repo(tmp_path / "repo", commit=False)
    write_tiny_project(repo, {"rerun.toml": '[refs]\nbranch = "main"\n'})
    result = cli("run", "--name", "unborn", cwd=repo)
    assert_clean_error(result.code, result.err)
    assert "checked out" in result.err
    assert git(repo, "rev-parse", "--verify", "-q", "main", check=False) == ""


def test_a_users_own_branch_under_the_runs_name_is_refused(tmp_path: Path, cli) -> None:
    repo = tiny_repo(tmp_path / "repo")
    git(repo, "branch", "rerun/runs")  # the user's, pointing at their own history
    mine = git(repo, "rev-parse", "rerun/runs")
    settle(repo)
    before = repo_state(repo, own_refs=("refs/tags/run/",))
    result = cli("run", "--name", "adopt", cwd=repo)
    assert_clean_error(result.code, result.err)
    assert "was not started by rerun-git" in result.err and "hint:" in result.err
    assert git(repo, "rev-parse", "rerun/runs") == mine
    assert repo_state(repo, own_refs=("refs/tags/run/",)) == before


# ---------------------------------------------------------------- file names
@pytest.mark.parametrize("name, why", [(b"bad\xff.py", "not valid UTF-8"), (b"two\nlines.py", "line break")])
def test_file_names_git_cannot_show_faithfully_are_refused_in_one_line(tmp_path: Path, cli, name: bytes, why: str) -> None:
    repo = tiny_repo(tmp_path / "repo")
    with open(os.path.join(os.fsencode(repo), name), "wb") as handle:
        handle.write(b"VALUE = 1\n")
    result = cli("run", "--name", "odd", cwd=repo)
    assert_clean_error(result.code, result.err)
    assert why in result.err and "exclude" in result.err
    assert git(repo, "tag", "-l") == ""
    (repo / "rerun.toml").write_text((repo / "rerun.toml").read_text() + '\nexclude = ["bad*", "two*"]\n')
    assert cli("run", "--name", "excluded", cwd=repo).code == 0


# ---------------------------------------------------------------- GIT_DIR and the environment
def test_create_never_makes_a_nested_repository_under_a_users_git_dir(tmp_path: Path, cli, monkeypatch) -> None:
    repo = init_repo(tmp_path / "repo")
    monkeypatch.setenv("GIT_DIR", str(repo / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(repo))
    result = cli("create", str(tmp_path / "elsewhere" / "proj"), cwd=tmp_path)
    assert_clean_error(result.code, result.err)
    assert "GIT_DIR" in result.err
    assert not (tmp_path / "elsewhere" / "proj" / ".git").exists()


def test_a_git_dir_without_a_work_tree_is_refused_in_one_line(tmp_path: Path, monkeypatch) -> None:
    repo = init_repo(tmp_path / "repo")
    plain = tmp_path / "plain"
    plain.mkdir()
    monkeypatch.setenv("GIT_DIR", str(repo / ".git"))
    with pytest.raises(RerunError, match="GIT_DIR=.* is set"):
        Repo.open(plain)


def test_the_environment_is_cleaned_by_gits_own_list(monkeypatch) -> None:
    listed = subprocess.run(["git", "rev-parse", "--local-env-vars"], capture_output=True, text=True).stdout.split()
    assert local_env_vars() == frozenset(listed) and "GIT_DIR" in listed and "GIT_COMMON_DIR" in listed
    for name in listed:
        monkeypatch.setenv(name, "/elsewhere")
    env = clean_environment()
    assert {"GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT"} & set(env) == {"GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT"}
    assert not (set(listed) - {"GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT"}) & set(env)


def test_a_failing_git_command_is_named_past_its_options(repo: Path) -> None:
    with pytest.raises(RerunError, match=r"^git rev-parse failed: fatal: "):
        run_git(["-c", "core.quotePath=false", "rev-parse", "--verify", "no-such-revision"], repo)


# ---------------------------------------------------------------- storage that dedups, schema 1
def test_an_unchanged_rerun_adds_at_most_3_kib_and_shares_env_and_files(tmp_path: Path, cli) -> None:
    repo = tiny_repo(tmp_path / "repo")
    for name in ("one", "two"):
        assert cli("run", "--name", name, cwd=repo).code == 0
    before = set(_loose_objects(repo))
    assert cli("run", "--name", "three", cwd=repo).code == 0
    sizes = {sha: path.stat().st_size for sha, path in _loose_objects(repo).items() if sha not in before}
    for part in (".rerun/env.toml", ".rerun/files.toml"):
        assert git(repo, "rev-parse", f"run/two:{part}") == git(repo, "rev-parse", f"run/three:{part}")
    assert git(repo, "rev-parse", "run/three^{commit}").strip() in sizes
    assert sum(sizes.values()) <= 3 * 1024, sizes


def test_a_schema_1_record_still_loads_and_reproduces(tmp_path: Path, cli) -> None:
    import tomllib

    import tomli_w

    from conftest import publish_tree
    from rerun_git.record.run_record import decode_none, encode_none
    from rerun_git.store.objects import ObjectWriter, TreeEntry
    from rerun_git.store.runs import list_tree

    repo = tiny_repo(tmp_path / "repo")
    assert cli("run", "--name", "new", cwd=repo).code == 0
    opened = Repo.open(repo)
    writer = ObjectWriter(opened)
    entries = {path: TreeEntry(mode, sha) for mode, sha, path in list_tree(opened, "run/new^{commit}")}
    record = decode_none(tomllib.loads(git(repo, "show", "run/new:.rerun/run.toml")))
    assert record["schema"] == 2 and "env" not in record and "files" not in record
    record.update(schema=1, name="old",
                  env=tomllib.loads(git(repo, "show", "run/new:.rerun/env.toml")),
                  files=tomllib.loads(git(repo, "show", "run/new:.rerun/files.toml")))
    del entries[".rerun/env.toml"], entries[".rerun/files.toml"]
    entries[".rerun/run.toml"] = TreeEntry("100644", writer.write_blob(tomli_w.dumps(encode_none(record)).encode()))
    publish_tree(repo, "old", writer.write_tree(entries))
    shown = cli("show", "old", cwd=repo)
    assert shown.code == 0 and "old" in shown.out
    result = cli("reproduce", "old", cwd=repo)
    assert result.code == 0, result.err
