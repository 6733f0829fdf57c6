"""Helpers shared by the reliability, bad-input and security tests (issue 6).

A *tiny* project (one group, one split, one algorithm, a 24-row CSV) keeps
the many captures of these tests fast; the helpers around it build user
repositories in awkward states and compare everything rerun-git must not touch.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable
from pathlib import Path
from textwrap import dedent

import tomli_w

from conftest import git, repo_state

HERE = Path(__file__).resolve().parent

TINY_FILES = {
    "rerun.toml": "[capture]\nembed_datasets_max_mb = 1\n",
    ".gitignore": "results/\n__pycache__/\n",
    "settings.py": """
        from rerun_git import Configuration


        def create_configuration():
            config = Configuration(default_workflow="fit", default_algorithms=["linear"])
            config.add_experiment_group(name="g", datasets=["tiny.csv"])
            return config
    """,
    "data.py": """
        from rerun_git import DataManager

        BASE_DATA_MANAGER = DataManager(test_size=0.25, n_splits=1, split_method="shuffle",
                                        problem_type="regression", random_state=0)
    """,
    "algorithms.py": """
        from sklearn.linear_model import LinearRegression

        from rerun_git import AlgorithmCollection, AlgorithmWrapper

        ALGORITHM_CONFIG = AlgorithmCollection(AlgorithmWrapper("linear", "Linear", LinearRegression))
    """,
    "metrics.py": """
        from rerun_git import REGRESSION_METRICS, MetricManager

        METRIC_CONFIG = MetricManager(*REGRESSION_METRICS)
    """,
    "workflows/fit.py": """
        from rerun_git import Workflow


        class Fit(Workflow):
            def workflow(self, X_train, X_test, y_train, y_test, output_dir, feature_names):
                model = self.model.fit(X_train, y_train)
                self.evaluate_model(model, X_test, y_test, ["MAE", "R2"], "scores")
    """,
}


def tiny_csv(rows: int = 24) -> str:
    """A small deterministic regression table: ``a, b -> y``."""
    lines = ["a,b,y"]
    for i in range(rows):
        a, b = i % 7, (i * 3) % 5
        lines.append(f"{a},{b},{2 * a - b + (i % 3) * 0.5}")
    return "\n".join(lines) + "\n"


def write_tiny_project(root: Path, overrides: dict[str, str | bytes] | None = None) -> Path:
    """Write the tiny project into ``root`` (created); ``overrides`` replace or add files."""
    files: dict[str, str | bytes] = {**TINY_FILES, "datasets/tiny.csv": tiny_csv(), **(overrides or {})}
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(dedent(content).lstrip("\n"), encoding="utf-8")
    return root


def init_repo(path: Path, commit: bool = True) -> Path:
    """``git init`` at ``path`` with one commit of a README (unless ``commit`` is false)."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q")
    if commit:
        (path / "README.md").write_text("a user's repository\n")
        git(path, "add", "README.md")
        git(path, "commit", "-q", "-m", "initial")
    return path


def tiny_repo(path: Path) -> Path:
    """A repository whose top level holds the committed tiny project."""
    init_repo(path)
    write_tiny_project(path)
    git(path, "add", ".")
    git(path, "commit", "-q", "-m", "add project")
    return path


def settle(path: Path) -> None:
    """Backdate every working-tree file and refresh the index, so that ``git status`` stops rewriting it.

    Files written in the same second as the index are "racily clean": git
    re-hashes them and may rewrite the index on every ``git status``, which
    would make byte-for-byte index comparisons flaky for reasons of git's own.
    """
    past = time.time() - 30
    for dirpath, dirnames, filenames in os.walk(path):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for name in filenames:
            file = Path(dirpath) / name
            if not file.is_symlink():
                os.utime(file, (past, past))
    quiet = ("-c", "core.hooksPath=/dev/null")  # a post-index-change hook is the user's, not the test's
    git(path, *quiet, "update-index", "-q", "--really-refresh", check=False)
    git(path, *quiet, "status", "--porcelain", check=False)


#: The record's parts in a snapshot (schema 2): ``[env]`` and ``[files]`` have blobs of their own.
SECTION_BLOBS = {".rerun/env.toml": "env", ".rerun/files.toml": "files"}


def full_record(repo: Path, rev: str) -> dict:
    """The record of ``rev`` (a run or commit) as one table: ``run.toml`` with its section blobs put back in."""
    record = tomllib.loads(git(repo, "show", f"{rev}:.rerun/run.toml"))
    for path, key in SECTION_BLOBS.items():
        if key not in record:
            record[key] = tomllib.loads(git(repo, "show", f"{rev}:{path}"))
    return record


