"""Unmodified ``brisk create`` projects run, are captured and reproduce; unknown Brisk paths fail in one line."""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any

import pytest

from conftest import git

HERE = Path(__file__).resolve().parent


def _tree_digest(root: Path) -> dict[str, str]:
    """sha256 of every project file (results/ and .git/ aside)."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and p.relative_to(root).parts[0] not in (".git", "results")
            and "__pycache__" not in p.parts}


def _committed_copy(tmp_path: Path, project: str) -> Path:
    work = tmp_path / project
    shutil.copytree(HERE / "projects" / project, work)
    git(work, "init", "-q")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "a Brisk project made by `brisk create`, datasets= filled in")
    return work


def _small_dataset(work: Path) -> None:
    """Fill ``datasets=`` of the classification template with the 40 rows ``rerun-git create`` bundles for it.

    The template tunes logistic regression over Brisk's 2088 candidates x 15 folds on each of 5 splits
    (about 156,000 fits a run); its cost is the number of fits, so the data is kept small.
    """
    from rerun_git.scaffold import brisk_classification_dataset

    _name, frame = brisk_classification_dataset()
    frame.to_csv(work / "datasets" / "cancer.csv", index=False)
    git(work, "commit", "-qam", "a small dataset")


#: Brisk's classification template tunes logistic regression over 2088 candidates x 15 folds x 5 splits
#: (docs/brisk.md, "Evidence").
CLASSIFICATION_COST = ("Brisk's classification template runs 156,600 logistic fits a run and as many to reproduce: "
                       "about 12 minutes on 2 cores")


@pytest.mark.slow
@pytest.mark.parametrize("project", [
    "template_regression",
    pytest.param("template_classification", marks=pytest.mark.expensive(reason=CLASSIFICATION_COST)),
])
def test_brisk_create_project_runs_is_captured_and_reproduces_after_wreck(cli: Any, tmp_path: Path,
                                                                          project: str) -> None:
    work = _committed_copy(tmp_path, project)
    if project == "template_classification":
        _small_dataset(work)
    assert not (work / "rerun.toml").exists() and (work / ".brisk").is_dir()
    before = _tree_digest(work)
    ran = cli("run", "--name", "brisk", "--seed", "7", cwd=work)
    assert ran.code == 0, ran.err
    assert "captured run/brisk" in ran.out
    assert _tree_digest(work) == before  # the project's files are not changed
    assert (work / "results/brisk/group_name").is_dir()
    assert sorted(p.name for p in (work / "results/brisk").glob("group_name/*/split_0/group_name_*/*.json")) == [
        "hyperparameter_tuning.json", "post_tune_score.json", "pre_tune_score.json"]
    shutil.rmtree(work / "workflows")
    (work / "settings.py").write_text("raise SystemExit('wrecked')\n")
    for csv in (work / "datasets").glob("*.csv"):
        csv.write_text("a,b\n1,2\n")
    again = cli("reproduce", "brisk", cwd=work)
    assert again.code == 0, again.err
    assert "metrics match" in again.err


def test_brisk_path_we_do_not_provide_fails_in_one_line(cli: Any, tmp_path: Path) -> None:
    work = tmp_path / "p"
    shutil.copytree(HERE / "projects" / "reg_kfold_seeded", work)
    settings = work / "settings.py"
    settings.write_text("from brisk.services.reporting import ReportingService\n" + settings.read_text())
    result = cli("run", "--no-capture", "--name", "x", cwd=work)
    assert result.code == 1
    lines = result.err.strip().splitlines()
    assert lines[0] == "rerun-git: error: rerun-git does not provide the Brisk module brisk.services.reporting"
    assert lines[1:] == ["hint: see docs/brisk.md for the Brisk paths rerun-git provides"]


def test_one_failing_experiment_is_reported_and_the_others_run(cli: Any, tmp_path: Path) -> None:
    work = _committed_copy(tmp_path, "reg_kfold_seeded")
    workflow = work / "workflows" / "fixture.py"
    workflow.write_text(workflow.read_text().replace(
        "        self.model.fit(X_train, y_train)",
        "        if self.algorithm.name == 'knn':\n            raise ValueError('knn breaks on purpose')\n"
        "        self.model.fit(X_train, y_train)"))
    git(work, "commit", "-qam", "knn fails")
    failed = cli("run", "--name", "f", "--seed", "7", cwd=work)
    assert failed.code == 1
    assert failed.err.count("FAILED ref/diabetes/split_") == 3
    assert "ValueError: knn breaks on purpose" in failed.err
    assert "3 of 6 experiments failed; the run was not captured (capture it with --keep-failed); results in" in failed.err
    assert "without capture" not in failed.out, "only --no-capture runs without capture"
    assert (work / "results/f/ref/diabetes/split_2/ref_ridge/test_scores.json").is_file()
    assert git(work, "tag", "-l") == ""
    kept = cli("run", "--name", "g", "--seed", "7", "--keep-failed", cwd=work)
    assert kept.code == 1
    assert "captured run/g" in kept.out and "captured anyway (--keep-failed)" in kept.err
    assert git(work, "tag", "-l").split() == ["run/g"]


def test_create_offers_brisks_template(cli: Any, tmp_path: Path) -> None:
    created = cli("create", "bp", "--template", "brisk-regression", cwd=tmp_path)
    assert created.code == 0, created.err
    project = tmp_path / "bp"
    assert (project / ".brisk" / "project.json").is_file() and not (project / "rerun.toml").exists()
    assert "from brisk.configuration.configuration import Configuration" in (project / "settings.py").read_text()
    git(project, "add", "-A")
    git(project, "commit", "-qm", "start")
    ran = cli("run", "--name", "b", "--seed", "1", cwd=project)
    assert ran.code == 0, ran.err
    assert "captured run/b" in ran.out
    assert (project / "results/b/group_name/diabetes/split_4/group_name_linear/post_tune_score.json").is_file()


def test_create_offers_brisks_classification_template_with_data_it_can_tune(cli: Any, tmp_path: Path) -> None:
    """Its run is the expensive test above (the same 40 rows); here: the files, the data and the warning."""
    import pandas as pd

    created = cli("create", "bc", "--template", "brisk-classification", cwd=tmp_path)
    assert created.code == 0, created.err
    assert "note: Brisk's classification template tunes 2088 candidates x 15 folds" in created.err
    project = tmp_path / "bc"
    assert 'datasets=["breast_cancer.csv"]' in (project / "settings.py").read_text()
    data = pd.read_csv(project / "datasets" / "breast_cancer.csv")
    assert list(data.columns) == ["mean_radius", "mean_texture", "target"]
    assert data.target.value_counts().to_dict() == {0: 20, 1: 20}
    assert abs(data.mean_radius.mean()) < 1e-6 and abs(data.mean_texture.std() - 1) < 1e-5
