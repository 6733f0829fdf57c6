"""Faults: SIGKILL at each capture stage, a reproduction killed mid-run, a read-only or full ``.git``,
and hook environments that would redirect git (issue 6)."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from crash_helper import CAPTURE_STAGES
from reliability_support import (
    assert_clean_error, assert_fsck_clean, crash_helper, git, init_repo, own_refs, repo_state, rerun_worktrees,
    run_tags, settle, tiny_csv, tiny_repo, write_tiny_project,
)


def dirty_user_state(repo: Path) -> None:
    """Give the user's repository a stash entry, a staged and an unstaged change and an untracked file."""
    (repo / "README.md").write_text("stashed edit\n")
    git(repo, "stash", "-q")
    (repo / "data.py").write_text((repo / "data.py").read_text() + "# staged edit\n")
    git(repo, "add", "data.py")
    (repo / "settings.py").write_text((repo / "settings.py").read_text() + "# unstaged edit\n")
    (repo / "notes.txt").write_text("untracked\n")
    settle(repo)


@pytest.mark.parametrize("stage", CAPTURE_STAGES)
def test_sigkill_at_each_capture_stage(tmp_path: Path, cli, stage: str) -> None:
    repo = tiny_repo(tmp_path / "repo")
    assert cli("run", "--name", "earlier", cwd=repo).code == 0
    dirty_user_state(repo)
    before, refs_before = repo_state(repo), own_refs(repo)

    proc = crash_helper("run", "--name", "crash", cwd=repo, crash_at=stage)
    assert proc.returncode == -signal.SIGKILL, proc.stderr

    assert_fsck_clean(repo)
    assert repo_state(repo) == before, "the user's tree, index, HEAD, refs and stash are untouched"
    listed = cli("list", cwd=repo)
    if stage == "after-refs":  # past the commit point: the run is complete and listed
        assert sorted(run_tags(repo)) == ["run/crash", "run/earlier"]
        assert "run/crash" in listed.out
        shown = cli("show", "crash", cwd=repo)
        assert shown.code == 0 and "settings.py" in shown.out, shown.err
        assert git(repo, "rev-parse", "rerun/runs").strip() == git(repo, "rev-parse", "run/crash^{commit}").strip()
    else:  # before it: no trace but unreachable objects
        assert own_refs(repo) == refs_before
        assert run_tags(repo) == ["run/earlier"]
        assert "run/crash" not in listed.out and "warning" not in listed.err

    # the next capture works; a killed run never blocks its name (a complete run does: its tag exists)
    again = cli("run", "--name", "crash", cwd=repo)
    if stage == "after-refs":
        assert_clean_error(again.code, again.err)
        following = cli("run", "--name", "crash", "--name-suffix", "auto", cwd=repo)
        assert following.code == 0, following.err
        assert "captured run/crash-2 " in following.out
        assert git(repo, "rev-parse", "rerun/runs").strip() == git(repo, "rev-parse", "run/crash-2^{commit}").strip()
    else:
        assert again.code == 0, again.err
        assert "captured run/crash " in again.out
        assert git(repo, "rev-parse", "rerun/runs").strip() == git(repo, "rev-parse", "run/crash^{commit}").strip()
    assert_fsck_clean(repo)


def user_worktrees(repo: Path, tmp_path: Path) -> dict[str, Path]:
    """Three linked worktrees of the user's own: plain, locked for a reason of theirs, and one whose folder is gone."""
    git(repo, "branch", "feature")
    paths = {"plain": tmp_path / "wt-plain", "locked": tmp_path / "wt-locked", "gone": tmp_path / "wt-gone"}
    git(repo, "worktree", "add", "-q", str(paths["plain"]), "feature")
    git(repo, "worktree", "add", "-q", "--detach", "--lock", "--reason", "on a usb stick", str(paths["locked"]))
    git(repo, "worktree", "add", "-q", "--detach", str(paths["gone"]))
    shutil.rmtree(paths["gone"])
    return paths


