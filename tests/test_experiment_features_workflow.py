"""Workflow helpers, plots and custom evaluators through the real CLI: run, wreck, reproduce identically."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_experiment_features import diabetes, make_project, read_record, run_wreck_reproduce

from conftest import git

DIABETES_150 = {"diabetes.csv": lambda path: diabetes(150).to_csv(path, index=False)}


def cancer(path: Path) -> None:
    from sklearn.datasets import load_breast_cancer

    frame = load_breast_cancer(as_frame=True).frame
    frame = frame.iloc[:150, [0, 1, 4, 7, 20, -1]]
    frame.columns = [str(c).replace(" ", "_") for c in frame.columns]
    frame.to_csv(path, index=False)


# ---------------------------------------------------------------- workflow helpers
HELPERS_FILES = {
    "data.py": """
        from rerun_git import DataManager, ScalingPreprocessor

        BASE_DATA_MANAGER = DataManager(test_size=0.25, n_splits=2, problem_type="regression", random_state=5,
                                        preprocessors=[ScalingPreprocessor()])
    """,
    "algorithms.py": """
        from sklearn.ensemble import RandomForestRegressor
        from sklearn.linear_model import Ridge
        from rerun_git import AlgorithmCollection, AlgorithmWrapper

        ALGORITHM_CONFIG = AlgorithmCollection(
            AlgorithmWrapper("ridge", "Ridge", Ridge, {"alpha": 1.0}, {"alpha": [0.01, 0.1, 1.0, 10.0]}),
            AlgorithmWrapper("forest", "Forest", RandomForestRegressor, {"n_estimators": 8, "max_depth": 3},
                             {"n_estimators": [4, 8], "max_depth": [2, 3]}),
        )
    """,
    "settings.py": """
        from rerun_git import Configuration

        def create_configuration():
            config = Configuration(default_workflow="helpers", default_algorithms=["ridge", "forest"],
                                   default_workflow_args={"n_jobs": 1})
            config.add_experiment_group(name="serial", datasets=["diabetes.csv"])
            # PARALLEL
            return config
    """,
    "workflows/helpers.py": """
        from sklearn.base import clone
        from rerun_git import Workflow


        class Helpers(Workflow):
            def workflow(self, X_train, X_test, y_train, y_test, output_dir, feature_names):
                self.evaluate_model_cv(self.model, X_train, y_train, ["MAE", "R2"], "cv_scores", cv=3,
                                       n_jobs=self.n_jobs)
                best = self.hyperparameter_tuning(self.model, "grid", X_train, y_train, "MAE", kf=3, num_rep=2,
                                                  n_jobs=self.n_jobs)
                sampled = self.hyperparameter_tuning(self.model, "random", X_train, y_train, "R2", kf=2, num_rep=1,
                                                     n_jobs=self.n_jobs, n_iter=2, filename="random_search")
                self.evaluate_model(best, X_test, y_test, ["MAE", "R2"], "test_metrics")
                self.save_model(best, "best")
                loaded = self.load_model("best")
                baseline = clone(self.model).fit(X_train, y_train)
                self.compare_models(baseline, loaded, sampled, X=X_test, y=y_test, metrics=["MAE"],
                                    filename="comparison", calculate_diff=True)
    """,
}


def test_workflow_helpers_reproduce(repo: Path, cli) -> None:
    project = make_project(repo, HELPERS_FILES, DIABETES_150)
    record = run_wreck_reproduce(cli, project, "helpers", metrics=2 * 2 * (2 + 1 + 1 + 2 + 3))
    rows = record["results"]
    assert set(rows["serial/diabetes/split_0/forest/comparison"]) == {  # a clone is no algorithm's model any more
        "RandomForestRegressor.MAE", "Forest.MAE", "Forest_2.MAE"}
    assert set(rows["serial/diabetes/split_0/ridge/cv_scores"]) == {"MAE", "R2"}
    tuned = json.loads(git(project, "show",
                           "run/helpers:.rerun/results/serial/diabetes/split_0/serial_ridge/hyperparameter_tuning.json"))
    assert tuned["method"] == "grid" and set(tuned["best_params"]) == {"alpha"}
    assert tuned["best_params"]["alpha"] in (0.01, 0.1, 1.0, 10.0) and tuned["n_candidates"] == 4
    from rerun_git.experiment.seeds import cell_seed

    seed = cell_seed(record["seed"], "serial/diabetes/split_0/ridge")  # the cell's seed, from the run seed and its key
    assert tuned["cv"] == {"type": "RepeatedKFold", "n_splits": 3, "n_repeats": 2, "random_state": seed}
    assert rows["serial/diabetes/split_0/ridge/hyperparameter_tuning"] == {"MAE": tuned["best_score"]}
    sampled = json.loads(git(project, "show",
                             "run/helpers:.rerun/results/serial/diabetes/split_1/serial_forest/random_search.json"))
    assert sampled["method"] == "random" and sampled["n_candidates"] == 2
    assert set(sampled["best_params"]) == {"n_estimators", "max_depth"}


@pytest.mark.slow
def test_workflow_helpers_with_n_jobs_2_match_serial_and_reproduce(repo: Path, cli) -> None:
    # One group, run twice: cell seeds come from the cell key (group included), so only n_jobs differs.
    project = make_project(repo, HELPERS_FILES, DIABETES_150)
    ran = cli("run", "--name", "serial", cwd=project)
    assert ran.code == 0, ran.err
    serial = read_record(project, "serial")["results"]
    settings = project / "settings.py"
    settings.write_text(settings.read_text().replace('default_workflow_args={"n_jobs": 1}', 'default_workflow_args={"n_jobs": 2}'))
    parallel = run_wreck_reproduce(cli, project, "parallel", metrics=2 * 2 * (2 + 1 + 1 + 2 + 3))["results"]
    assert serial == parallel  # n_jobs=2 chose the same parameters and scored the same


# ---------------------------------------------------------------- plots
PLOT_FILES = {
    "algorithms.py": """
        from sklearn.linear_model import LogisticRegression, Ridge
        from rerun_git import AlgorithmCollection, AlgorithmWrapper

        ALGORITHM_CONFIG = AlgorithmCollection(
            AlgorithmWrapper("ridge", "Ridge", Ridge),
            AlgorithmWrapper("logistic", "Logistic", LogisticRegression, {"max_iter": 500}),
        )
    """,
    "metrics.py": """
        from rerun_git import CLASSIFICATION_METRICS, REGRESSION_METRICS, MetricManager

        METRIC_CONFIG = MetricManager(*REGRESSION_METRICS, *CLASSIFICATION_METRICS)
    """,
    "settings.py": """
        from rerun_git import Configuration, PlotSettings

        def create_configuration():
            config = Configuration(
                default_workflow="reg_plots", default_algorithms=["ridge"],
                plot_settings=PlotSettings(file_format="svg", width=4, height=3, dpi=50, primary_color="#112233"),
            )
            config.add_experiment_group(name="reg", datasets=["diabetes.csv"], data_config={"n_splits": 1})
            config.add_experiment_group(name="clf", datasets=["cancer.csv"], workflow="clf_plots", algorithms=["logistic"],
                                        data_config={"n_splits": 1, "problem_type": "classification",
                                                     "stratified": True})
            return config
    """,
    "evaluators.py": """
        from rerun_git.experiment import new_figure, save_figure

        def register_custom_evaluators(registry, plot_settings):
            def histogram(model, X, y, path):
                fig, ax = new_figure(plot_settings)
                ax.hist(y - model.predict(X), color=plot_settings.secondary_color)
                save_figure(fig, path, plot_settings)

            registry.register("residual_histogram", histogram, kind="plot")
    """,
    "workflows/reg_plots.py": """
        from rerun_git import Workflow


        class RegressionPlots(Workflow):
            def workflow(self, X_train, X_test, y_train, y_test, output_dir, feature_names):
                model = self.model.fit(X_train, y_train)
                self.evaluate_model(model, X_test, y_test, ["MAE"], "test_metrics")
                self.plot_pred_vs_obs(model, X_test, y_test)
                self.plot_residuals(model, X_test, y_test, add_fit_line=True)
                self.plot_learning_curve(model, X_train, y_train, cv=3, metric="MAE")
                self.plot_feature_importance(model, X_test, y_test, threshold=5, metric="R2", num_rep=2)
                self.run_evaluator("residual_histogram", model, X_test, y_test, "histogram")
    """,
    "workflows/clf_plots.py": """
        from rerun_git import Workflow


        class ClassificationPlots(Workflow):
            def workflow(self, X_train, X_test, y_train, y_test, output_dir, feature_names):
                model = self.model.fit(X_train, y_train)
                self.evaluate_model(model, X_test, y_test, ["accuracy"], "test_metrics")
                self.plot_confusion_heatmap(model, X_test, y_test)
                self.plot_roc_curve(model, X_test, y_test)
    """,
}
PLOTS = {"reg": ["pred_vs_obs", "residuals", "learning_curve", "feature_importance", "histogram"],
         "clf": ["confusion_matrix", "roc_curve"]}


def test_plots_honour_settings_and_are_not_metrics(repo: Path, cli) -> None:
    pytest.importorskip("matplotlib")
    project = make_project(repo, PLOT_FILES, {**DIABETES_150, "cancer.csv": cancer})
    ran = cli("run", "--name", "plots", cwd=project)
    assert ran.code == 0, ran.err
    label = {"reg": "diabetes/split_0/reg_ridge", "clf": "cancer/split_0/clf_logistic"}  # Brisk's folders
    for group, names in PLOTS.items():
        folder = project / "results" / "plots" / group / label[group]
        for name in names:
            svg = (folder / f"{name}.svg").read_text()
            assert 'width="288pt" height="216pt"' in svg  # 4 x 3 inches
            assert "<dc:date>" not in svg  # no timestamp: the same run writes the same file
    assert "#112233" in (project / "results/plots/reg" / label["reg"] / "pred_vs_obs.svg").read_text()
    record = read_record(project, "plots")
    assert {row.rsplit("/", 1)[1] for row in record["results"]} == {"test_metrics"}
    assert record["plot_settings"]["file_format"] == "svg"
    tree = git(project, "ls-tree", "-r", "--name-only", "run/plots")
    assert ".svg" not in tree  # plot files are results, not kept in the snapshot by default
    (project / "results" / "plots").rename(project / "results" / "plots-first")
    wreck_and_reproduce(cli, project, "plots")


def wreck_and_reproduce(cli, project: Path, name: str) -> None:
    from test_experiment_features import wreck

    wreck(project)
    again = cli("reproduce", name, cwd=project)
    assert again.code == 0, again.err + again.out
    assert f"metrics match run {name}" in again.err


def test_plots_without_matplotlib_name_the_extra(project: Path, cli, monkeypatch: pytest.MonkeyPatch) -> None:
    from rerun_git.experiment import plotting

    workflow = project / "workflows" / "regression.py"
    workflow.write_text(workflow.read_text().replace('self.save_model(model, "model")',
                                                     "self.plot_pred_vs_obs(model, X_test, y_test)"))
    monkeypatch.setattr(plotting, "matplotlib_available", lambda: False)
    result = cli("run", "--name", "noplots", cwd=project)
    assert result.code == 1
    assert "baseline/diabetes/split_0/linear: plotting needs matplotlib, which is not installed " \
           "(hint: pip install rerun-git[plots]" in result.err
    assert git(project, "tag", "-l") == ""


# ---------------------------------------------------------------- custom evaluators
EVALUATOR_FILES = {
    "evaluators.py": """
        import numpy as np


        def mean_residual(model, X, y):
            return float(np.mean(y - model.predict(X)))


        def spread(model, X, y):
            residuals = y - model.predict(X)
            return {"q10": float(np.quantile(residuals, 0.1)), "q90": float(np.quantile(residuals, 0.9))}


        def residual_listing(model, X, y, path):
            path.write_text("".join(f"{r:.6f}\\n" for r in y - model.predict(X)))


        def register_custom_evaluators(registry, plot_settings):
            registry.register("mean_residual", mean_residual)
            registry.register("spread", spread, kind="measure")
            registry.register("residual_listing", residual_listing, kind="plot")
    """,
    "workflows/regression.py": """
        from rerun_git import Workflow


        class Regression(Workflow):
            def workflow(self, X_train, X_test, y_train, y_test, output_dir, feature_names):
                model = self.model.fit(X_train, y_train)
                self.evaluate_model(model, X_test, y_test, ["MAE", "R2"], "test_metrics")
                self.run_evaluator("mean_residual", model, X_test, y_test, "bias")
                self.run_evaluator("spread", model, X_test, y_test, "spread")
                self.run_evaluator("residual_listing", model, X_test, y_test, "residuals")
    """,
}


def test_custom_evaluators_are_captured_and_rebuilt(repo: Path, cli) -> None:
    project = make_project(repo, EVALUATOR_FILES)
    record = run_wreck_reproduce(cli, project, "evaluators", metrics=3 * 2 * (2 + 1 + 2))
    assert record["evaluators"] == {"file": "evaluators.py", "registered": {
        "mean_residual": {"func": "evaluators.mean_residual", "kind": "measure"},
        "spread": {"func": "evaluators.spread", "kind": "measure"},
        "residual_listing": {"func": "evaluators.residual_listing", "kind": "plot"},
    }}
    row = "baseline/diabetes/split_0/ridge"
    assert set(record["results"][f"{row}/bias"]) == {"mean_residual"}
    assert set(record["results"][f"{row}/spread"]) == {"q10", "q90"}
    assert f"{row}/residuals" not in record["results"]
    assert "evaluators.py" in record["files"]
    listing = project / "results/evaluators/baseline/diabetes/split_0/baseline_ridge/residuals.png"
    assert len(listing.read_text().splitlines()) == 89  # written by the plot evaluator, not a metric
