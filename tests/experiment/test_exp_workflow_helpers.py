"""Workflow helpers (cross-validation, tuning, comparison, loading) and plots, called directly."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.tree import DecisionTreeRegressor

from rerun_git.errors import RerunError
from rerun_git.experiment.algorithms import AlgorithmWrapper
from rerun_git.experiment.evaluators import EvaluatorRegistry
from rerun_git.experiment.metrics import CLASSIFICATION_METRICS, REGRESSION_METRICS, MetricManager
from rerun_git.experiment.plot_settings import PlotSettings
from rerun_git.experiment.workflow import Workflow

METRICS = MetricManager(*REGRESSION_METRICS, *CLASSIFICATION_METRICS)


class Noop(Workflow):
    def workflow(self, X_train, X_test, y_train, y_test, output_dir, feature_names):
        pass


def make(tmp_path: Path, wrapper: AlgorithmWrapper | None = None, **kwargs):
    rows: dict[str, dict[str, float]] = {}
    wrapper = wrapper or AlgorithmWrapper("ridge", "Ridge", Ridge, None, {"alpha": [0.001, 1.0, 1000.0]})
    wf = Noop(algorithm=wrapper, metric_manager=METRICS, evaluators=EvaluatorRegistry(),
              output_dir=tmp_path / "out", record=lambda f, v: rows.__setitem__(f, v), seed=11, **kwargs)
    wf.output_dir.mkdir(parents=True)
    return wf, rows


def regression(n: int = 80) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(2)
    X = pd.DataFrame(rng.normal(size=(n, 4)), columns=["a", "b", "c", "d"])
    return X, pd.Series(3 * X["a"] - X["c"] + rng.normal(scale=0.5, size=n), name="y")


def binary(n: int = 80) -> tuple[pd.DataFrame, pd.Series]:
    X, y = regression(n)
    return X, (y > 0).astype(int)


def read(wf: Workflow, name: str) -> dict:
    return json.loads((wf.output_dir / f"{name}.json").read_text())


# ---------------------------------------------------------------- helpers
def test_evaluate_model_cv_writes_and_records_means(tmp_path):
    wf, rows = make(tmp_path)
    X, y = regression()
    means = wf.evaluate_model_cv(wf.model, X, y, ["MAE", "r2_score"], "cv", cv=4)
    written = read(wf, "cv")
    assert set(written) == {"Mean Absolute Error", "R2 Score", "_metadata"}
    assert written["_metadata"]["method"] == "brisk_evaluate_model_cv"
    assert len(written["R2 Score"]["all_scores"]) == 4 and written["R2 Score"]["mean_score"] == means["R2"]
    assert rows["cv"] == means and set(means) == {"MAE", "R2"} and means["MAE"] < 0  # Brisk: losses negated
    assert wf.evaluate_model_cv(wf.model, X, y, "MAE", "cv2", cv=4)["MAE"] == means["MAE"]


def test_hyperparameter_tuning_grid_returns_best_and_records_params(tmp_path):
    wf, rows = make(tmp_path)
    X, y = regression()
    best = wf.hyperparameter_tuning(wf.model, "grid", X, y, "MAE", kf=3, num_rep=2)
    assert isinstance(best, Ridge) and best.alpha in (0.001, 1.0) and hasattr(best, "coef_")
    written = read(wf, "hyperparameter_tuning")
    assert written["best_params"] == {"alpha": best.alpha} and written["n_candidates"] == 3
    assert written["cv"]["type"] == "RepeatedKFold" and written["cv"]["random_state"] == 11
    assert rows["hyperparameter_tuning"] == {"MAE": written["best_score"]} and written["best_score"] > 0


def test_random_search_is_seeded_and_n_jobs_does_not_matter(tmp_path):
    wrapper = AlgorithmWrapper("tree", "Tree", DecisionTreeRegressor, None,
                               {"max_depth": [1, 2, 3, 4, 5, 6], "min_samples_leaf": [1, 2, 4, 8]})
    X, y = regression()
    chosen = []
    for i, n_jobs in enumerate((None, 2, None)):
        wf, rows = make(tmp_path / str(i), wrapper)
        wf.hyperparameter_tuning(wf.model, "random", X, y, "R2", kf=3, num_rep=1, n_iter=5, n_jobs=n_jobs)
        chosen.append((read(wf, "hyperparameter_tuning")["best_params"], rows["hyperparameter_tuning"]))
    assert chosen[0] == chosen[1] == chosen[2]
    assert read(wf, "hyperparameter_tuning")["n_candidates"] == 5


def test_classifier_tuning_uses_stratified_folds(tmp_path):
    wf, _ = make(tmp_path, AlgorithmWrapper("lr", "LR", LogisticRegression, None, {"C": [0.1, 1.0]}))
    X, y = binary()
    wf.hyperparameter_tuning(wf.model, "grid", X, y, "accuracy", kf=2, num_rep=1)
    assert read(wf, "hyperparameter_tuning")["cv"]["type"] == "RepeatedStratifiedKFold"


@pytest.mark.parametrize("call, message", [
    (lambda wf, X, y: wf.hyperparameter_tuning(wf.model, "bayes", X, y, "MAE", 3, 1),
     "invalid hyperparameter_tuning method 'bayes'"),
    (lambda wf, X, y: wf.hyperparameter_tuning(wf.model, "grid", X, y, "RMSLE", 3, 1), "unknown metric 'RMSLE'"),
    (lambda wf, X, y: wf.hyperparameter_tuning(wf.model, "grid", X, y, "MAE", 1, 1), "invalid kf 1"),
    (lambda wf, X, y: wf.hyperparameter_tuning(LogisticRegression(), "grid", X, y, "MAE", 3, 1),
     "hyperparam_grid key\\(s\\) alpha are not parameters of LogisticRegression"),
    (lambda wf, X, y: wf.evaluate_model_cv(wf.model, X, y, [], "cv"), "no metrics given"),
    (lambda wf, X, y: wf.evaluate_model_cv(wf.model, X, y, ["MAE"], "../cv"), "invalid result filename"),
    (lambda wf, X, y: wf.compare_models(X=X, y=y, metrics=["MAE"], filename="c"), "needs at least one model"),
])
def test_helper_errors_come_before_any_fit(tmp_path, call, message):
    wf, rows = make(tmp_path)
    X, y = regression()
    with pytest.raises(RerunError, match=message):
        call(wf, X, y)
    assert rows == {} and not hasattr(wf.model, "coef_")


def test_unknown_metric_lists_the_known_ones(tmp_path):
    wf, _ = make(tmp_path)
    with pytest.raises(RerunError) as info:
        wf.evaluate_model_cv(wf.model, *regression(), ["MAE", "RMSLE"], "cv")
    assert "MAE (mean_absolute_error)" in info.value.hint and "accuracy" in info.value.hint


def test_empty_grid_is_one_candidate(tmp_path):
    """As in Brisk: no grid means the estimator as it is, cross-validated once per fold."""
    wf, rows = make(tmp_path, AlgorithmWrapper("ridge", "Ridge", Ridge, {"alpha": 3.0}))
    best = wf.hyperparameter_tuning(wf.model, "grid", *regression(), "MAE", 3, 1)
    assert isinstance(best, Ridge) and best.alpha == 3.0 and hasattr(best, "coef_")
    assert read(wf, "hyperparameter_tuning")["n_candidates"] == 1 and rows["hyperparameter_tuning"]["MAE"] > 0


def test_compare_models_names_diffs_and_records(tmp_path):
    wf, rows = make(tmp_path)
    X, y = regression()
    a, b = Ridge(alpha=0.1).fit(X, y), Ridge(alpha=100.0).fit(X, y)
    tree = DecisionTreeRegressor(max_depth=2, random_state=0).fit(X, y)
    result = wf.compare_models(a, b, tree, X=X, y=y, metrics=["MAE"], filename="cmp", calculate_diff=True)
    assert list(result) == ["Ridge", "Ridge_2", "DecisionTreeRegressor"]
    written = read(wf, "cmp")
    assert written["_metadata"]["models"] == {"Ridge": "Ridge", "DecisionTreeRegressor": "DecisionTreeRegressor"}
    diff = written["differences"]["Mean Absolute Error"]
    assert diff["Ridge_2 - Ridge"] == pytest.approx(result["Ridge_2"]["MAE"] - result["Ridge"]["MAE"])
    assert rows["cmp"] == {"Ridge.MAE": result["Ridge"]["MAE"], "Ridge_2.MAE": result["Ridge_2"]["MAE"],
                           "DecisionTreeRegressor.MAE": result["DecisionTreeRegressor"]["MAE"]}


def test_load_model_round_trip_and_missing(tmp_path):
    wf, _ = make(tmp_path)
    X, y = regression()
    model = Ridge().fit(X, y)
    wf.save_model(model, "m")
    assert np.array_equal(wf.load_model("m").coef_, model.coef_)
    assert np.array_equal(wf.load_model(wf.output_dir / "m.pkl").coef_, model.coef_)
    with pytest.raises(RerunError, match="no saved model at .*nope.pkl"):
        wf.load_model("nope")


# ---------------------------------------------------------------- plots
needs_matplotlib = pytest.mark.skipif(not Workflow.plots_available(), reason="matplotlib not installed")


@needs_matplotlib
def test_every_plot_honours_the_settings(tmp_path):
    from matplotlib.image import imread

    settings = PlotSettings(width=3, height=2, dpi=40, transparent=True)
    wf, rows = make(tmp_path, plot_settings=settings)
    X, y = regression()
    model = Ridge().fit(X, y)
    paths = [
        wf.plot_pred_vs_obs(model, X, y),
        wf.plot_residuals(model, X, y, add_fit_line=True),
        wf.plot_learning_curve(model, X, y, cv=3),
        wf.plot_feature_importance(model, X, y, threshold=0.5, num_rep=2),
    ]
    Xb, yb = binary()
    clf = LogisticRegression().fit(Xb, yb)
    paths += [wf.plot_confusion_heatmap(clf, Xb, yb), wf.plot_roc_curve(clf, Xb, yb)]
    assert [p.name for p in paths] == ["pred_vs_obs.png", "residuals.png", "learning_curve.png",
                                       "feature_importance.png", "confusion_matrix.png", "roc_curve.png"]
    for path in paths:
        image = imread(path)
        assert image.shape[:2] == (80, 120) and image.shape[2] == 4  # 2 x 3 inches at 40 dpi, RGBA
        assert image[0, 0, 3] == 0  # transparent background
    assert rows == {}  # plots are results, never metrics


@needs_matplotlib
def test_plot_formats_and_bad_inputs(tmp_path):
    wf, _ = make(tmp_path, plot_settings=PlotSettings(file_format="pdf", width=2, height=2, dpi=30))
    X, y = regression()
    model = Ridge().fit(X, y)
    pdf = wf.plot_residuals(model, X, y, filename="res")
    assert pdf.name == "res.pdf" and pdf.read_bytes().startswith(b"%PDF")
    assert b"CreationDate" not in pdf.read_bytes()
    with pytest.raises(RerunError, match="invalid threshold 0"):
        wf.plot_feature_importance(model, X, y, threshold=0)
    with pytest.raises(RerunError, match="feature_names has 2 names but X has 4 columns"):
        wf.plot_feature_importance(model, X, y, feature_names=["a", "b"])
    Xm = X.assign(k=0)
    clf = LogisticRegression().fit(X, np.arange(len(y)) % 3)
    with pytest.raises(RerunError, match="needs a binary classifier; the model has 3 classes"):
        wf.plot_roc_curve(clf, X, np.arange(len(y)) % 3)
    with pytest.raises(RerunError, match="pos_label 'yes' is not a class"):
        wf.plot_roc_curve(LogisticRegression().fit(*binary()), *binary(), pos_label="yes")
    bad, _ = make(tmp_path / "bad", plot_settings=PlotSettings(primary_color="#12345G"))
    with pytest.raises(RerunError, match="PlotSettings primary_color '#12345G' is not a colour"):
        bad.plot_pred_vs_obs(model, Xm.drop(columns="k"), y)


def test_without_matplotlib_plots_name_the_extra(tmp_path, monkeypatch):
    from rerun_git.experiment import plotting

    monkeypatch.setattr(plotting, "matplotlib_available", lambda: False)
    wf, _ = make(tmp_path)
    X, y = regression()
    for call in (lambda: wf.plot_pred_vs_obs(Ridge().fit(X, y), X, y), lambda: plotting.new_figure()):
        with pytest.raises(RerunError, match="plotting needs matplotlib") as info:
            call()
        assert info.value.hint.startswith("pip install rerun-git[plots]")
    assert not Workflow.plots_available()
    assert not list(wf.output_dir.iterdir())


def test_plot_settings_format_checked_before_training():
    with pytest.raises(RerunError, match="PlotSettings file_format 'gif' is not supported"):
        PlotSettings(file_format="gif").validate()
    PlotSettings(file_format="SVG").validate()
