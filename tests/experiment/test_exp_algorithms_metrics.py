from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.metrics import f1_score, mean_absolute_error
from sklearn.tree import DecisionTreeRegressor

from rerun_git.errors import RerunError
from rerun_git.experiment.algorithms import (
    CLASSIFICATION_ALGORITHMS, REGRESSION_ALGORITHMS, AlgorithmCollection, AlgorithmWrapper,
)
from rerun_git.experiment.metrics import (
    CLASSIFICATION_METRICS, REGRESSION_METRICS, MetricManager, MetricWrapper,
)
from rerun_git.experiment.plot_settings import PlotSettings


def test_wrapper_round_trip():
    w = AlgorithmWrapper("ridge", "Ridge", Ridge, {"alpha": 0.5}, {"alpha": [0.1, 1.0]})
    assert AlgorithmWrapper(**w.get_params()).get_params() == w.get_params()
    exported = w.export_params()
    assert exported["algorithm_class"] == "sklearn.linear_model._ridge.Ridge"
    assert AlgorithmWrapper.from_params(exported).get_params() == w.get_params()


def test_instantiate_seed():
    w = AlgorithmWrapper("dtr", "Tree", DecisionTreeRegressor)
    assert w.instantiate(5).random_state == 5
    assert w.instantiate(5) is not w.instantiate(5)
    fixed = AlgorithmWrapper("dtr", "Tree", DecisionTreeRegressor, {"random_state": 1})
    assert fixed.instantiate(5).random_state == 1
    assert isinstance(AlgorithmWrapper("lin", "Lin", LinearRegression).instantiate(3), LinearRegression)


def test_wrapper_validation():
    with pytest.raises(RerunError, match="Ridge has no parameter\\(s\\) alpah"):
        AlgorithmWrapper("ridge", "Ridge", Ridge, {"alpah": 1}).instantiate()
    with pytest.raises(RerunError, match="algorithm_class must be a class"):
        AlgorithmWrapper("ridge", "Ridge", Ridge()).validate()
    with pytest.raises(RerunError, match="invalid algorithm name 'a/b'"):
        AlgorithmWrapper("a/b", "x", Ridge).validate()


def test_collection():
    coll = AlgorithmCollection(*REGRESSION_ALGORITHMS)
    assert coll["ridge"].algorithm_class is Ridge and coll[0].name == "linear"
    assert "lasso" in coll and len(coll) == len(REGRESSION_ALGORITHMS)
    assert [w.name for w in coll] == coll.names()
    with pytest.raises(RerunError, match="unknown algorithm 'rdge'") as info:
        coll["rdge"]
    assert "ridge" in info.value.hint
    with pytest.raises(RerunError, match="duplicate algorithm name 'ridge'"):
        AlgorithmCollection(coll["ridge"], coll["ridge"])
    rebuilt = AlgorithmCollection.from_params(coll.export_params())
    assert rebuilt.export_params() == coll.export_params()


def test_default_lists_valid():
    names = {w.name for w in REGRESSION_ALGORITHMS} | {w.name for w in CLASSIFICATION_ALGORITHMS}
    assert names == {"linear", "ridge", "lasso", "bridge", "elasticnet", "dtr", "rf", "svr", "mlp", "knn",  # Brisk 1.2's
                     "logistic", "svc", "knn_classifier", "dtc", "rf_classifier", "gaussian_nb", "ridge_classifier"}
    for w in REGRESSION_ALGORITHMS + CLASSIFICATION_ALGORITHMS:
        w.validate()
        assert w.hyperparam_grid is not None or w.name in ("linear",)
    lasso = next(w for w in REGRESSION_ALGORITHMS if w.name == "lasso")
    assert lasso.default_params == {"alpha": 0.1, "max_iter": 10000} and len(lasso.hyperparam_grid["alpha"]) == 100
    assert next(w for w in REGRESSION_ALGORITHMS if w.name == "linear").hyperparam_grid is None


def test_metric_round_trip_and_compute():
    m = MetricWrapper("mae", mean_absolute_error, "Mean Absolute Error", False, "MAE")
    params = m.get_params()  # as scikit-learn's get_params: the objects themselves
    assert params["func"] is mean_absolute_error
    assert m.export_params()["func"] == "sklearn.metrics._regression.mean_absolute_error"
    again = MetricWrapper(**params)
    assert again.get_params() == params
    assert again.compute([1, 2], [1, 4]) == 1.0 and type(again([1, 2], [1, 4])) is float
    assert MetricWrapper.from_params(m.export_params()).export_params() == m.export_params()
    assert MetricWrapper("x", mean_absolute_error, "X").key == "x"


def test_metric_manager():
    mm = MetricManager(*REGRESSION_METRICS)
    assert mm.get_metric("MAE").name == "mean_absolute_error"
    assert mm.get_metric("r2_score").key == "R2"
    assert mm.get_metric("Root Mean Squared Error").key == "RMSE"
    assert mm.get_name("MSE") == "Mean Squared Error"
    with pytest.raises(RerunError, match="unknown metric 'mae'") as info:
        mm.get_metric("mae")
    assert "mean_absolute_error" in info.value.hint
    with pytest.raises(RerunError, match="duplicate metric name"):
        MetricManager(REGRESSION_METRICS[0], REGRESSION_METRICS[0])
    assert MetricManager.from_params(mm.export_params()).export_params() == mm.export_params()


def test_classification_metrics_are_brisks():
    """Brisk's 10: scikit-learn's defaults, so binary averaging (a multiclass target needs average=...)."""
    y, p = np.array([0, 1, 1, 0, 1]), np.array([0, 1, 0, 0, 1])
    assert [m.key for m in CLASSIFICATION_METRICS] == [
        "accuracy", "precision", "recall", "f1", "bal_acc", "top_k", "log_loss", "roc_auc", "brier", "roc"]
    for m in CLASSIFICATION_METRICS[:-1]:
        assert isinstance(m.compute(y, p), float)
    assert MetricManager(*CLASSIFICATION_METRICS).get_metric("f1").compute(y, p) == 0.8
    fpr, tpr, _ = CLASSIFICATION_METRICS[-1].compute(y, p)
    assert fpr == [0.0, 0.0, 1.0] and tpr == [0.0, 2 / 3, 1.0]
    with pytest.raises(ValueError, match="average='binary'"):
        CLASSIFICATION_METRICS[1].compute(np.array([0, 1, 2]), np.array([0, 2, 2]))
    weighted = MetricWrapper("f1_weighted", f1_score, "F1 (weighted)", True, average="weighted")
    assert isinstance(weighted.compute(np.array([0, 1, 2]), np.array([0, 2, 2])), float)


def test_plot_settings():
    ps = PlotSettings(file_format="svg", dpi=100)
    assert PlotSettings(**ps.get_params()).get_params() == ps.get_params()
    assert PlotSettings.from_params(ps.export_params()).export_params() == ps.export_params()
    with pytest.raises(RerunError, match="unknown PlotSettings parameter"):
        PlotSettings.from_params({"colour": "red"})
    with pytest.raises(RerunError, match="dpi must be a positive number"):
        PlotSettings(dpi=0).validate()
