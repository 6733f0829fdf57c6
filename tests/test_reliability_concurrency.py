"""Load and concurrency: many captures and reproductions at once in one repository (issue 6)."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from conftest import publish_tree
from reliability_support import (
    assert_fsck_clean, git, python_cli, repo_state, rerun_worktrees, run_tags, settle, tiny_repo,
)

CAPTURES_AT_ONCE = 16
REPRODUCTIONS_AT_ONCE = 8


def wait_all(procs, timeout: float = 300) -> list[tuple[int, str, str]]:
    deadline = time.monotonic() + timeout
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=max(1.0, deadline - time.monotonic()))
        results.append((proc.returncode, out, err))
    return results


def first_parent_chain(repo: Path) -> list[str]:
    return git(repo, "rev-list", "--first-parent", "--min-parents=1", "refs/heads/rerun/runs").split()  # without the root


def peeled(repo: Path, tags: list[str]) -> dict[str, str]:
    out = git(repo, "for-each-ref", "--format=%(refname:short) %(*objectname)", "refs/tags/run")
    return {name: sha for name, sha in (line.split() for line in out.splitlines()) if name in tags}


@pytest.mark.slow
def test_sixteen_captures_at_once(tmp_path: Path) -> None:
    repo = tiny_repo(tmp_path / "repo")
    settle(repo)
    before = repo_state(repo)
    names = [f"c{i:02d}" for i in range(CAPTURES_AT_ONCE)]
    procs = [python_cli("run", "--name", name, cwd=repo) for name in names]
    results = wait_all(procs)
    failures = [(name, code, err) for name, (code, _out, err) in zip(names, results) if code != 0]
    assert not failures, failures

    tags = [f"run/{name}" for name in names]
    assert sorted(run_tags(repo)) == tags
    chain = first_parent_chain(repo)  # the runs, without the runs branch's root commit
    commits = peeled(repo, tags)
    assert sorted(commits.values()) == sorted(chain), "the first-parent chain holds exactly the 16 runs"
    assert git(repo, "rev-parse", f"{chain[-1]}^2").strip() == git(repo, "rev-parse", "HEAD").strip()
    for name in names:
        record = git(repo, "show", f"run/{name}:.rerun/run.toml")
        assert f'name = "{name}"' in record
    listed = json.loads(python_cli("list", "--format", "json", cwd=repo).communicate()[0])
    assert sorted(run["name"] for run in listed) == names
    assert_fsck_clean(repo)
    assert repo_state(repo) == before
    assert not list((repo / "results").glob(".*.lock")), "every name claim was released"


def test_same_name_twice_at_once_exactly_one_wins(tmp_path: Path) -> None:
    repo = tiny_repo(tmp_path / "repo")
    procs = [python_cli("run", "--name", "same", cwd=repo) for _ in range(2)]
    results = wait_all(procs)
    codes = sorted(code for code, _, _ in results)
    assert codes == [0, 1], results
    loser = next(err for code, _, err in results if code == 1)
    assert "rerun-git: error: " in loser and "hint: " in loser and "Traceback" not in loser
    assert "same" in loser and ("taken" in loser or "already exists" in loser), loser
    assert run_tags(repo) == ["run/same"]
    assert first_parent_chain(repo)[0] == git(repo, "rev-parse", "run/same^{commit}").strip()
    assert_fsck_clean(repo)


@pytest.mark.slow
def test_same_name_with_suffix_auto_both_captured(tmp_path: Path) -> None:
    repo = tiny_repo(tmp_path / "repo")
    procs = [python_cli("run", "--name", "same", "--name-suffix", "auto", cwd=repo) for _ in range(3)]
    results = wait_all(procs)
    assert [code for code, _, _ in results] == [0, 0, 0], results
    assert sorted(run_tags(repo)) == ["run/same", "run/same-2", "run/same-3"]
    assert set(first_parent_chain(repo)[:3]) == set(peeled(repo, ["run/same", "run/same-2", "run/same-3"]).values())
    for name in ("same", "same-2", "same-3"):
        assert (repo / "results" / name / "run_config.json").is_file()
        assert f'name = "{name}"' in git(repo, "show", f"run/{name}:.rerun/run.toml")
    assert_fsck_clean(repo)


def test_suffix_auto_skips_taken_and_case_colliding_names(tmp_path: Path, cli) -> None:
    repo = tiny_repo(tmp_path / "repo")
    assert cli("run", "--name", "base", cwd=repo).code == 0
    assert cli("run", "--name", "Base-2", cwd=repo).code == 0
    result = cli("run", "--name", "base", "--name-suffix", "auto", cwd=repo)
    assert result.code == 0, result.err
    assert "captured run/base-3 " in result.out
    assert sorted(run_tags(repo)) == ["run/Base-2", "run/base", "run/base-3"]


def test_default_names_never_collide_even_when_one_is_taken(tmp_path: Path, cli, monkeypatch) -> None:
    """A generated name that happens to be taken is replaced by a fresh one, never an error."""
    from rerun_git.store import runs

    repo = tiny_repo(tmp_path / "repo")
    assert cli("run", "--name", "20260101-000000-abcd", cwd=repo).code == 0
    generated = iter(["20260101-000000-abcd", "20260101-000000-beef"])
    monkeypatch.setattr(runs, "default_run_name", lambda now=None: next(generated))
    result = cli("run", cwd=repo)
    assert result.code == 0, result.err
    assert sorted(run_tags(repo)) == ["run/20260101-000000-abcd", "run/20260101-000000-beef"]


def test_ref_transaction_decides_a_name_race(tmp_path: Path) -> None:
    """Two publishers of one name (say, from two worktrees): the loser's ``create`` fails, nothing is half-done."""
    from rerun_git.store import snapshot
    from rerun_git.store.runs import NameTaken

    repo_path = tiny_repo(tmp_path / "repo")
    tree = git(repo_path, "rev-parse", "HEAD^{tree}").strip()

    def publish(name: str, tree_id: str = tree):
        return publish_tree(repo_path, name, tree_id)

    def rival_publishes_first(stage: str) -> None:
        if stage == "before-refs":
            snapshot.STAGE_HOOK = None
            publish("race")

    snapshot.STAGE_HOOK = rival_publishes_first
    try:
        with pytest.raises(NameTaken, match="already exists"):
            publish("race", git(repo_path, "rev-parse", "HEAD~1^{tree}").strip())
    finally:
        snapshot.STAGE_HOOK = None
    assert run_tags(repo_path) == ["run/race"]
    assert first_parent_chain(repo_path) == [git(repo_path, "rev-parse", "run/race^{commit}").strip()]
    assert_fsck_clean(repo_path)