def record_entries(record: dict) -> dict[str, tuple[str, bytes]]:
    """A record table (as :func:`full_record` gives it) as the tree entries that store it."""
    main = {key: value for key, value in record.items() if key not in SECTION_BLOBS.values()}
    entries = {".rerun/run.toml": ("100644", tomli_w.dumps(main).encode())}
    for path, key in SECTION_BLOBS.items():
        if key in record:
            entries[path] = ("100644", tomli_w.dumps(record[key]).encode())
    return entries


def forge_run(
    repo: Path,
    name: str,
    mutate: Callable[[dict], None] | None = None,
    raw_record: bytes | None = None,
    entries: dict[str, tuple[str, bytes] | None] | None = None,
    lightweight: bool = False,
    base: str = "base",
) -> None:
    """A hand-edited copy of run ``base`` (default: ``base``) tagged ``run/<name>``: its record mutated or replaced, tree entries changed.

    ``entries`` maps a path to ``(mode, content)`` (or ``None`` to drop it). Plain git plumbing on a
    temporary index, as someone editing a run by hand would do.
    """
    env = {**os.environ, "GIT_INDEX_FILE": str(repo.parent / "forge-index")}

    def plumb(*args: str, data: bytes | None = None) -> str:
        proc = subprocess.run(["git", *args], cwd=repo, env=env, input=data, capture_output=True, check=True)
        return proc.stdout.decode().strip()

    plumb("read-tree", f"run/{base}^{{commit}}")
    record = full_record(repo, f"run/{base}")
    record["name"] = name
    if mutate:
        mutate(record)
    written = {".rerun/run.toml": ("100644", raw_record)} if raw_record is not None else record_entries(record)
    changes = {**written, **(entries or {})}
    for path, change in changes.items():
        if change is None:
            plumb("update-index", "--force-remove", "--", path)
        else:
            blob = plumb("hash-object", "-w", "--stdin", data=change[1])
            plumb("update-index", "--add", "--cacheinfo", f"{change[0]},{blob},{path}")
    tree = plumb("write-tree")
    commit = plumb("commit-tree", tree, "-m", f"run {name}: forged\n\nRerun-Version: 0.1.0")
    os.unlink(env["GIT_INDEX_FILE"])
    if lightweight:
        git(repo, "tag", f"run/{name}", commit)
    else:
        git(repo, "tag", "-a", "-m", f"run {name}: forged\n\nRerun-Source: none\nRerun-Version: 0.1.0", f"run/{name}", commit)


def own_refs(path: Path) -> str:
    """rerun-git's own refs (run tags and the runs branch) with their ids."""
    return git(path, "for-each-ref", "--format=%(refname) %(objectname)", "refs/tags/run", "refs/heads/rerun")


def all_refs(path: Path) -> str:
    return git(path, "for-each-ref", "--format=%(refname) %(objectname)")


def run_tags(path: Path) -> list[str]:
    return git(path, "tag", "-l", "run/*").split()


def rerun_worktrees(path: Path) -> list[str]:
    """Linked worktrees (``git worktree list``) other than the main one."""
    out = git(path, "worktree", "list", "--porcelain")
    paths = [line[len("worktree "):] for line in out.splitlines() if line.startswith("worktree ")]
    return paths[1:]


def fsck(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "fsck", "--strict", "--no-progress"], cwd=path, capture_output=True, text=True)


def assert_fsck_clean(path: Path) -> None:
    proc = fsck(path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    bad = [line for line in (proc.stdout + proc.stderr).splitlines() if not line.startswith(("dangling ", "Checking"))]
    assert not bad, bad


def python_cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """Start ``python -m rerun_git ARGS`` without waiting for it."""
    return subprocess.Popen(
        [sys.executable, "-m", "rerun_git", *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env={**os.environ, **(env or {})},
    )


def crash_helper(*args: str, cwd: Path, crash_at: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the CLI through ``tests/crash_helper.py``, which SIGKILLs itself at ``crash_at``."""
    env = {**os.environ, "RERUN_GIT_TEST_CRASH_AT": crash_at}
    return subprocess.run([sys.executable, str(HERE / "crash_helper.py"), *args], cwd=cwd, capture_output=True,
                          text=True, env=env, timeout=timeout)


def assert_clean_error(code: int, err: str, expected_code: int = 1) -> None:
    """One ``rerun-git: error:`` line plus a ``hint:`` line, the right exit code, no traceback."""
    assert code == expected_code, (code, err)
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    errors = [line for line in lines if line.startswith("rerun-git: error: ")]
    assert len(errors) == 1, err
    assert any(line.startswith("hint: ") for line in lines), err


__all__ = [
    "TINY_FILES", "tiny_csv", "full_record", "record_entries", "write_tiny_project", "init_repo", "tiny_repo", "settle", "own_refs", "all_refs",
    "run_tags", "rerun_worktrees", "forge_run", "fsck", "assert_fsck_clean", "python_cli", "crash_helper", "assert_clean_error",
    "repo_state", "git",
]
