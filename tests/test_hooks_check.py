"""``rerun-git check``: every problem a later run would hit, reported at once, without training."""
from __future__ import annotations

import json
import shutil
import sqlite3
import sys
from pathlib import Path

import pytest

from conftest import git

BROKEN_SETTINGS = '''from rerun_git import Configuration


def create_configuration():
    config = Configuration(default_workflow="regression", default_algorithms=["linear", "lasso"],
                           categorical_features={"diabetes.csv": ["colour"]})
    config.add_experiment_group(name="baseline", datasets=["diabetes.csv", "missing.csv"])
    config.add_experiment_group(name="db", datasets=[("data.db", "nope")], workflow="absent",
                                algorithms=["ridge"], data_config={"test_size": 2.5})
    return config
'''

WORKFLOW = '''from pathlib import Path

from rerun_git import Workflow


class Regression(Workflow):
    def workflow(self, X_train, X_test, y_train, y_test, output_dir, feature_names):
        Path(__file__).with_name("TRAINED").touch()
        model = self.model.fit(X_train, y_train)
        self.evaluate_model(model, X_test, y_test, ["MAE", "R2X"], "test_metrics")
        self.evaluate_model(model, X_test, y_test, metrics=("nope",), filename="more")
        self.evaluate_model(model, X_test, y_test, self.chosen, "dynamic")  # not a literal: skipped
        self.run_evaluator("sprea", model, X_test, y_test, "spread")
'''

EVALUATORS = '''def register_custom_evaluators(registry, plot_settings):
    registry.register("spread", lambda model, X, y: 1.0)
'''


def problems(out: str) -> list[str]:
    return [line.strip() for line in out.splitlines() if line.startswith("  ") and not line.strip().startswith("hint:")]


def test_template_project_passes_quickly(project: Path, cli) -> None:
    from rerun_git.check.project import check_project

    result = cli("check", cwd=project / "workflows")
    assert result.code == 0, result.out + result.err
    assert result.out == f"ok    {project}: 5 files, 1 group, 1 dataset, 1 workflow, 2 metric names\n"
    report = check_project(project)
    assert report.ok and report.import_seconds > 0  # its time budget is measured in benchmarks/run.py
    assert "settings" not in sys.modules and "workflows.regression" not in sys.modules


def test_check_json_has_timings_only_when_asked(project: Path, cli) -> None:
    import json

    plain = json.loads(cli("check", "--format", "json", cwd=project).out)
    timed = json.loads(cli("check", "--format", "json", "--timings", cwd=project).out)
    assert "own_seconds" not in plain[0] and "import_seconds" not in plain[0]
    assert timed[0]["own_seconds"] >= 0 and timed[0]["import_seconds"] > 0
    assert {k: v for k, v in timed[0].items() if not k.endswith("_seconds")} == plain[0]


def test_every_configuration_problem_is_reported_and_nothing_runs(project: Path, cli) -> None:
    (project / "settings.py").write_text(BROKEN_SETTINGS)
    (project / "workflows" / "regression.py").write_text(WORKFLOW)
    (project / "evaluators.py").write_text(EVALUATORS)
    with sqlite3.connect(project / "datasets" / "data.db") as conn:
        conn.execute("CREATE TABLE other (a INTEGER, b INTEGER)")
    result = cli("check", cwd=project)
    assert result.code == 1
    found = problems(result.out)
    assert found == [
        "group 'baseline': unknown algorithm 'lasso'",
        "group 'baseline', dataset 'diabetes.csv': categorical feature(s) not in dataset: colour",
        f"group 'baseline': dataset not found: {project / 'datasets' / 'missing.csv'}",
        "group 'db': workflows/absent.py not found in " + str(project),
        "group 'db': invalid DataManager test_size 2.5",
        "group 'db': data.db: no table 'nope'",
        "workflows/regression.py:10: unknown metric 'R2X'",
        "workflows/regression.py:11: unknown metric 'nope'",
        "workflows/regression.py:13: unknown evaluator 'sprea'",
    ], result.out
    assert result.out.startswith("FAIL  .: 9 problems\n")
    assert "hint: known evaluators: spread" in result.out
    assert result.err.startswith("rerun-git: error: check found 9 problems in 1 project\nhint: ")
    assert not (project / "workflows" / "TRAINED").exists()
    assert not (project / "results").exists()


def test_import_errors_are_reported_with_file_and_line(project: Path, cli) -> None:
    (project / "helpers.py").write_text("SCALE = 1.0\n\nraise ValueError('boom')\n")
    data = project / "data.py"
    data.write_text("import helpers\n" + data.read_text())
    (project / "notes.py").write_text("def broken(:\n    pass\n")
    (project / "metrics.py").write_text("from rerun_git import MetricManager\n\nMETRICS = MetricManager()\n")
    result = cli("check", "--format", "json", cwd=project)
    assert result.code == 1
    report, = json.loads(result.out)
    texts = [p["problem"] for p in report["problems"]]
    assert texts == [
        "notes.py:1: SyntaxError: invalid syntax",
        "helpers.py:3: ValueError: boom",
        "metrics.py does not define METRIC_CONFIG",
    ]
    assert report["ok"] is False and report["project"] == str(project)


