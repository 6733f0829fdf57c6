"""The git store: objects, names, the ref transaction and worktrees, on real repositories."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import git, publish_tree
from rerun_git.errors import RerunError
from rerun_git.store.objects import ObjectWriter, TreeEntry, object_id
from rerun_git.store.repo import Repo
from rerun_git.store.runs import RefSettings, default_run_name, list_runs, resolve_run, validate_run_name
from rerun_git.store.worktree import add_worktree, list_worktrees, remove_stale_worktrees, remove_worktree



def small_tree(repo: Repo, data: bytes = b"x = 1\n") -> str:
    writer = ObjectWriter(repo)
    return writer.write_tree({"a.py": TreeEntry("100644", writer.write_blob(data))})


def publish(repo: Repo, name: str) -> str:
    return publish_tree(repo.top, name, small_tree(repo)).commit


def test_objects_match_stock_git(repo: Path) -> None:
    r = Repo.open(repo)
    writer = ObjectWriter(r)
    sha = writer.write_blob(b"hello\n")
    assert git(repo, "cat-file", "-p", sha) == "hello\n"
    assert sha == object_id("blob", b"hello\n")
    tree = writer.write_tree({"b/c.py": TreeEntry("100644", sha), "b.txt": TreeEntry("100644", sha), "a": TreeEntry("100755", sha)})
    listing = git(repo, "ls-tree", "-r", tree)
    assert "100755 blob" in listing and "b/c.py" in listing
    assert git(repo, "fsck", "--strict", "--no-dangling").strip() == ""
    written = writer.written
    writer.write_blob(b"hello\n")
    assert writer.written == written  # an object git holds is never written again


def test_tree_sorting_matches_git(repo: Path) -> None:
    r = Repo.open(repo)
    writer = ObjectWriter(r)
    blob = writer.write_blob(b"")
    names = ["a.b", "a/x", "a-b", "a0", "ab"]
    tree = writer.write_tree({n: TreeEntry("100644", blob) for n in names})
    git(repo, "fsck", "--strict", "--no-dangling")
    assert git(repo, "ls-tree", "--name-only", tree).split() == ["a-b", "a.b", "a", "a0", "ab"]


def test_publish_and_list(repo: Path) -> None:
    r = Repo.open(repo)
    first = publish(r, "one")
    second = publish(r, "two")
    runs, warnings = list_runs(r, RefSettings())
    assert [run.name for run in runs] == ["one", "two"] and warnings == []
    assert runs[1].commit == second and runs[1].metrics == {"x": 1.0}
    assert git(repo, "rev-list", "--first-parent", "rerun/runs").split()[:2] == [second, first]
    assert resolve_run(r, RefSettings(), "run/one").commit == first
    with pytest.raises(RerunError, match="already exists"):
        publish(r, "one")


def test_lightweight_and_foreign_tags_are_skipped(repo: Path) -> None:
    r = Repo.open(repo)
    git(repo, "tag", "run/light")
    git(repo, "tag", "-a", "-m", "a release", "run/release")
    runs, warnings = list_runs(r, RefSettings())
    assert runs == []
    assert len(warnings) == 2
    with pytest.raises(RerunError, match="is not a rerun-git run"):
        resolve_run(r, RefSettings(), "light")


def test_user_index_is_never_used(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    index = Path(git(repo, "rev-parse", "--absolute-git-dir").strip()) / "index"
    before = index.read_bytes()
    monkeypatch.setenv("GIT_INDEX_FILE", str(repo / "bogus-index"))
    monkeypatch.setenv("GIT_DIR", str(repo / "nowhere"))
    r = Repo.open(repo)
    publish(r, "hooked")
    assert index.read_bytes() == before
    assert not (repo / "bogus-index").exists()


@pytest.mark.parametrize("name", ["ok", "2026-11-26", "a.b_c+d-1", "A"])
def test_valid_names(name: str) -> None:
    assert validate_run_name(name) == name


def test_default_name_shape() -> None:
    name = default_run_name()
    assert validate_run_name(name) == name
    assert len(name) == len("20261126-050000-abcd")


def test_worktree_lifecycle(repo: Path) -> None:
    r = Repo.open(repo)
    path = add_worktree(r, "HEAD", "life").path
    assert (path / "README.md").is_file()
    entry = [w for w in list_worktrees(r) if w.path == path][0]
    assert entry.owner_pid == os.getpid()
    remove_worktree(r, path)
    assert not path.exists()
    assert len(list_worktrees(r)) == 1


def test_gc_removes_only_dead_rerun_worktrees(repo: Path, tmp_path: Path) -> None:
    r = Repo.open(repo)
    git(repo, "worktree", "add", "--detach", "--lock", "--reason", "rerun-git pid=999999999", str(tmp_path / "dead"), "HEAD")
    git(repo, "worktree", "add", "--detach", "--lock", "--reason", "mine, hands off", str(tmp_path / "theirs"), "HEAD")
    git(repo, "worktree", "add", "--detach", str(tmp_path / "plain"), "HEAD")
    mine = add_worktree(r, "HEAD", "alive").path
    removed = remove_stale_worktrees(r)
    assert removed == [tmp_path / "dead"]
    remaining = {w.path for w in list_worktrees(r)}
    assert {tmp_path / "theirs", tmp_path / "plain", mine} <= remaining


@pytest.mark.parametrize("prefix,branch", [("run", "rerun/runs"), ("-x/", "b"), ("run/", "-b"), ("run/", "a..b"), ("a/", "x.lock"), ("../", "b")])
def test_ref_settings_are_validated(prefix: str, branch: str) -> None:
    with pytest.raises(RerunError, match="rerun.toml: invalid refs"):
        RefSettings(prefix, branch)


def test_custom_prefix_and_branch(repo: Path) -> None:
    r = Repo.open(repo)
    refs = RefSettings("exp/runs/", "experiments")
    publish_tree(repo, "one", small_tree(r, b"1"), refs)
    assert [run.tag for run in list_runs(r, refs)[0]] == ["exp/runs/one"]
    assert git(repo, "rev-parse", "--verify", "-q", "refs/heads/experiments").strip()
