"""The user's repository in awkward states: every command leaves it exactly as it was (issue 6).

For each state, every command (except ``checkout``, which creates a worktree
by design) runs in turn; after each one ``git status --porcelain=v2``, the
index file's bytes, HEAD, every ref outside rerun-git's own, ``git stash
list`` and the untracked files must be identical to before the first.
"""
from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from reliability_support import git, init_repo, repo_state, settle, tiny_repo, write_tiny_project

#: rerun-git's own refs: its tags, its branch, and fetch's mirror of a remote's runs branch.
OWN_REFS = ("refs/tags/run/", "refs/heads/rerun/", "refs/remotes/backup/rerun/")
REMOTE = "backup"


@dataclass
class State:
    """A user's repository in some state: where to run rerun-git and which working trees to watch."""

    cwd: Path
    watched: list[Path]
    #: commands expected to fail cleanly in this state (exit 1 with a hint), e.g. push from a shallow clone
    may_fail: set[str] = field(default_factory=set)
    #: where the state's hooks log their names when git runs them
    hook_log: Path | None = None
    #: environment variables the user has set in this state (GIT_DIR / GIT_WORK_TREE)
    env: dict[str, str] = field(default_factory=dict)


def _with_remote(repo: Path, tmp_path: Path) -> None:
    if REMOTE in git(repo, "remote").split():
        return
    bare = tmp_path / "backup.git"
    if not bare.exists():
        object_format = git(repo, "rev-parse", "--show-object-format").strip()
        git(tmp_path, "init", "-q", "--bare", f"--object-format={object_format}", str(bare))
    git(repo, "remote", "add", REMOTE, str(bare))


def state_plain(tmp_path: Path) -> State:
    repo = tiny_repo(tmp_path / "repo")
    return State(repo, [repo])


def state_no_commits_yet(tmp_path: Path) -> State:
    repo = init_repo(tmp_path / "repo", commit=False)
    write_tiny_project(repo)
    git(repo, "add", "settings.py", "data.py", "rerun.toml")
    return State(repo, [repo])


def state_detached_head(tmp_path: Path) -> State:
    repo = tiny_repo(tmp_path / "repo")
    (repo / "notes.md").write_text("second commit\n")
    git(repo, "add", "notes.md")
    git(repo, "commit", "-q", "-m", "second")
    git(repo, "checkout", "-q", "--detach", "HEAD~1")
    return State(repo, [repo])


def state_staged_and_unstaged(tmp_path: Path) -> State:
    repo = tiny_repo(tmp_path / "repo")
    (repo / "data.py").write_text((repo / "data.py").read_text() + "# staged\n")
    (repo / "helper.py").write_text("VALUE = 1\n")
    git(repo, "add", "data.py", "helper.py")
    git(repo, "rm", "-q", "--cached", "README.md")
    (repo / "data.py").write_text((repo / "data.py").read_text() + "# and unstaged on top\n")
    (repo / "settings.py").write_text((repo / "settings.py").read_text() + "# unstaged\n")
    (repo / "README.md").write_text("edited after being unstaged\n")
    return State(repo, [repo])


def state_untracked_files(tmp_path: Path) -> State:
    repo = tiny_repo(tmp_path / "repo")
    (repo / "scratch.py").write_text("print('scratch')\n")
    (repo / "notes").mkdir()
    (repo / "notes" / "todo.txt").write_text("todo\n")
    (repo / "datasets" / "extra.csv").write_text("a,b\n1,2\n")
    return State(repo, [repo])


def _diverging_readme(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "topic")
    (repo / "README.md").write_text("topic's readme\n")
    git(repo, "commit", "-q", "-am", "topic edit")
    git(repo, "checkout", "-q", "main")
    (repo / "README.md").write_text("main's readme\n")
    git(repo, "commit", "-q", "-am", "main edit")


def state_merge_in_progress(tmp_path: Path) -> State:
    repo = tiny_repo(tmp_path / "repo")
    _diverging_readme(repo)
    git(repo, "merge", "-q", "topic", check=False)
    assert (repo / ".git" / "MERGE_HEAD").exists()
    return State(repo, [repo])