def worktree_listing(repo: Path) -> str:
    return git(repo, "worktree", "list", "--porcelain")


@pytest.mark.parametrize("cleaner", ["reproduce", "gc"])
def test_killed_reproduction_is_cleaned_up_sparing_the_users_worktrees(tmp_path: Path, cli, cleaner: str) -> None:
    repo = tiny_repo(tmp_path / "repo")
    assert cli("run", "--name", "r", cwd=repo).code == 0
    user_worktrees(repo, tmp_path)
    settle(repo)
    before, users = repo_state(repo), worktree_listing(repo)

    proc = crash_helper("reproduce", "r", cwd=repo, crash_at="reproduce-running")
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    left = [p for p in rerun_worktrees(repo) if "/rerun-git/worktrees/" in p]
    assert len(left) == 1, worktree_listing(repo)
    assert "locked rerun-git pid=" in worktree_listing(repo)

    if cleaner == "reproduce":
        result = cli("reproduce", "r", cwd=repo)
        assert result.code == 0, result.err
    else:
        result = cli("gc", cwd=repo)
        assert result.code == 0, result.err
        assert left[0] in result.out
    assert worktree_listing(repo) == users, "only rerun-git's stale worktree went; the user's three stay as they were"
    assert not Path(left[0]).exists()
    assert repo_state(repo) == before
    assert_fsck_clean(repo)


def test_a_live_reproduction_is_not_stale(tmp_path: Path, cli) -> None:
    """A worktree whose owner is alive is never removed (gc while another reproduction runs)."""
    from rerun_git.store.repo import Repo
    from rerun_git.store.worktree import add_worktree, remove_stale_worktrees

    repo = tiny_repo(tmp_path / "repo")
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        path = add_worktree(Repo.open(repo), "HEAD", "live").path
        git(repo, "worktree", "lock", "--reason", f"rerun-git pid={sleeper.pid}", str(path), check=False)
        git(repo, "worktree", "unlock", str(path))
        git(repo, "worktree", "lock", "--reason", f"rerun-git pid={sleeper.pid}", str(path))
        assert remove_stale_worktrees(Repo.open(repo)) == []
        assert path.exists()
    finally:
        sleeper.kill()
        sleeper.wait()
    assert remove_stale_worktrees(Repo.open(repo)) == [path]


