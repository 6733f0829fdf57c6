"""Sharing runs through a git remote: push, fetch, divergent runs branches, two clones."""
from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from conftest import git, repo_state

OWN_REFS = ("refs/tags/run/", "refs/heads/rerun/", "refs/remotes/origin/rerun/")


@pytest.fixture
def clones(project: Path, tmp_path: Path) -> tuple[Path, Path, Path]:
    """A bare remote holding the project, and two clones of it (two machines)."""
    remote = tmp_path / "remote.git"
    git(tmp_path, "clone", "-q", "--bare", str(project), str(remote))
    a, b = tmp_path / "a", tmp_path / "b"
    for clone in (a, b):
        git(tmp_path, "clone", "-q", str(remote), str(clone))
    return remote, a, b


def remote_refs(remote: Path) -> dict[str, str]:
    return {ref: sha for sha, ref in (line.split("\t") for line in git(remote, "for-each-ref", "--format=%(objectname)\t%(refname)").splitlines())}


def body(out: str) -> list[str]:
    return [line.strip() for line in out.splitlines()]


def test_a_run_pushed_from_one_clone_reproduces_in_another(clones, cli) -> None:
    remote, a, b = clones
    assert cli("run", "--name", "first", cwd=a).code == 0
    pushed = cli("push", cwd=a)
    assert pushed.code == 0, pushed.err
    assert body(pushed.out) == ["new       rerun/runs", "new       run/first", "pushed 2 refs to origin"]
    assert remote_refs(remote)["refs/tags/run/first"] == git(a, "rev-parse", "refs/tags/run/first").strip()

    before = repo_state(b, own_refs=OWN_REFS)
    fetched = cli("fetch", cwd=b)
    assert fetched.code == 0, fetched.err
    assert body(fetched.out) == ["new       origin/rerun/runs", "new       run/first", "new       rerun/runs (fast-forward)",
                                 "fetched 3 refs from origin"]
    assert repo_state(b, own_refs=OWN_REFS) == before  # only run tags and the runs branches moved
    a_tip = git(a, "rev-parse", "rerun/runs").strip()
    assert git(b, "rev-parse", "refs/remotes/origin/rerun/runs", "refs/heads/rerun/runs").split() == [a_tip, a_tip]

    record = tomllib.loads(git(b, "show", "run/first:.rerun/run.toml"))
    expected = sum(len(metrics) for metrics in record["results"].values())
    refused = cli("reproduce", "first", cwd=b)  # a run from elsewhere is code: it needs the user's consent
    assert refused.code == 1 and "refusing to run its code without --trust" in refused.err
    reproduced = cli("reproduce", "first", "--trust", "--format", "json", cwd=b)
    assert reproduced.code == 0, reproduced.err
    assert f"all {expected} metrics match run first" in reproduced.err
    assert expected == 12
    again = cli("fetch", "origin", cwd=b)
    assert body(again.out) == ["fetched 0 refs from origin (2 up to date)"]


def test_divergent_runs_branches_keep_every_run_reachable_through_tags(clones, cli) -> None:
    remote, a, b = clones
    assert cli("capture", "--name", "a1", cwd=a).code == 0
    assert cli("push", cwd=a).code == 0
    assert cli("fetch", cwd=b).code == 0
    assert cli("capture", "--name", "b1", cwd=b).code == 0  # on top of a1 (fetch fast-forwarded b's runs branch)
    assert cli("capture", "--name", "a2", cwd=a).code == 0
    assert cli("push", cwd=a).code == 0
    b_tip = git(b, "rev-parse", "rerun/runs").strip()

    pushed = cli("push", cwd=b)
    assert pushed.code == 0, pushed.err  # the run tags went through; the branch is never forced
    assert "rejected  rerun/runs (fetch first)" in body(pushed.out)
    assert "new       run/b1" in body(pushed.out)
    assert "push never forces" in pushed.err
    refs = remote_refs(remote)
    assert {"refs/tags/run/a1", "refs/tags/run/a2", "refs/tags/run/b1"} <= set(refs)
    assert refs["refs/heads/rerun/runs"] == git(a, "rev-parse", "rerun/runs").strip()

    fetched_in_a = cli("fetch", cwd=a)
    assert "new       run/b1" in body(fetched_in_a.out)
    assert cli("show", "b1", cwd=a).code == 0
    assert git(a, "rev-parse", "run/b1^{commit}").strip() == b_tip
    fetched_in_b = cli("fetch", cwd=b)
    assert "new       run/a2" in body(fetched_in_b.out)
    assert git(b, "rev-parse", "rerun/runs").strip() == b_tip  # diverged: fetch leaves the local runs branch alone
    assert git(b, "rev-parse", "refs/remotes/origin/rerun/runs").strip() == refs["refs/heads/rerun/runs"]
    assert set(git(b, "tag", "-l", "run/*").split()) == {"run/a1", "run/a2", "run/b1"}
    assert git(b, "fsck", "--no-dangling").strip() == ""


