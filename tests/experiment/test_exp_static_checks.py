"""Literal metric and evaluator names in workflow files are checked before training."""
from __future__ import annotations

from textwrap import dedent

import pytest
from exp_project_helpers import FILES, StubService, write_project

from rerun_git.errors import RerunError
from rerun_git.experiment.evaluators import EvaluatorRegistry
from rerun_git.experiment.metrics import REGRESSION_METRICS, MetricManager
from rerun_git.experiment.project import ProjectLoader
from rerun_git.experiment.runner import run_experiments
from rerun_git.experiment.static_checks import check_workflow_names, literal_names

SOURCE = dedent("""
    import helper

    class W(Workflow):
        def workflow(self, X_train, X_test, y_train, y_test, output_dir, feature_names):
            self.evaluate_model(m, X_test, y_test, ["MAE", "R2"], "test")
            self.evaluate_model_cv(m, X, y, metrics=("MSE",), filename="cv")
            self.hyperparameter_tuning(m, "grid", X, y, "RMSE", 3, 1)
            self.compare_models(a, b, X=X, y=y, metrics={"median_absolute_error"}, filename="c")
            self.plot_feature_importance(m, X, y, 5, None, "fi", "explained_variance_score")
            self.plot_learning_curve(m, X, y, metric="max_error")
            self.run_evaluator("bias", m, X, y, "bias")
            self.evaluate_model(m, X, y, helper.METRICS, "dynamic")
            self.evaluate_model(m, X, y, [name, "MAPE"], "mixed")
            evaluate_model(m, X, y, ["not-a-method-call"], "x")
""")


def test_literal_names_found_in_every_helper():
    assert list(literal_names(SOURCE)) == [
        ("metric", 6, "MAE"), ("metric", 6, "R2"), ("metric", 7, "MSE"), ("metric", 8, "RMSE"),
        ("metric", 9, "median_absolute_error"), ("metric", 10, "explained_variance_score"), ("metric", 11, "max_error"), ("evaluator", 12, "bias"),
        ("metric", 14, "MAPE"),
    ]
    assert list(literal_names("def broken(:\n")) == []


def test_unknown_names_raise_with_the_line():
    registry = EvaluatorRegistry()
    registry.register("bias", lambda m, X, y: 0.0)
    metrics = MetricManager(*REGRESSION_METRICS)
    check_workflow_names(SOURCE, "workflows/w.py", metrics, registry)
    with pytest.raises(RerunError, match=r"^workflows/w.py:6: unknown metric 'RMSLE'$") as info:
        check_workflow_names(SOURCE.replace('"R2"', '"RMSLE"'), "workflows/w.py", metrics, registry)
    assert "MAE (mean_absolute_error)" in info.value.hint
    with pytest.raises(RerunError, match=r"^workflows/w.py:12: unknown evaluator 'bias'$"):
        check_workflow_names(SOURCE, "workflows/w.py", metrics, EvaluatorRegistry())


def test_runner_checks_before_any_training(tmp_path):
    workflow = dedent(FILES["workflows/basic.py"]).rstrip() + (
        '\n        self.evaluate_model(self.model, X_test, y_test, ["R3"], "x")\n')
    root = write_project(tmp_path / "proj", overrides={"workflows/basic.py": workflow})
    with pytest.raises(RerunError, match=r"^workflows/basic.py:\d+: unknown metric 'R3'$"):
        run_experiments(ProjectLoader(root, StubService()), tmp_path / "out", seed=1)
    assert not (tmp_path / "out").exists()
