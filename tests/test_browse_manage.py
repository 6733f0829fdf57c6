"""``checkout``, ``rm`` (with ``--prune-history``), ``gc``, ``check-env`` and ``export-env`` on real repositories."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from browse_support import BASE_FILES, make_run, record_data
from conftest import git, occupied_folder, repo_state


def tags(repo: Path) -> list[str]:
    return git(repo, "tag", "-l", "run/*").split()


def chain(repo: Path) -> list[str]:
    """Run names on the runs branch, newest first (from the commit subjects)."""
    subjects = git(repo, "log", "--first-parent", "--format=%s", "rerun/runs").splitlines()
    return [s[4:].split(":")[0] for s in subjects if s.startswith("run ")]


@pytest.fixture
def runs(repo: Path) -> Path:
    for index, name in enumerate(("a", "b", "c", "d")):
        files = {**BASE_FILES, "data.py": f"TEST_SIZE = 0.{index + 1}\n".encode()}
        results = {"baseline/d/split_0/ridge/test_metrics": {"MAE": float(index)}}
        make_run(repo, name, record_data(results=results), files, stamp=1_793_491_200 + 60 * index)
    return repo


# ---------------------------------------------------------------- checkout
def test_checkout_materialises_the_snapshot(runs: Path, cli, tmp_path: Path) -> None:
    before = repo_state(runs)
    target = tmp_path / "inspect"
    result = cli("checkout", "b", str(target), cwd=runs)
    assert result.code == 0, result.err
    assert (target / "data.py").read_text() == "TEST_SIZE = 0.2\n"
    assert (target / ".rerun" / "run.toml").is_file()
    assert git(target, "rev-parse", "HEAD").strip() == git(runs, "rev-parse", "run/b^{commit}").strip()
    assert "git worktree remove" in result.err and "dataset d.csv was too large to embed" in result.err
    assert repo_state(runs) == before  # the user's tree, index, HEAD and refs are untouched
    assert "locked" not in git(runs, "worktree", "list", "--porcelain")


def test_checkout_refuses_a_non_empty_dir_but_takes_an_empty_one(runs: Path, cli, tmp_path: Path) -> None:
    full = occupied_folder(tmp_path / "full")
    result = cli("checkout", "a", str(full), cwd=runs)
    assert result.code == 1 and "already exists and is not empty" in result.err
    assert sorted(p.name for p in full.iterdir()) == ["keep.txt"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert cli("checkout", "a", str(empty), cwd=runs).code == 0
    assert (empty / "settings.py").is_file()
    unknown = cli("checkout", "nope", str(tmp_path / "x"), cwd=runs)
    assert unknown.code == 1 and not (tmp_path / "x").exists()


# ---------------------------------------------------------------- rm
def test_rm_removes_tags_and_keeps_history(runs: Path, cli) -> None:
    branch = git(runs, "rev-parse", "rerun/runs").strip()
    result = cli("rm", "b", "run/c", cwd=runs)
    assert result.code == 0, result.err
    assert result.out.splitlines()[0].startswith("removed run/b (was ")
    assert tags(runs) == ["run/a", "run/d"]
    assert git(runs, "rev-parse", "rerun/runs").strip() == branch
    assert "--prune-history" in result.err
    assert chain(runs) == ["d", "c", "b", "a"]


def test_rm_with_an_unknown_name_removes_nothing(runs: Path, cli) -> None:
    result = cli("rm", "a", "bb", cwd=runs)
    assert result.code == 1 and "unknown run run/bb" in result.err
    assert tags(runs) == ["run/a", "run/b", "run/c", "run/d"]


def test_prune_history_drops_the_commit_and_rewrites_later_runs(runs: Path, cli) -> None:
    from rerun_git.browse.listing import show_run

    before = {name: show_run(name, runs)["record"] for name in "acd"}
    trees = {name: git(runs, "rev-parse", f"run/{name}^{{tree}}").strip() for name in "abcd"}
    old_a = git(runs, "rev-parse", "run/a^{commit}").strip()
    result = cli("rm", "--prune-history", "b", cwd=runs)
    assert result.code == 0, result.err
    assert "re-committed 2 later run(s)" in result.err and "c, d" in result.err
    assert tags(runs) == ["run/a", "run/c", "run/d"]
    assert chain(runs) == ["d", "c", "a"]
    assert git(runs, "rev-parse", "run/a^{commit}").strip() == old_a
    assert git(runs, "rev-parse", "run/c^{commit}^").strip() == old_a
    assert git(runs, "rev-parse", "rerun/runs").strip() == git(runs, "rev-parse", "run/d^{commit}").strip()
    for name in "acd":
        assert git(runs, "rev-parse", f"run/{name}^{{tree}}").strip() == trees[name]
        assert show_run(name, runs)["record"] == before[name]
    tag_text = git(runs, "cat-file", "-p", "run/c")
    assert "tag run/c" in tag_text and "Rerun-Version:" in tag_text
    assert git(runs, "fsck", "--no-dangling").strip() == ""
    listed = [line.split()[0] for line in cli("list", cwd=runs).out.splitlines()[1:]]
    assert listed == ["run/a", "run/c", "run/d"]


def test_prune_the_tip_and_then_every_run(runs: Path, cli) -> None:
    assert cli("rm", "--prune-history", "d", cwd=runs).code == 0
    assert chain(runs) == ["c", "b", "a"]
    assert git(runs, "rev-parse", "rerun/runs").strip() == git(runs, "rev-parse", "run/c^{commit}").strip()
    result = cli("rm", "--prune-history", "a", "b", "c", cwd=runs)
    assert result.code == 0, result.err
    assert "the runs branch" in result.err and tags(runs) == []
    assert git(runs, "rev-parse", "--verify", "-q", "rerun/runs", check=False) == ""
    assert cli("log", cwd=runs).out == ""


# ---------------------------------------------------------------- gc
def test_gc_removes_only_dead_rerun_worktrees(runs: Path, cli, tmp_path: Path) -> None:
    dead, theirs, inspect = tmp_path / "dead", tmp_path / "theirs", tmp_path / "inspect"
    git(runs, "worktree", "add", "--detach", "--lock", "--reason", "rerun-git pid=999999999", str(dead), "HEAD")
    git(runs, "worktree", "add", "--detach", "--lock", "--reason", "someone else's", str(theirs), "HEAD")
    assert cli("checkout", "a", str(inspect), cwd=runs).code == 0
    result = cli("gc", cwd=runs)
    assert result.code == 0, result.err
    assert f"removed stale worktree {dead}" in result.out
    assert not dead.exists() and theirs.is_dir() and inspect.is_dir()
    listed = git(runs, "worktree", "list", "--porcelain")
    assert str(theirs) in listed and str(inspect) in listed and str(dead) not in listed
    assert "removed 0 stale" in cli("gc", cwd=runs).out


# ---------------------------------------------------------------- check-env, export-env
@pytest.fixture
def env_runs(repo: Path) -> Path:
    from rerun_git.record.environment import capture_environment

    here = capture_environment()
    make_run(repo, "same", record_data(env=here))
    other = json.loads(json.dumps(here))
    other["packages"]["numpy"] = "0.1.0"
    other["packages"]["pluggy"] = "0.0.1"
    make_run(repo, "old-numpy", record_data(env=other))
    minor = json.loads(json.dumps(here))
    minor["packages"]["pluggy"] = "0.0.1"
    make_run(repo, "minor", record_data(env=minor))
    return repo


def test_check_env_matching_environment(env_runs: Path, cli) -> None:
    result = cli("check-env", "same", cwd=env_runs)
    assert result.code == 0, result.out + result.err
    assert result.out.startswith("environment matches run/same")


def test_check_env_critical_difference_exits_1(env_runs: Path, cli) -> None:
    result = cli("check-env", "old-numpy", cwd=env_runs)
    assert result.code == 1
    lines = result.out.splitlines()
    assert lines[0].split() == ["PACKAGE", "RECORDED", "CURRENT", "STATUS"]
    assert lines[1].split()[:2] == ["numpy", "0.1.0"] and lines[1].split()[-1] == "CRITICAL"
    assert "pluggy" not in result.out and "1 other package(s) differ (-v lists them)" in result.out
    verbose = cli("check-env", "old-numpy", "-v", cwd=env_runs)
    assert verbose.code == 1 and "pluggy" in verbose.out and "differs" in verbose.out
    data = json.loads(cli("check-env", "old-numpy", "--format", "json", cwd=env_runs).out)
    assert data["ok"] is False and data["differences"][0]["package"] == "numpy"


def test_check_env_non_critical_difference_exits_0(env_runs: Path, cli) -> None:
    result = cli("check-env", "minor", "-v", cwd=env_runs)
    assert result.code == 0 and "pluggy" in result.out and "environment matches run/minor" in result.out


def test_export_env_stdout_file_and_overwrite(env_runs: Path, cli, tmp_path: Path) -> None:
    out = cli("export-env", "old-numpy", cwd=env_runs).out
    assert out.startswith("# Python ") and "numpy==0.1.0\n" in out and "pluggy" not in out
    every = cli("export-env", "old-numpy", "--include-all", cwd=env_runs).out
    assert "pluggy==0.0.1\n" in every and len(every.splitlines()) > len(out.splitlines())
    target = tmp_path / "requirements.txt"
    assert cli("export-env", "old-numpy", "-o", str(target), cwd=env_runs).code == 0
    assert target.read_text() == out
    again = cli("export-env", "same", "-o", str(target), cwd=env_runs)
    assert again.code == 1 and "--yes" in again.err and target.read_text() == out
    assert cli("export-env", "same", "-o", str(target), "--yes", cwd=env_runs).code == 0
    assert target.read_text() != out
