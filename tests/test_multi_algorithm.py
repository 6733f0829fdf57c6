"""Brisk's multi-algorithm experiments (model, model2) and per-split split_distribution/ statistics."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from conftest import git
from experiment.exp_project_helpers import run_captured, write_committed_project
from rerun_git.errors import RerunError

SETTINGS = """
    from rerun_git.experiment import Configuration, PlotSettings

    def create_configuration():
        config = Configuration(default_workflow="basic", default_algorithms=[["linear", "ridge"], "dtr"],
                               plot_settings=PlotSettings(width=3, height=2, dpi=40))
        config.add_experiment_group(name="main", datasets=["diabetes.csv"])
        return config
"""
# Both models are trained and compared when the experiment has two; one model otherwise.
WORKFLOW = """
    import helper
    from rerun_git.experiment import Workflow


    class Basic(Workflow):
        def workflow(self, X_train, X_test, y_train, y_test, output_dir, feature_names):
            self.model.fit(X_train, y_train)
            self.evaluate_model(self.model, X_test, y_test, helper.METRICS, "test_scores")
            if hasattr(self, "model2"):
                assert self.algorithm_names == ["linear", "ridge"]
                self.model2.fit(X_train, y_train)
                self.compare_models(self.model, self.model2, X=X_test, y=y_test, metrics=helper.METRICS,
                                    filename="compare", calculate_diff=True)
