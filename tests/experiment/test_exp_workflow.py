from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression

from rerun_git.errors import RerunError
from rerun_git.experiment.algorithms import AlgorithmWrapper
from rerun_git.experiment.data import DataSplit
from rerun_git.experiment.evaluators import EvaluatorRegistry
from rerun_git.experiment.metrics import REGRESSION_METRICS, MetricManager
from rerun_git.experiment.workflow import Workflow


def mean_residual(model, X, y):
    return float(np.mean(y - model.predict(X)))


def two_numbers(model, X, y):
    return {"a": 1, "b": 2.5}


class Fit(Workflow):
    def workflow(self, X_train, X_test, y_train, y_test, output_dir, feature_names):
        self.model.fit(X_train, y_train)
        self.evaluate_model(self.model, X_test, y_test, ["MAE", "r2_score"], "scores")


def make(tmp_path, cls=Fit, **kwargs):
    rows: dict[str, dict[str, float]] = {}
    registry = EvaluatorRegistry()
    registry.register("residual", mean_residual)
    registry.register("pair", two_numbers)
    wf = cls(algorithm=AlgorithmWrapper("linear", "Linear", LinearRegression),
             metric_manager=MetricManager(*REGRESSION_METRICS), evaluators=registry,
             output_dir=tmp_path / "out", record=lambda f, v: rows.__setitem__(f, v), seed=3, **kwargs)
    return wf, rows


def split() -> DataSplit:
    X = pd.DataFrame({"a": np.arange(10.0), "b": np.arange(10.0) ** 2})
    y = pd.Series(2 * X["a"] + 1, name="t")
    return DataSplit(0, X.iloc[:8], X.iloc[8:], y.iloc[:8], y.iloc[8:], ["a", "b"], list(range(8)), [8, 9])


def test_run_evaluate_record(tmp_path):
    wf, rows = make(tmp_path, workflow_args={"alpha": 2})
    assert wf.alpha == 2 and wf.seed == 3 and isinstance(wf.model, LinearRegression)
    wf.run(split())
    assert wf.feature_names == ["a", "b"] and len(wf.X_train) == 8
    assert set(rows["scores"]) == {"MAE", "R2"} and all(type(v) is float for v in rows["scores"].values())
    written = json.loads((tmp_path / "out" / "scores.json").read_text())
    assert set(written) == {"Mean Absolute Error", "R2 Score", "_metadata"}
    assert written["_metadata"]["is_test"] == "True" and written["_metadata"]["method"] == "brisk_evaluate_model"


def test_evaluators_and_save(tmp_path):
    wf, rows = make(tmp_path)
    wf.run(split())
    assert wf.run_evaluator("residual", wf.model, wf.X_test, wf.y_test, "resid").keys() == {"residual"}
    assert wf.run_evaluator("pair", wf.model, wf.X_test, wf.y_test, "pair") == {"a": 1.0, "b": 2.5}
    assert rows["pair"] == {"a": 1.0, "b": 2.5} and (tmp_path / "out" / "pair.json").exists()
    path = wf.save_model(wf.model, "model")
    assert path == tmp_path / "out" / "model.pkl" and path.exists()


@pytest.mark.parametrize("bad", ["../x", "a/b", "", ".."])
def test_bad_filename(tmp_path, bad):
    wf, _ = make(tmp_path)
    wf.run(split())
    with pytest.raises(RerunError, match="invalid result filename"):
        wf.evaluate_model(wf.model, wf.X_test, wf.y_test, ["MAE"], bad)
    with pytest.raises(RerunError, match="invalid result filename"):
        wf.save_model(wf.model, bad)


def test_errors(tmp_path):
    with pytest.raises(RerunError, match="invalid workflow argument name 'model'"):
        make(tmp_path, workflow_args={"model": 1})
    wf, _ = make(tmp_path)
    with pytest.raises(RerunError, match="unknown evaluator 'nope'") as info:
        wf.run_evaluator("nope", None, None, None, "x")
    assert "residual" in info.value.hint
    with pytest.raises(NotImplementedError):
        make(tmp_path, cls=Workflow)[0].run(split())


def test_registry():
    reg = EvaluatorRegistry()
    reg.register("residual", mean_residual)
    assert reg.names() == ["residual"]
    assert reg.export_params() == {"residual": {"func": f"{__name__}.mean_residual", "kind": "measure"}}
    with pytest.raises(RerunError, match="registered twice"):
        reg.register("residual", mean_residual)
    with pytest.raises(RerunError, match="invalid kind 'chart'"):
        reg.register("x", mean_residual, kind="chart")


def test_plot_evaluator(tmp_path):
    from rerun_git.experiment.plot_settings import PlotSettings

    def plot(model, X, y, path):
        path.write_text("figure")

    wf, rows = make(tmp_path, plot_settings=PlotSettings(file_format="svg"))
    wf.evaluators.register("plot", plot, kind="plot")
    wf.run(split())
    path = wf.run_evaluator("plot", wf.model, wf.X_test, wf.y_test, "fig")
    assert path == tmp_path / "out" / "fig.svg" and path.read_text() == "figure" and "fig" not in rows