def test_fetch_fast_forwards_so_the_next_push_is_accepted(clones, tmp_path: Path, cli) -> None:
    remote, a, b = clones
    assert cli("capture", "--name", "x", cwd=a).code == 0
    assert cli("push", cwd=a).code == 0
    assert cli("fetch", cwd=b).code == 0
    assert cli("capture", "--name", "y", cwd=b).code == 0
    pushed = cli("push", cwd=b)
    assert pushed.code == 0 and "updated   rerun/runs" in body(pushed.out) and "rejected" not in pushed.out
    y = git(b, "rev-parse", "run/y^{commit}").strip()
    assert remote_refs(remote)["refs/heads/rerun/runs"] == y
    subjects = git(b, "log", "--first-parent", "--format=%s", "rerun/runs").splitlines()
    assert subjects[0].startswith("run y:") and subjects[1].startswith("run x:")

    fresh = tmp_path / "fresh"  # a clone made later has the run tags but no runs branch of its own
    git(tmp_path, "clone", "-q", str(remote), str(fresh))
    assert git(fresh, "rev-parse", "-q", "--verify", "refs/heads/rerun/runs", check=False) == ""
    again = cli("push", cwd=fresh)
    assert again.code == 0 and body(again.out) == ["pushed 0 refs to origin (2 up to date)"]


def test_the_same_name_captured_on_both_sides_is_refused_not_overwritten(clones, cli) -> None:
    remote, a, b = clones
    assert cli("capture", "--name", "same", "-m", "from a", cwd=a).code == 0
    assert cli("capture", "--name", "same", "-m", "from b", cwd=b).code == 0
    assert cli("push", cwd=a).code == 0
    theirs = remote_refs(remote)["refs/tags/run/same"]
    ours = git(b, "rev-parse", "refs/tags/run/same").strip()

    pushed = cli("push", cwd=b)
    assert pushed.code == 1
    assert "rerun-git: error: origin refused run/same" in pushed.err and "hint: " in pushed.err
    assert remote_refs(remote)["refs/tags/run/same"] == theirs

    fetched = cli("fetch", cwd=b)
    assert fetched.code == 1
    assert "rejected  run/same (a different run has this name here)" in body(fetched.out)
    assert "1 run tag of origin not fetched: run/same" in fetched.err
    assert git(b, "rev-parse", "refs/tags/run/same").strip() == ours


def test_push_named_runs_only(clones, cli) -> None:
    remote, a, _ = clones
    for name in ("x", "y"):
        assert cli("capture", "--name", name, cwd=a).code == 0
    assert cli("push", "origin", "run/x", cwd=a).code == 0
    refs = remote_refs(remote)
    assert "refs/tags/run/x" in refs and "refs/tags/run/y" not in refs and "refs/heads/rerun/runs" in refs
    unknown = cli("push", "origin", "zzz", cwd=a)
    assert unknown.code == 1 and "unknown run run/zzz" in unknown.err


def test_remote_errors_are_one_clear_line(clones, repo: Path, cli) -> None:
    remote, a, b = clones
    assert body(cli("fetch", cwd=b).out) == ["origin has no runs"]
    nothing = cli("push", cwd=b)
    assert nothing.code == 1 and "there are no runs to push" in nothing.err
    assert cli("capture", "--name", "x", cwd=a).code == 0
    for args, message in [
        (("push", "nope"), "no remote named 'nope'"),
        (("fetch", "--upload-pack=touch /tmp/pwned"), "no remote named '--upload-pack"),  # never reaches git
    ]:
        result = cli(*args, cwd=a)
        assert result.code in (1, 2) and message in result.err and "Traceback" not in result.err
    git(a, "remote", "add", "gone", str(remote.parent / "gone.git"))
    gone = cli("push", "gone", cwd=a)
    assert gone.code == 1 and gone.err.startswith("rerun-git: error: git push failed: ")
    lonely = cli("push", cwd=repo)
    assert lonely.code == 1 and "this repository has no remote" in lonely.err


def test_push_honours_the_users_pre_push_hook(clones, cli) -> None:
    remote, a, _ = clones
    assert cli("run", "--name", "first", cwd=a).code == 0
    hook = a / ".git" / "hooks" / "pre-push"
    hook.write_text("#!/bin/sh\necho 'policy: no pushes today' >&2\nexit 1\n")
    hook.chmod(0o755)
    refused = cli("push", cwd=a)
    assert refused.code == 1
    assert "rerun-git: error: git push failed" in refused.err
    assert "refs/tags/run/first" not in remote_refs(remote)
    hook.unlink()
    assert cli("push", cwd=a).code == 0
    assert "refs/tags/run/first" in remote_refs(remote)