def test_lost_branch_race_is_rebuilt_on_the_new_tip(tmp_path: Path) -> None:
    """Another capture moves the runs branch between our read and our transaction: both runs stay, in order."""
    from rerun_git.store import snapshot

    repo_path = tiny_repo(tmp_path / "repo")
    tree = git(repo_path, "rev-parse", "HEAD^{tree}").strip()
    stages: list[str] = []

    def publish(name: str):
        return publish_tree(repo_path, name, tree)

    def rival(stage: str) -> None:
        stages.append(stage)
        if stage == "before-refs" and stages.count("before-refs") == 1:
            snapshot.STAGE_HOOK = None
            publish("rival")
            snapshot.STAGE_HOOK = rival

    snapshot.STAGE_HOOK = rival
    try:
        ours = publish("ours")
    finally:
        snapshot.STAGE_HOOK = None
    assert stages.count("before-refs") == 2, "the transaction was retried once"
    chain = first_parent_chain(repo_path)
    assert chain[0] == ours.commit
    assert chain[1] == git(repo_path, "rev-parse", "run/rival^{commit}").strip()
    assert sorted(run_tags(repo_path)) == ["run/ours", "run/rival"]
    assert_fsck_clean(repo_path)


@pytest.mark.slow
def test_eight_reproductions_at_once(tmp_path: Path, cli) -> None:
    repo = tiny_repo(tmp_path / "repo")
    names = [f"r{i}" for i in range(REPRODUCTIONS_AT_ONCE)]
    for i, name in enumerate(names):
        # different runs: each its own seed and its own dataset rows
        (repo / "datasets" / "tiny.csv").write_text("a,b,y\n" + "".join(
            f"{j % 7},{(j * 3 + i) % 5},{j * 0.5 + i}\n" for j in range(24)))
        result = cli("run", "--name", name, cwd=repo)
        assert result.code == 0, result.err
    git(repo, "checkout", "-q", "--", "datasets/tiny.csv")
    settle(repo)
    before = repo_state(repo)
    procs = [python_cli("reproduce", name, cwd=repo) for name in names]
    results = wait_all(procs)
    for name, (code, out, err) in zip(names, results):
        assert code == 0, (name, err)
        assert f"all 2 metrics match run {name}" in err
        assert "MISMATCH" not in out
    assert rerun_worktrees(repo) == []
    assert not any((repo / ".git" / "rerun-git" / "worktrees").iterdir())
    assert not (repo / ".git" / "worktrees").exists() or not any((repo / ".git" / "worktrees").iterdir())
    assert repo_state(repo) == before
    assert_fsck_clean(repo)
