"""Reproduce: a run is rebuilt from its snapshot in a worktree and every metric verified."""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from conftest import git, repo_state


def worktrees(repo: Path) -> list[str]:
    return [line for line in git(repo, "worktree", "list", "--porcelain").splitlines() if line.startswith("worktree ")]


@pytest.fixture
def captured(project: Path, cli) -> Path:
    result = cli("run", "--name", "first", cwd=project)
    assert result.code == 0, result.err
    return project


def test_reproduce_matches_every_metric(captured: Path, cli) -> None:
    result = cli("reproduce", "run/first", cwd=captured)
    assert result.code == 0, result.err
    assert "all 12 metrics match run first" in result.err
    assert result.out.count(" ok") == 12
    assert len(worktrees(captured)) == 1


def test_reproduce_after_user_wrecks_the_working_tree(captured: Path, cli) -> None:
    shutil.rmtree(captured / "workflows")
    (captured / "algorithms.py").write_text("raise SystemExit('broken on purpose')\n")
    (captured / "datasets" / "diabetes.csv").write_text("a,b\n1,2\n")
    before = repo_state(captured)
    result = cli("reproduce", "first", cwd=captured)
    assert result.code == 0, result.err
    assert "all 12 metrics match" in result.err
    assert repo_state(captured) == before
    assert len(worktrees(captured)) == 1


@pytest.fixture
def shifty(project: Path, cli) -> Path:
    """A run whose workflow shifts the target by ``$SHIFT_FOR_TEST`` (0 when captured)."""
    workflow = project / "workflows" / "regression.py"
    workflow.write_text(workflow.read_text().replace(
        "        model = self.model.fit(X_train, y_train)",
        "        import os\n        model = self.model.fit(X_train, y_train + float(os.environ.get('SHIFT_FOR_TEST', 0)))"))
    assert cli("run", "--name", "shifty", cwd=project).code == 0
    return project


def test_reproduce_reports_a_mismatch(shifty: Path, cli, monkeypatch: pytest.MonkeyPatch) -> None:
    project = shifty
    monkeypatch.setenv("SHIFT_FOR_TEST", "5")
    result = cli("reproduce", "shifty", cwd=project)
    assert result.code == 1
    assert "MISMATCH" in result.out
    assert "12 of 12 metrics differ" in result.err  # a shifted target moves MAE and R2 everywhere
    assert len(worktrees(project)) == 1


def test_reproduce_with_tolerance(shifty: Path, cli, monkeypatch: pytest.MonkeyPatch) -> None:
    project = shifty
    monkeypatch.setenv("SHIFT_FOR_TEST", "1e-9")
    assert cli("reproduce", "shifty", cwd=project).code == 1
    assert cli("reproduce", "shifty", "--rtol", "1e-6", cwd=project).code == 0


def test_keep_worktree(captured: Path, cli) -> None:
    result = cli("reproduce", "first", "--keep-worktree", cwd=captured)
    assert result.code == 0
    kept = [line.split(" at ", 1)[1] for line in result.err.splitlines() if "worktree kept at" in line]
    assert kept and Path(kept[0]).is_dir()
    assert (Path(kept[0]) / "settings.py").is_file()
    assert len(worktrees(captured)) == 2


def test_reproduce_unknown_run_suggests_nearest(captured: Path, cli) -> None:
    result = cli("reproduce", "frist", cwd=captured)
    assert result.code == 1
    assert "rerun-git: error: unknown run run/frist" in result.err
    assert "hint: did you mean run/first?" in result.err


def test_large_dataset_changed_since_run_is_fatal(project: Path, cli) -> None:
    (project / "rerun.toml").write_text("[capture]\nembed_datasets_max_mb = 0.01\n")
    assert cli("run", "--name", "big", cwd=project).code == 0
    assert "datasets/diabetes.csv" not in git(project, "ls-tree", "-r", "--name-only", "run/big")
    assert cli("reproduce", "big", cwd=project).code == 0  # the data is still there, unchanged
    data = project / "datasets" / "diabetes.csv"
    data.write_text(data.read_text().replace("151.0", "152.0", 1))
    result = cli("reproduce", "big", cwd=project)
    assert result.code == 1
    assert "dataset diabetes.csv: sha256 differs" in result.err
    assert len(worktrees(project)) == 1


def test_workflow_class_absent_from_snapshot(project: Path, cli) -> None:
    from rerun_git.store.objects import ObjectWriter, TreeEntry
    from rerun_git.store.repo import Repo
    from dataclasses import replace

    from rerun_git.store.refs import RefSettings, TagMessage
    from rerun_git.store.runs import list_tree
    from rerun_git.store.snapshot import Identity, publish_run

    assert cli("run", "--name", "orig", cwd=project).code == 0
    repo = Repo.open(project)
    writer = ObjectWriter(repo)
    entries = {path: TreeEntry(mode, sha) for mode, sha, path in list_tree(repo, "run/orig^{commit}")}
    renamed = git(project, "show", "run/orig:workflows/regression.py").replace("class Regression", "class Renamed")
    entries["workflows/regression.py"] = TreeEntry("100644", writer.write_blob(renamed.encode()))
    # keep the record consistent with the tampered bytes, so the strategy's own check is what fires
    files = git(project, "show", "run/orig:.rerun/files.toml")
    old_sha = hashlib.sha256(git(project, "show", "run/orig:workflows/regression.py").encode()).hexdigest()
    files = files.replace(old_sha, hashlib.sha256(renamed.encode()).hexdigest())
    entries[".rerun/files.toml"] = TreeEntry("100644", writer.write_blob(files.encode()))
    message = replace(TagMessage.parse(git(project, "cat-file", "tag", "run/orig").split("\n\n", 1)[1]), name="tampered")
    publish_run(repo, writer, RefSettings(), tree=writer.write_tree(entries), head=None, message=message,
                identity=Identity.of(repo))
    result = cli("reproduce", "tampered", cwd=project)
    assert result.code == 1
    assert "workflow class Regression recorded for workflows/regression.py is absent from the snapshot" in result.err
    assert len(worktrees(project)) == 1
