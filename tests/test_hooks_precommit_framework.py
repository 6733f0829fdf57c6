"""``.pre-commit-hooks.yaml`` with the real pre-commit framework (``pre-commit try-repo``)."""
from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, git

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pre_commit() -> None:
    if importlib.util.find_spec("pre_commit") is None:
        pytest.skip("the pre-commit package is not installed (it is in the test extra)")


@pytest.fixture
def hook_repo(tmp_path: Path) -> Path:
    """rerun-git as pre-commit clones it: a git repository with .pre-commit-hooks.yaml at its top."""
    repo = tmp_path / "rerun-git"
    repo.mkdir()
    for name in ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml"):
        shutil.copyfile(ROOT / name, repo / name)
    shutil.copytree(ROOT / "rerun_git", repo / "rerun_git", ignore=shutil.ignore_patterns("__pycache__"))
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "rerun-git")
    return repo


def try_repo(project: Path, hook_repo: Path, hook_id: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(home),
        # The hook's virtualenv sees the installed scikit-learn / pandas instead of downloading them;
        # rerun-git itself is still pip-installed from the hook repository, as for a user.
        "VIRTUALENV_SYSTEM_SITE_PACKAGES": "1",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    return subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo), hook_id, "--all-files"],
                          cwd=project, env=env, capture_output=True, text=True, timeout=900)


# Only the `language: system` hook is run here: the `language: python` one makes pre-commit pip-install
# rerun-git into an environment of its own, and no test installs packages.
@pytest.mark.parametrize("hook_id", ["rerun-git-check-system"])
def test_pre_commit_framework_runs_the_check(pre_commit, project: Path, hook_repo: Path, tmp_path: Path,
                                             hook_id: str) -> None:
    if hook_id.endswith("-system") and not (Path(sys.executable).parent / "rerun-git").exists():
        pytest.skip("the rerun-git console script is not beside the interpreter")
    home = tmp_path / "pre-commit-home"
    passed = try_repo(project, hook_repo, hook_id, home)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout

    workflow = project / "workflows" / "regression.py"
    text = workflow.read_text()
    line = next(i for i, source in enumerate(text.splitlines(), 1) if "evaluate_model" in source)
    workflow.write_text(text.replace('["MAE", "R2"]', '["MAE", "R2X"]'))
    git(project, "add", "workflows/regression.py")
    failed = try_repo(project, hook_repo, hook_id, home)
    assert failed.returncode == 1
    assert "Failed" in failed.stdout
    assert f"workflows/regression.py:{line}: unknown metric 'R2X'" in failed.stdout