def test_check_selects_the_projects_of_the_given_paths(repo: Path, cli) -> None:
    from rerun_git.scaffold import write_template

    for name in ("a", "b"):
        write_template(repo / name)
    (repo / "b" / "settings.py").write_text("oops(\n")
    result = cli("check", "a/settings.py", "a/datasets/diabetes.csv", "README.md", cwd=repo)
    assert result.code == 0, result.out
    assert result.out.splitlines() == ["ok    a: 5 files, 1 group, 1 dataset, 1 workflow, 2 metric names"]
    assert cli("check", "README.md", cwd=repo).out == ""
    assert cli("check", "b", "a/workflows/regression.py", cwd=repo).out.startswith("FAIL  b:")
    outside = cli("check", cwd=repo)
    assert outside.code == 1 and "no rerun.toml found" in outside.err


def test_check_staged_reads_the_index_git_hands_to_the_hook(repo: Path, cli, monkeypatch: pytest.MonkeyPatch) -> None:
    from rerun_git.scaffold import write_template

    for name in ("a", "b"):
        write_template(repo / name)
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "two projects")
    (repo / "b" / "settings.py").write_text((repo / "b" / "settings.py").read_text() + "# b\n")
    git(repo, "add", "b/settings.py")
    assert cli("check", "--staged", cwd=repo).out.startswith("ok    b:")

    temporary = repo / ".git" / "next-index"  # like `git commit a/...`: the hook sees another index
    shutil.copyfile(repo / ".git" / "index", temporary)
    git(repo, "reset", "-q")
    (repo / "a" / "data.py").write_text((repo / "a" / "data.py").read_text() + "# a\n")
    real_index = (repo / ".git" / "index").read_bytes()
    monkeypatch.setenv("GIT_INDEX_FILE", str(temporary))
    assert cli("check", "--staged", cwd=repo).out.startswith("ok    b:")
    monkeypatch.delenv("GIT_INDEX_FILE")
    assert cli("check", "--staged", cwd=repo).out == ""  # nothing staged in the real index
    assert (repo / ".git" / "index").read_bytes() == real_index


def test_a_project_of_plain_scripts_gets_a_syntax_check(repo: Path, cli) -> None:
    project = repo / "scripts"
    project.mkdir()
    (project / "rerun.toml").write_text("")
    (project / "train.py").write_text("print('training would start here')\n")
    result = cli("check", cwd=project)
    assert result.code == 0 and result.out == "ok    .: 1 file (scripts: syntax only)\n"
    (project / "train.py").write_text("print('x'\n")
    result = cli("check", cwd=project)
    assert result.code == 1 and "train.py:1: SyntaxError" in result.out


def test_bad_rerun_toml_is_a_problem(project: Path, cli) -> None:
    (project / "rerun.toml").write_text("[capture]\nincludes = []\n")
    result = cli("check", cwd=project)
    assert result.code == 1 and "rerun.toml: unknown key capture.includes" in result.out


NEWER_HELPERS = '''from rerun_git import Workflow


class Regression(Workflow):
    def workflow(self, X_train, X_test, y_train, y_test, output_dir, feature_names):
        model = self.model.fit(X_train, y_train)
        self.evaluate_model_cv(model, X_train, y_train, ["MAE", "R2X"], "cv")
        self.hyperparameter_tuning(model, "grid", X_train, y_train, "RMSEE")
        self.compare_models(model, X=X_test, y=y_test, metrics=("MSE", "mse2"), filename="cmp")
        self.plot_learning_curve(model, X_train, y_train, metric="EVX")
        self.plot_feature_importance(model, X_test, y_test, 5, None, "fi", "R2")
'''


def test_names_in_every_workflow_helper_are_checked(project: Path, cli) -> None:
    (project / "workflows" / "regression.py").write_text(NEWER_HELPERS)
    result = cli("check", cwd=project)
    assert result.code == 1
    assert problems(result.out) == [
        "workflows/regression.py:7: unknown metric 'R2X'",
        "workflows/regression.py:8: unknown metric 'RMSEE'",
        "workflows/regression.py:9: unknown metric 'mse2'",
        "workflows/regression.py:10: unknown metric 'EVX'",
    ], result.out
    assert "hint: known metrics: " in result.out
    for typo, fixed in (("R2X", "R2"), ("RMSEE", "RMSE"), ("mse2", "MAE"), ("EVX", "EVS")):
        (project / "workflows" / "regression.py").write_text(
            (project / "workflows" / "regression.py").read_text().replace(f'"{typo}"', f'"{fixed}"'))
    result = cli("check", cwd=project)
    assert result.code == 0, result.out
    assert result.out.endswith(", 1 workflow, 7 metric names\n")