"""


def _project(repo: Path, rerun_toml: str = "[capture]\nembed_datasets_max_mb = 5\n") -> Path:
    return write_committed_project(repo, {"settings.py": SETTINGS, "workflows/basic.py": WORKFLOW,
                                          "rerun.toml": rerun_toml})


_run = run_captured


def _distribution_files(repo: Path, name: str) -> dict[str, bytes]:
    base = repo / "results" / name
    return {p.relative_to(base).as_posix(): p.read_bytes() for p in sorted(base.rglob("*"))
            if p.is_file() and "/split_distribution/" in p.relative_to(base).as_posix()}


def test_a_two_algorithm_experiment_runs_is_captured_and_reproduces(repo: Path, cli) -> None:
    project = _project(repo)
    ran = cli("run", "--name", "multi", cwd=project)
    assert ran.code == 0, ran.err
    results = project / "results" / "multi" / "main" / "diabetes" / "split_0"
    compare = json.loads((results / "main_linear_ridge" / "compare.json").read_text())
    assert set(compare) == {"Linear", "Ridge", "differences", "_metadata"}
    assert compare["_metadata"]["models"] == {"linear": "Linear", "ridge": "Ridge"}
    assert (results / "main_dtr" / "test_scores.json").is_file() and not (results / "main_linear").exists()
    from rerun_git.record.run_record import load_run

    record = load_run("multi", project)[1]
    assert set(record.results) == {f"main/diabetes/split_{i}/{a}/{f}" for i in (0, 1)
                                   for a, f in (("linear+ridge", "test_scores"), ("linear+ridge", "compare"),
                                                ("dtr", "test_scores"))}
    assert record.results["main/diabetes/split_0/linear+ridge/compare"]["Ridge.MAE"] > 0
    kept = git(project, "ls-tree", "-r", "--name-only", "run/multi").splitlines()
    assert ".rerun/results/main/diabetes/split_0/main_linear_ridge/compare.json" in kept
    assert ".rerun/results/main/diabetes/split_1/split_distribution/continuous_stats.json" in kept
    for args in (("show", "multi"), ("list",), ("compare", "multi", "multi"), ("log",),
                 ("report", "-o", str(repo.parent / "site"))):
        shown = cli(*args, cwd=project)
        assert shown.code == 0, shown.err
    assert "linear+ridge" in cli("show", "multi", cwd=project).out
    assert "linear+ridge" in (repo.parent / "site" / "index.html").read_text() + "".join(
        p.read_text() for p in (repo.parent / "site").rglob("*.html"))
    for path in (project / "workflows", project / "settings.py"):
        path.rename(path.with_name(path.name + ".gone"))
    again = cli("reproduce", "multi", cwd=project)
    assert again.code == 0, again.err + again.out
    assert "all 16 metrics match run" in again.err


def test_single_algorithm_cells_keep_their_keys_and_seeds() -> None:
    from rerun_git.experiment.cells import Cell
    from rerun_git.experiment.runner import experiment_dir
    from rerun_git.experiment.seeds import cell_seed

    single, multi = Cell.of("main", "diabetes", 0, ["rf"]), Cell.of("main", "diabetes", 0, ["linear", "ridge"])
    assert single == Cell("main", "diabetes", 0, "rf") and single.key == "main/diabetes/split_0/rf"
    assert cell_seed(7, single.key) == cell_seed(7, "main/diabetes/split_0/rf")
    assert multi.key == "main/diabetes/split_0/linear+ridge" and multi.algorithms == ("linear", "ridge")
    assert experiment_dir(multi) == "main/diabetes/split_0/main_linear_ridge"
    assert experiment_dir(single) == "main/diabetes/split_0/main_rf"


def test_algorithm_lists_are_checked_as_brisk_reads_them() -> None:
    from rerun_git.experiment.configuration import Configuration

    config = Configuration(default_workflow="basic", default_algorithms=["linear"])
    config.add_experiment_group(name="a", datasets=["d.csv"], algorithms=["lasso", ["linear", "ridge", "dtr"]],
                                algorithm_config={"ridge": {"alpha": [1.0]}})
    assert config.experiment_groups[0].experiment_algorithms() == [("lasso",), ("linear", "ridge", "dtr")]
    assert config.experiment_groups[0].export_params()["algorithms"] == ["lasso", ["linear", "ridge", "dtr"]]
    for bad, words in (([[]], "neither an algorithm name"), ([["linear", 3]], "neither an algorithm name"),
                       ([["a", "b"], ["a", "b"]], r"'a\+b' listed twice"), ([], "non-empty list")):
        with pytest.raises(RerunError, match=words):
            config.add_experiment_group(name="b", datasets=["d.csv"], algorithms=bad)
    with pytest.raises(RerunError, match="not in the group: lasso"):
        config.add_experiment_group(name="c", datasets=["d.csv"], algorithms=[["linear", "ridge"]],
                                    algorithm_config={"lasso": {"alpha": [1.0]}})


def test_workflow_models_are_named_model_model2_model3() -> None:
    from rerun_git.experiment.workflow import check_workflow_arg, model_attributes

    assert model_attributes(1) == ["model"] and model_attributes(3) == ["model", "model2", "model3"]
    with pytest.raises(RerunError, match="model2"):
        check_workflow_arg(object, "model2")


def test_split_distribution_files_are_identical_serial_and_with_jobs_2(repo: Path) -> None:
    project = _project(repo, "[run]\nsplit_plots = true\n")
    serial, two = _run(project, "serial"), _run(project, "two", jobs=2)
    assert two.results == serial.results
    files = _distribution_files(project, "serial")
    assert files == _distribution_files(project, "two")
    base = "main/diabetes/split_1/split_distribution"
    assert {f"{base}/continuous_stats.json", f"{base}/categorical_stats.json", f"{base}/correlation_matrix.png",
            f"{base}/hist_box_plot/age_hist_box_plot.png"} <= set(files)
    stats = json.loads(files[f"{base}/continuous_stats.json"])
    assert list(stats) == ["age", "bmi", "bp", "s5", "_metadata"]
    assert set(stats["bmi"]) == {"train", "test"} and stats["bmi"]["train"]["min"] <= stats["bmi"]["train"]["max"]
    assert stats["_metadata"] == {"method": "brisk_continuous_statistics", "type": "dataset",
                                  "dataset": "diabetes", "group": "main"}


def test_split_plots_are_skipped_without_matplotlib(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = _project(repo, "[run]\nsplit_plots = true\n")
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if the plots extra were not installed
    _run(project, "bare")
    names = {Path(rel).name for rel in _distribution_files(project, "bare")}
    assert names == {"continuous_stats.json", "categorical_stats.json"}


def test_categorical_features_are_detected_as_brisk_detects_them() -> None:
    import pandas as pd

    from rerun_git.experiment.data import DataSplit
    from rerun_git.experiment.distribution import categorical_stats, feature_kinds

    train = pd.DataFrame({"x": [float(i) for i in range(40)], "flag": [i % 2 for i in range(40)],
                          "colour": ["red", "blue"] * 20})
    test = train.iloc[:10]
    split = DataSplit(0, train, test, pd.Series(range(40)), pd.Series(range(10)), list(train.columns),
                      list(range(40)), list(range(10)))
    assert feature_kinds(split) == (["x"], ["flag", "colour"])  # 2 distinct of 50 values <= 5%; object dtype
    split.categorical_features = ["colour"]
    assert feature_kinds(split) == (["x", "flag"], ["colour"])  # configured ones: no detection
    stats = categorical_stats(train, test, ["colour"])["colour"]
    assert stats["train"]["frequency"] == {"red": 20, "blue": 20} and stats["train"]["entropy"] == 1.0
    assert stats["chi_square"]["degrees_of_freedom"] == 1


def test_reproduce_flags_split_statistics_that_differ_from_the_kept_ones(repo: Path, cli,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from rerun_git.experiment import distribution

    project = _project(repo)
    assert cli("run", "--name", "stats", cwd=project).code == 0
    assert cli("reproduce", "stats", cwd=project).code == 0  # the kept statistics come out the same
    original = distribution._continuous
    monkeypatch.setattr(distribution, "_continuous", lambda values: {**original(values), "mean": 0.5})
    result = cli("reproduce", "stats", cwd=project)
    assert result.code == 1
    assert ("MISMATCH main/diabetes/split_0/split_distribution/continuous_stats.json: "
            "statistics differ from the recorded run") in result.err
    assert "0 of 16 metrics differ from run stats; 2 split(s) used other rows or gave other statistics" in result.err


def test_model2_is_tuned_over_its_own_grid(tmp_path: Path) -> None:
    import numpy as np
    import pandas as pd
    from sklearn.linear_model import Lasso, LinearRegression, Ridge

    from rerun_git.experiment.algorithms import AlgorithmWrapper
    from rerun_git.experiment.evaluators import EvaluatorRegistry
    from rerun_git.experiment.metrics import REGRESSION_METRICS, MetricManager
    from rerun_git.experiment.workflow import Workflow

    wrappers = [AlgorithmWrapper("linear", "Linear", LinearRegression),
                AlgorithmWrapper("ridge", "Ridge", Ridge, hyperparam_grid={"alpha": [0.1, 10.0]}),
                AlgorithmWrapper("lasso", "Lasso", Lasso, hyperparam_grid={"alpha": [0.01]})]
    workflow = Workflow(algorithm=wrappers, metric_manager=MetricManager(*REGRESSION_METRICS),
                        evaluators=EvaluatorRegistry(), output_dir=tmp_path, record=lambda f, v: None, seed=3)
    assert [type(workflow.model), type(workflow.model2), type(workflow.model3)] == [LinearRegression, Ridge, Lasso]
    assert workflow.algorithm.name == "linear" and workflow.algorithm_names == ["linear", "ridge", "lasso"]
    X = pd.DataFrame({"a": np.arange(30.0), "b": np.sin(np.arange(30.0))})
    y = pd.Series(3 * X["a"] + X["b"])
    workflow.hyperparameter_tuning(workflow.model2, "grid", X, y, "MAE", kf=3, num_rep=1, filename="ridge")
    workflow.hyperparameter_tuning(workflow.model3, "grid", X, y, "MAE", kf=3, num_rep=1, filename="lasso")
    ridge = json.loads((tmp_path / "ridge.json").read_text())
    assert ridge["n_candidates"] == 2 and ridge["best_params"] == {"alpha": 0.1}
    assert json.loads((tmp_path / "lasso.json").read_text())["best_params"] == {"alpha": 0.01}


def test_statistics_do_not_fail_where_brisk_would() -> None:
    """A text column outside the configured categoricals, a feature without test values: files, not a crash."""
    import numpy as np
    import pandas as pd

    from rerun_git.experiment.data import DataSplit
    from rerun_git.experiment.distribution import categorical_stats, feature_kinds

    train = pd.DataFrame({"x": np.arange(40.0), "code": ["a", "b"] * 20, "tag": [1, 2] * 20})
    test = pd.DataFrame({"x": np.arange(5.0), "code": ["a"] * 5, "tag": [np.nan] * 5})
    split = DataSplit(0, train, test, pd.Series(range(40)), pd.Series(range(5)), list(train.columns),
                      list(range(40)), list(range(5)), categorical_features=["tag"])
    assert feature_kinds(split) == (["x"], ["tag", "code"])
    assert categorical_stats(train, test, ["tag"])["tag"]["chi_square"] == {
        "chi2_stat": None, "p_value": None, "degrees_of_freedom": None}


GROUP_GRID_SETTINGS = """
    from rerun_git.experiment import Configuration

    def create_configuration():
        config = Configuration(default_workflow="tune", default_algorithms=["ridge"])
        config.add_experiment_group(name="base", datasets=["diabetes.csv"])
        config.add_experiment_group(name="own", datasets=["diabetes.csv"], algorithm_config={"ridge": {"alpha": [7.5]}})
        return config
