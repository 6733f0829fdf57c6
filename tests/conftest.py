"""Shared fixtures: real git repositories in temporary folders, never a mocked git."""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True, scope="session")
def isolated_git_config(tmp_path_factory: pytest.TempPathFactory):
    """Tests never read the developer's git config: a fresh HOME with a known identity."""
    home = tmp_path_factory.mktemp("home")
    (home / ".gitconfig").write_text(
        "[user]\n\tname = Test User\n\temail = test@example.invalid\n"
        "[init]\n\tdefaultBranch = main\n"
        "[protocol \"file\"]\n\tallow = always\n"
        "[advice]\n\tdetachedHead = false\n"
    )
    saved = {k: os.environ.get(k) for k in ("HOME", "GIT_CONFIG_NOSYSTEM", "XDG_CONFIG_HOME")}
    os.environ.update(HOME=str(home), GIT_CONFIG_NOSYSTEM="1", XDG_CONFIG_HOME=str(home / ".config"))
    yield home
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def git(cwd: Path, *args: str, check: bool = True) -> str:
    """Run git for a test's own setup and assertions."""
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr}")
    return proc.stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """An empty git repository with one commit."""
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "-q")
    (path / "README.md").write_text("a user's repository\n")
    git(path, "add", "README.md")
    git(path, "commit", "-q", "-m", "initial")
    return path


@pytest.fixture
def project(repo: Path) -> Path:
    """The regression template, committed, at the top of ``repo``."""
    from rerun_git.scaffold import write_template

    write_template(repo)
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "add project")
    return repo


BARE_RUN_MESSAGE = "run {name}: x=1\n\nRerun-Source: none\nRerun-Dirty: no\nRerun-Version: 0.1.0\nRerun-Metric: x=1.0\n"


def publish_tree(repo_path: Path, name: str, tree: str, refs=None):
    """Publish ``tree`` as run ``name`` through the store API (no experiment, no record); return the PublishedRun."""
    from rerun_git.store.objects import ObjectWriter
    from rerun_git.store.repo import Repo
    from rerun_git.store.refs import RefSettings, TagMessage
    from rerun_git.store.snapshot import Identity, publish_run

    repo = Repo.open(repo_path)
    message = TagMessage.parse(BARE_RUN_MESSAGE.format(name=name))
    return publish_run(repo, ObjectWriter(repo), refs or RefSettings(), tree=tree, head=None, message=message,
                       identity=Identity.of(repo))


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    """Run ``rerun-git ARGS`` in-process in ``cwd``; returns code, stdout and stderr."""
    from rerun_git.cli import main

    def run(*args: str, cwd: Path) -> CliResult:
        monkeypatch.chdir(cwd)
        capsys.readouterr()
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse usage errors
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


def run_cli_subprocess(*args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run ``python -m rerun_git ARGS`` as a separate process."""
    return subprocess.run(
        [sys.executable, "-m", "rerun_git", *args], cwd=cwd, capture_output=True, text=True,
        env={**os.environ, **(env or {})}, timeout=timeout,
    )


def imported_modules(*args: str, cwd: Path) -> set[str]:
    """Top-level names of every module ``rerun-git ARGS`` imports (``python -X importtime``, a separate process)."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "rerun_git", *args], cwd=cwd,
                          capture_output=True, text=True)
    assert proc.returncode in (0, 1), proc.stderr[-500:]
    return {line.split("|")[-1].strip().split(".")[0] for line in proc.stderr.splitlines() if "import time:" in line}


def occupied_folder(path: Path) -> Path:
    """A new folder at ``path`` holding one file of the user's, ``keep.txt``."""
    path.mkdir()
    (path / "keep.txt").write_text("mine\n")
    return path


@dataclass(frozen=True)
class RepoState:
    """Everything of the user's that rerun-git must leave alone."""

    status: str
    index: bytes
    head: str
    refs: str
    stash: str
    untracked: str


def repo_state(path: Path, own_refs: tuple[str, ...] = ("refs/tags/run/", "refs/heads/rerun/")) -> RepoState:
    git_dir = Path(git(path, "rev-parse", "--absolute-git-dir").strip())
    index = git_dir / "index"
    refs = "\n".join(
        line for line in git(path, "for-each-ref", "--format=%(refname) %(objectname)").splitlines()
        if not line.startswith(own_refs)
    )
    return RepoState(
        status=git(path, "status", "--porcelain=v2", "--branch", "--untracked-files=all"),
        index=index.read_bytes() if index.exists() else b"",
        head=git(path, "rev-parse", "HEAD", check=False) + git(path, "symbolic-ref", "-q", "HEAD", check=False),
        refs=refs,
        stash=git(path, "stash", "list"),
        untracked=git(path, "ls-files", "--others", "--exclude-standard"),
    )


#: Set to run the tests marked ``expensive`` (CI does not: each costs minutes of CPU, e.g. 12 minutes on 2 cores).
EXPENSIVE_VARIABLE = "RERUN_GIT_EXPENSIVE"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip ``expensive`` tests, with one line saying how to run them, unless RERUN_GIT_EXPENSIVE=1."""
    if os.environ.get(EXPENSIVE_VARIABLE) == "1":
        return
    for item in items:
        marker = item.get_closest_marker("expensive")
        if marker is not None:
            why = marker.kwargs.get("reason", "an expensive test")
            item.add_marker(pytest.mark.skip(reason=f"{why}; run it with {EXPENSIVE_VARIABLE}=1"))