def state_rebase_in_progress(tmp_path: Path) -> State:
    repo = tiny_repo(tmp_path / "repo")
    _diverging_readme(repo)
    git(repo, "checkout", "-q", "topic")
    git(repo, "rebase", "main", check=False)
    assert (repo / ".git" / "rebase-merge").is_dir() or (repo / ".git" / "rebase-apply").is_dir()
    return State(repo, [repo])


def state_project_in_subfolder(tmp_path: Path) -> State:
    repo = init_repo(tmp_path / "repo")
    project = write_tiny_project(repo / "experiments" / "tiny")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "project in a subfolder")
    (repo / "README.md").write_text("dirty at the top\n")
    return State(project, [repo])


def state_users_linked_worktree(tmp_path: Path) -> State:
    repo = tiny_repo(tmp_path / "repo")
    linked = tmp_path / "linked"
    git(repo, "worktree", "add", "-q", "-b", "wt-branch", str(linked))
    (linked / "settings.py").write_text((linked / "settings.py").read_text() + "# edited in the linked worktree\n")
    (repo / "README.md").write_text("main worktree is dirty too\n")
    return State(linked, [linked, repo])


def state_with_submodule(tmp_path: Path) -> State:
    lib = init_repo(tmp_path / "lib")
    (lib / "util.py").write_text("def helper():\n    return 1\n")
    git(lib, "add", "util.py")
    git(lib, "commit", "-q", "-m", "lib")
    repo = tiny_repo(tmp_path / "repo")
    git(repo, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(lib), "vendor/lib")
    git(repo, "commit", "-q", "-m", "add a submodule")
    (repo / "vendor" / "lib" / "util.py").write_text("def helper():\n    return 2\n")
    return State(repo, [repo])


def state_shallow_clone(tmp_path: Path) -> State:
    source = tiny_repo(tmp_path / "source")
    for i in range(3):
        (source / "history.txt").write_text(f"commit {i}\n")
        git(source, "add", "history.txt")
        git(source, "commit", "-q", "-m", f"history {i}")
    clone = tmp_path / "repo"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{source}", str(clone))
    assert (clone / ".git" / "shallow").exists()
    # the snapshot's parent is a shallow commit: a remote without that history refuses the push
    return State(clone, [clone], may_fail={"push"})


def _reftable_supported(tmp_path: Path) -> bool:
    probe = tmp_path / "reftable-probe"
    proc = subprocess.run(["git", "init", "-q", "--ref-format=reftable", str(probe)], capture_output=True)
    return proc.returncode == 0


def _committed_project(tmp_path: Path, *init_options: str) -> Path:
    """``git init <init_options> repo`` holding a README and the tiny project, committed."""
    repo = tmp_path / "repo"
    git(tmp_path, "init", "-q", *init_options, str(repo))
    (repo / "README.md").write_text("a user's repository\n")
    write_tiny_project(repo)
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "project")
    return repo


def state_reftable(tmp_path: Path) -> State:
    if not _reftable_supported(tmp_path):
        pytest.skip(f"this git ({git(tmp_path, 'version').strip()}) has no `git init --ref-format=reftable`")
    repo = _committed_project(tmp_path, "--ref-format=reftable")
    return State(repo, [repo])


def state_sha256(tmp_path: Path) -> State:
    """``git init --object-format=sha256``: 64-digit ids, another zero id, another root commit."""
    repo = _committed_project(tmp_path, "--object-format=sha256")
    return State(repo, [repo])