"""
GROUP_GRID_ALGORITHMS = """
    from sklearn.linear_model import Ridge
    from rerun_git.experiment import AlgorithmCollection, AlgorithmWrapper

    ALGORITHM_CONFIG = AlgorithmCollection(AlgorithmWrapper("ridge", "Ridge", Ridge, None, {"alpha": [0.1, 1.0]}))
"""
GROUP_GRID_WORKFLOW = """
    from rerun_git.experiment import Workflow


    class Tune(Workflow):
        def workflow(self, X_train, X_test, y_train, y_test, output_dir, feature_names):
            tuned = self.hyperparameter_tuning(self.model, "grid", X_train, y_train, "MAE", kf=2, num_rep=1)
            self.evaluate_model(tuned, X_test, y_test, ["MAE"], "test_scores")
"""


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_groups_algorithm_config_is_the_grid_its_cells_tune(repo: Path, jobs: int) -> None:
    """Brisk's tuner reads the global algorithms and ignores the group's grid (bug 8 in docs/brisk.md); here it counts."""
    write_committed_project(repo, {"settings.py": GROUP_GRID_SETTINGS, "algorithms.py": GROUP_GRID_ALGORITHMS,
                                   "workflows/tune.py": GROUP_GRID_WORKFLOW})
    run_captured(repo, "grids", jobs=jobs)
    chosen = {group: json.loads((repo / "results/grids" / group / f"diabetes/split_0/{group}_ridge"
                                 / "hyperparameter_tuning.json").read_text())["best_params"]["alpha"]
              for group in ("base", "own")}
    assert chosen["own"] == 7.5 and chosen["base"] in (0.1, 1.0)