def test_ctrl_c_during_reproduce_exits_130_and_removes_the_worktree(tmp_path: Path, cli) -> None:
    """SIGINT while the snapshot's workflow runs: exit 130, no traceback, no worktree left."""
    workflow = TINY_WORKFLOW_WAITING
    repo = init_repo(tmp_path / "repo")
    write_tiny_project(repo, {"workflows/fit.py": workflow})
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "project")
    assert cli("run", "--name", "r", cwd=repo).code == 0
    marker = tmp_path / "running"
    env = {**os.environ, "TINY_WAIT_MARKER": str(marker)}
    proc = subprocess.Popen([*PYTHON_CLI, "reproduce", "r"], cwd=repo, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(marker, proc)
        assert len(rerun_worktrees(repo)) == 1
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "rerun-git: interrupted" in err and "Traceback" not in err
    assert rerun_worktrees(repo) == []


def test_ctrl_c_during_run_exits_130_and_captures_nothing(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    write_tiny_project(repo, {"workflows/fit.py": TINY_WORKFLOW_WAITING})
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "project")
    settle(repo)
    before = repo_state(repo)
    marker = tmp_path / "running"
    env = {**os.environ, "TINY_WAIT_MARKER": str(marker)}
    proc = subprocess.Popen([*PYTHON_CLI, "run", "--name", "r"], cwd=repo, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(marker, proc)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "rerun-git: interrupted" in err and "Traceback" not in err
    assert run_tags(repo) == [] and own_refs(repo) == ""
    assert not (repo / "results" / ".r.lock").exists(), "the name claim is released"
    assert repo_state(repo) == before


PYTHON_CLI = [__import__("sys").executable, "-m", "rerun_git"]

# The workflow touches $TINY_WAIT_MARKER and sleeps when that variable is set (the test then interrupts it).
TINY_WORKFLOW_WAITING = """
    import os
    import time
    from pathlib import Path

    from rerun_git import Workflow


    class Fit(Workflow):
        def workflow(self, X_train, X_test, y_train, y_test, output_dir, feature_names):
            marker = os.environ.get("TINY_WAIT_MARKER")
            if marker:
                Path(marker).write_text("running")
                time.sleep(60)
            model = self.model.fit(X_train, y_train)
            self.evaluate_model(model, X_test, y_test, ["MAE", "R2"], "scores")
"""


def _wait_for(marker: Path, proc: subprocess.Popen, timeout: float = 60) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not marker.exists():
        if proc.poll() is not None:
            raise AssertionError(f"exited early: {proc.communicate()}")
        if time.monotonic() > deadline:
            raise AssertionError("the workflow never started")
        time.sleep(0.05)


# ---------------------------------------------------------------- read-only / full .git
def _chattr_works(path: Path) -> bool:
    probe = path / "chattr-probe"
    probe.mkdir()
    try:
        ok = subprocess.run(["chattr", "+i", str(probe)], capture_output=True).returncode == 0
    except FileNotFoundError:
        return False
    if ok:
        subprocess.run(["chattr", "-i", str(probe)], capture_output=True)
    probe.rmdir()
    return ok and os.geteuid() == 0


def _immutable(dirs: list[Path], on: bool) -> None:
    flag = "+i" if on else "-i"
    for folder in dirs:
        subprocess.run(["chattr", flag, str(folder)], check=on, capture_output=True)


def test_read_only_objects_dir_gives_a_clear_error_and_writes_nothing(tmp_path: Path, cli) -> None:
    """As root, ``chmod`` stops nothing; ``chattr +i`` on every folder of .git/objects does (skipped elsewhere)."""
    if not _chattr_works(tmp_path):
        pytest.skip("needs root and a file system where chattr +i works")
    repo = tiny_repo(tmp_path / "repo")
    assert cli("run", "--name", "first", cwd=repo).code == 0
    (repo / "datasets" / "tiny.csv").write_text(tiny_csv(30))  # a new blob must be written
    settle(repo)
    before, refs_before = repo_state(repo), own_refs(repo)
    objects = repo / ".git" / "objects"
    dirs = [objects, *(p for p in objects.rglob("*") if p.is_dir())]
    listing_before = sorted(str(p) for p in objects.rglob("*"))
    _immutable(dirs, True)
    try:
        result = cli("run", "--name", "second", cwd=repo)
    finally:
        _immutable(dirs, False)
    assert_clean_error(result.code, result.err)
    assert "cannot write git objects" in result.err
    assert sorted(str(p) for p in objects.rglob("*")) == listing_before, "no object, no temporary file"
    assert own_refs(repo) == refs_before
    assert repo_state(repo) == before
    assert_fsck_clean(repo)
    assert cli("run", "--name", "second", "--name-suffix", "auto", cwd=repo).code == 0


@pytest.fixture
def small_disk(tmp_path: Path):
    """A 2 MiB tmpfs (needs root with CAP_SYS_ADMIN; skipped elsewhere)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("needs root to mount a small tmpfs")
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], capture_output=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def test_full_disk_gives_a_clear_error_and_writes_nothing(small_disk: Path, cli) -> None:
    repo = tiny_repo(small_disk / "repo")
    # a dataset of random digits: about 40% of it survives zlib, more than the space left
    import random

    rng = random.Random(6)
    rows = "".join(f"{rng.random():.15f},{rng.random():.15f},{rng.random():.15f}\n" for _ in range(9000))
    (repo / "datasets" / "tiny.csv").write_text("a,b,y\n" + rows)
    settle(repo)
    before, refs_before = repo_state(repo), own_refs(repo)
    free = shutil.disk_usage(small_disk).free
    filler = small_disk / "filler"
    filler.write_bytes(b"\0" * max(0, free - 200 * 1024))  # leave 200 KiB: enough for results, not for the blob
    objects = repo / ".git" / "objects"
    listing_before = sorted(str(p) for p in objects.rglob("*"))
    result = cli("run", "--name", "big", cwd=repo)
    assert_clean_error(result.code, result.err)
    assert "No space left on device" in result.err
    assert sorted(str(p) for p in objects.rglob("*")) == listing_before, "no object, no temporary file"
    assert own_refs(repo) == refs_before
    filler.unlink()
    assert repo_state(repo) == before
    assert_fsck_clean(repo)


# ---------------------------------------------------------------- hook environments
def test_hook_environment_does_not_redirect_writes(tmp_path: Path) -> None:
    """GIT_DIR, GIT_WORK_TREE, GIT_INDEX_FILE (and friends) set by a calling hook point elsewhere: ignored."""
    repo = tiny_repo(tmp_path / "repo")
    decoy = init_repo(tmp_path / "decoy")
    settle(repo)
    settle(decoy)
    before, decoy_before = repo_state(repo), repo_state(decoy)
    decoy_objects = sorted(str(p) for p in (decoy / ".git" / "objects").rglob("*"))
    index = tmp_path / "hook-index"
    env = {
        "GIT_DIR": str(decoy / ".git"), "GIT_WORK_TREE": str(decoy), "GIT_INDEX_FILE": str(index),
        "GIT_OBJECT_DIRECTORY": str(decoy / ".git" / "objects"), "GIT_COMMON_DIR": str(decoy / ".git"),
    }
    from conftest import run_cli_subprocess

    result = run_cli_subprocess("run", "--name", "hooked", cwd=repo, env=env)
    assert result.returncode == 0, result.stderr
    assert run_tags(repo) == ["run/hooked"]
    assert git(repo, "cat-file", "-t", "run/hooked").strip() == "tag"
    assert not index.exists(), "no index file was written"
    assert repo_state(repo) == before
    assert repo_state(decoy) == decoy_before and own_refs(decoy) == ""
    assert sorted(str(p) for p in (decoy / ".git" / "objects").rglob("*")) == decoy_objects
    result = run_cli_subprocess("reproduce", "hooked", cwd=repo, env=env)
    assert result.returncode == 0, result.stderr
    assert rerun_worktrees(repo) == [] and rerun_worktrees(decoy) == []
    assert_fsck_clean(repo)


def test_gc_never_prunes_the_users_worktrees_even_when_git_gc_runs(tmp_path: Path, cli) -> None:
    """`rerun-git gc` lets git pack (`gc --auto`), but git's own worktree pruning is kept out of it."""
    import time

    repo = tiny_repo(tmp_path / "repo")
    assert cli("run", "--name", "r", cwd=repo).code == 0
    paths = user_worktrees(repo, tmp_path)
    gone_admin = next(p for p in (repo / ".git" / "worktrees").iterdir() if p.name.startswith("wt-gone"))
    year_ago = time.time() - 400 * 24 * 3600
    for file in gone_admin.iterdir():  # git prunes a missing worktree once its index is older than 3 months
        os.utime(file, (year_ago, year_ago))
    git(repo, "config", "gc.auto", "1")  # git's auto gc is due as soon as objects/17/ holds two loose objects
    git(repo, "config", "gc.autoDetach", "false")
    loose = tmp_path / "loose"
    loose.mkdir()
    for i in range(1200):
        (loose / str(i)).write_text(f"loose object {i}\n")
    subprocess.run(["git", "hash-object", "-w", "--stdin-paths"], cwd=repo, check=True, capture_output=True,
                   input="".join(f"{loose / str(i)}\n" for i in range(1200)).encode())
    users = worktree_listing(repo)
    result = cli("gc", cwd=repo)
    assert result.code == 0, result.err
    assert list((repo / ".git" / "objects" / "pack").glob("*.pack")), "git's auto gc ran"
    assert worktree_listing(repo) == users, "the user's worktree whose folder is gone is still theirs to prune"
    assert str(paths["gone"]) in users