def test_preprocessors_are_checked_against_the_algorithms(project: Path, cli) -> None:
    data = project / "data.py"
    data.write_text(data.read_text()
                    .replace("ScalingPreprocessor\n", "ScalingPreprocessor, FeatureSelectionPreprocessor\n")
                    .replace('ScalingPreprocessor(method="standard")',
                             'ScalingPreprocessor(method="standard"), '
                             'FeatureSelectionPreprocessor(method="rfecv", n_features_to_select=3, estimator="rigde")'))
    result = cli("check", cwd=project)
    assert result.code == 1
    assert problems(result.out) == ["group 'baseline': FeatureSelectionPreprocessor: unknown estimator 'rigde'"]
    assert "hint: known algorithms: linear, ridge" in result.out
    run = cli("run", "--name", "typo", cwd=project)  # the runner refuses it the same way, before training
    assert run.code == 1 and "group 'baseline': FeatureSelectionPreprocessor: unknown estimator 'rigde'" in run.err
    data.write_text(data.read_text().replace('estimator="rigde"', 'estimator="ridge"'))
    assert cli("check", cwd=project).code == 0


def _group_arguments(project: Path, original: str, arguments: str) -> None:
    """Write ``original`` (the template's settings.py) with the group's datasets line replaced."""
    assert 'datasets=["diabetes.csv"],' in original
    (project / "settings.py").write_text(original.replace('datasets=["diabetes.csv"],', arguments))


def test_a_bad_workflow_args_key_fails_check_as_it_fails_run(project: Path, cli) -> None:
    settings = (project / "settings.py").read_text()
    _group_arguments(project, settings, 'datasets=["diabetes.csv"], workflow_args={"alpha": 0.5, "model": "ridge"},')
    result = cli("check", cwd=project)
    assert result.code == 1
    assert problems(result.out) == ["group 'baseline': invalid workflow argument name 'model'"], result.out
    assert "hint: workflow_args keys must be identifiers" in result.out
    run = cli("run", "--name", "bad-args", cwd=project)  # the same code refuses it before training
    assert run.code == 1 and "rerun-git: error: group 'baseline': invalid workflow argument name 'model'" in run.err
    assert not (project / "results" / "bad-args").exists()  # nothing trained, nothing written
    _group_arguments(project, settings, 'datasets=["diabetes.csv"], workflow_args={"alpha": 0.5},')
    assert cli("check", cwd=project).code == 0


def test_two_datasets_of_a_group_sharing_a_results_label_fail_check_as_they_fail_run(project: Path, cli) -> None:
    settings = (project / "settings.py").read_text()
    csv_text = (project / "datasets" / "diabetes.csv").read_text()
    (project / "datasets" / "diabetes.tsv").write_text(csv_text.replace(",", "\t"))
    _group_arguments(project, settings, 'datasets=["diabetes.csv", "diabetes.tsv"],')
    result = cli("check", cwd=project)
    assert result.code == 1
    clash = "group 'baseline': datasets 'diabetes.csv' and 'diabetes.tsv' share the label 'diabetes'"
    assert problems(result.out) == [clash], result.out
    assert "hint: rename one of the files so their results folders differ" in result.out
    run = cli("run", "--name", "clash", cwd=project)
    assert run.code == 1 and f"rerun-git: error: {clash}" in run.err
    assert not (project / "results" / "clash").exists()
    (project / "datasets" / "diabetes.tsv").rename(project / "datasets" / "diabetes_tab.tsv")
    _group_arguments(project, settings, 'datasets=["diabetes.csv", "diabetes_tab.tsv"],')
    assert cli("check", cwd=project).code == 0


def test_check_reads_only_headers_of_each_dataset_type(tmp_path: Path) -> None:
    import gzip

    from rerun_git.errors import RerunError
    from rerun_git.experiment.data import dataset_columns

    with gzip.open(tmp_path / "a.csv.gz", "wt") as handle:
        handle.write("x,y\n1,2\n")
    (tmp_path / "a.tsv").write_text("x\ty\n1\t2\n")
    with sqlite3.connect(tmp_path / "a.db") as conn:
        conn.execute("CREATE TABLE t (x INTEGER, y INTEGER)")
    (tmp_path / "a.json").write_text("[]")
    # the first 64 KiB end inside a two-byte character: only the header line is decoded
    (tmp_path / "wide.csv").write_bytes(b"xy,z\n" + "\u00e9,1\n".encode() * 20000)
    assert dataset_columns(tmp_path / "a.csv.gz") == ["x", "y"]
    assert dataset_columns(tmp_path / "a.tsv") == ["x", "y"]
    assert dataset_columns(tmp_path / "a.db", "t") == ["x", "y"]
    assert dataset_columns(tmp_path / "a.json") is None
    assert dataset_columns(tmp_path / "wide.csv") == ["xy", "z"]
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(RerunError, match="^cannot read dataset empty.csv: the file is empty$"):
        dataset_columns(tmp_path / "empty.csv")
    with pytest.raises(RerunError, match="^a.db: no table 'u'$"):
        dataset_columns(tmp_path / "a.db", "u")
    with pytest.raises(RerunError, match="^a.tsv: a table name only applies"):
        dataset_columns(tmp_path / "a.tsv", "t")