def state_sparse_checkout(tmp_path: Path) -> State:
    """A cone-mode sparse checkout holding only the project's folder (and the top-level files)."""
    repo = init_repo(tmp_path / "repo")
    project = write_tiny_project(repo / "experiments" / "tiny")
    (repo / "other").mkdir()
    (repo / "other" / "big.txt").write_text("not in the sparse checkout\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "project and more")
    git(repo, "sparse-checkout", "set", "experiments/tiny")
    assert not (repo / "other").exists()
    return State(project, [repo])


def state_autocrlf(tmp_path: Path) -> State:
    """``core.autocrlf=true`` with CRLF files in the working tree, and an ``eol=crlf`` rule for *.py
    in ``.git/info/attributes`` (which every worktree of the repository reads)."""
    repo = tiny_repo(tmp_path / "repo")
    git(repo, "config", "core.autocrlf", "true")
    (repo / ".git" / "info").mkdir(exist_ok=True)
    (repo / ".git" / "info" / "attributes").write_text("*.py text eol=crlf\n")
    for path in (repo / "settings.py", repo / "README.md"):
        path.unlink()
    git(repo, "checkout", "--", "settings.py", "README.md")
    assert b"\r\n" in (repo / "settings.py").read_bytes()
    return State(repo, [repo])


def state_separate_git_dir(tmp_path: Path) -> State:
    """``git init --separate-git-dir``: ``.git`` is a file naming the git dir elsewhere."""
    repo = _committed_project(tmp_path, f"--separate-git-dir={tmp_path / 'elsewhere.git'}")
    assert (repo / ".git").is_file()
    return State(repo, [repo])


def state_git_dir_variables(tmp_path: Path) -> State:
    """No ``.git`` in the working tree at all: the user works with GIT_DIR and GIT_WORK_TREE set.

    ``create`` is refused there (a new repository would be hidden from that GIT_DIR).
    """
    repo = state_separate_git_dir(tmp_path).cwd
    _with_remote(repo, tmp_path)
    (repo / ".git").unlink()
    env = {"GIT_DIR": str(tmp_path / "elsewhere.git"), "GIT_WORK_TREE": str(repo)}
    return State(repo, [repo], may_fail={"create"}, env=env)


HOOK_NAMES = (
    "pre-commit", "prepare-commit-msg", "commit-msg", "post-commit", "post-checkout", "post-merge", "pre-push",
    "pre-rebase", "post-rewrite", "reference-transaction", "post-index-change", "pre-auto-gc", "fsmonitor-watchman",
    "post-run",
)
#: The user's hooks a command may run, by design: rerun-git's own post-run hook after a capture, and
#: `push` honours pre-push like `git push` (team policy, git-lfs), with the reference-transaction of the
#: remote-tracking ref that push updates. Every other hook firing on rerun-git's behalf is a failure.
ALLOWED_HOOKS = {
    "run": {"post-run"}, "capture": {"post-run"}, "push": {"pre-push", "reference-transaction"},
}


def state_core_hooks_path(tmp_path: Path) -> State:
    """``core.hooksPath`` set to a team folder whose every hook logs its name (outside the repository)."""
    repo = tiny_repo(tmp_path / "repo")
    hooks = tmp_path / "team-hooks"
    hooks.mkdir()
    log = tmp_path / "hooks-that-ran"
    for name in HOOK_NAMES:
        hook = hooks / name
        hook.write_text(f"#!/bin/sh\necho {name} >> '{log}'\n")
        hook.chmod(0o755)
    git(repo, "config", "core.hooksPath", str(hooks))
    return State(repo, [repo], hook_log=log)


STATES: dict[str, Callable[[Path], State]] = {
    "plain": state_plain,
    "no-commits-yet": state_no_commits_yet,
    "detached-head": state_detached_head,
    "staged-and-unstaged": state_staged_and_unstaged,
    "untracked-files": state_untracked_files,
    "merge-in-progress": state_merge_in_progress,
    "rebase-in-progress": state_rebase_in_progress,
    "project-in-subfolder": state_project_in_subfolder,
    "users-linked-worktree": state_users_linked_worktree,
    "submodule": state_with_submodule,
    "shallow-clone": state_shallow_clone,
    "reftable": state_reftable,
    "core-hooks-path": state_core_hooks_path,
    "sha256": state_sha256,
    "sparse-checkout": state_sparse_checkout,
    "autocrlf": state_autocrlf,
    "separate-git-dir": state_separate_git_dir,
    "git-dir-variables": state_git_dir_variables,
}

#: Every command, in an order where each has what it needs; ``{outside}`` is a folder outside the repository.
#: (label, argv, allowed exit codes)
COMMANDS: list[tuple[str, tuple[str, ...], tuple[int, ...]]] = [
    ("run", ("run", "--name", "s1"), (0,)),
    ("run", ("run", "--name", "s2", "-m", "second"), (0,)),
    ("run", ("run", "--no-capture", "--name", "nc"), (0,)),
    ("capture", ("capture", "--name", "cap", "--results", "results/s1"), (0,)),
    ("capture", ("capture", "--name", "cmd", "--", "python", "-c", "print(1)"), (0,)),
    ("list", ("list",), (0,)),
    ("list", ("list", "--all", "--format", "json"), (0,)),
    ("show", ("show", "s1"), (0,)),
    ("show", ("show", "run/s2", "--files"), (0,)),
    ("log", ("log", "-p"), (0,)),
    ("report", ("report",), (0,)),  # into results/report of the project (ignored by the template's .gitignore)
    ("diff", ("diff", "s1", "s2"), (0, 1)),
    ("diff", ("diff", "s1"), (0, 1)),
    ("compare", ("compare", "--format", "json"), (0,)),
    ("compare", ("compare", "s1", "s2"), (0,)),
    ("reproduce", ("reproduce", "s1"), (0,)),
    ("check", ("check",), (0,)),
    ("check", ("check", "--staged"), (0,)),
    ("check-env", ("check-env", "s1"), (0, 1)),
    ("export-env", ("export-env", "s1"), (0,)),
    ("install-hooks", ("install-hooks",), (0,)),
    ("install-hooks", ("install-hooks", "--uninstall"), (0,)),
    ("push", ("push", REMOTE), (0,)),
    ("fetch", ("fetch", REMOTE), (0,)),
    ("rm", ("rm", "s2"), (0,)),
    ("gc", ("gc",), (0,)),
    ("gc", ("gc", "--kept"), (0,)),
    ("verify", ("verify", "--all"), (0,)),
    ("create", ("create", "{outside}/new-project"), (0,)),
]
#: Commands left out of the matrix, and why.
NOT_IN_MATRIX = {
    "checkout": "creates a new worktree by design (the issue exempts it)",
    "demo": "works in its own temporary repository; checked once in test_demo_leaves_the_users_repository_alone",
}


def _run_matrix(state: State, cli, outside: Path) -> list[str]:
    befores = {path: repo_state(path, OWN_REFS) for path in state.watched}
    problems: list[str] = []
    for label, argv, codes in COMMANDS:
        argv = tuple(a.replace("{outside}", str(outside)) for a in argv)
        result = cli(*argv, cwd=state.cwd)
        allowed = codes + ((1,) if label in state.may_fail else ())
        if result.code not in allowed or "Traceback" in result.err:
            problems.append(f"`rerun-git {' '.join(argv)}` exited {result.code}: {result.err.strip()[-600:]}")
        if state.hook_log is not None and state.hook_log.exists():
            fired = set(state.hook_log.read_text().split())
            state.hook_log.unlink()
            if fired - ALLOWED_HOOKS.get(label, set()):
                problems.append(f"`rerun-git {' '.join(argv)}` ran the user's {sorted(fired)} hook(s)")
        for path, before in befores.items():
            after = repo_state(path, OWN_REFS)
            if after != before:
                changed = [f for f in before.__dataclass_fields__ if getattr(before, f) != getattr(after, f)]
                problems.append(f"`rerun-git {' '.join(argv)}` changed {', '.join(changed)} of {path.name}")
                befores[path] = after  # report each change once
    return problems


@pytest.mark.parametrize("state_name", list(STATES))
def test_every_command_leaves_the_repository_as_it_was(state_name: str, tmp_path: Path, cli,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    state = STATES[state_name](tmp_path)
    for key, value in state.env.items():
        monkeypatch.setenv(key, value)
    for path in state.watched:
        _with_remote(path, tmp_path) if path == state.watched[0] else None
        settle(path)
    assert state.hook_log is None or not state.hook_log.exists()
    outside = tmp_path / "outside"
    outside.mkdir()
    problems = _run_matrix(state, cli, outside)
    assert not problems, "\n".join(problems)
    assert git(state.cwd, "tag", "-l", "run/*").split() == ["run/cap", "run/cmd", "run/s1"]


def test_the_matrix_covers_every_command() -> None:
    from rerun_git.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    covered = {label for label, _, _ in COMMANDS} | set(NOT_IN_MATRIX)
    assert set(sub.choices) <= covered, f"add to the repo-state matrix: {sorted(set(sub.choices) - covered)}"


@pytest.mark.slow
def test_demo_leaves_the_users_repository_alone(tmp_path: Path, cli) -> None:
    repo = state_staged_and_unstaged(tmp_path).cwd
    settle(repo)
    before = repo_state(repo, OWN_REFS)
    result = cli("demo", cwd=repo)
    assert result.code == 0, result.err
    assert repo_state(repo, OWN_REFS) == before
    assert git(repo, "tag", "-l") == ""
