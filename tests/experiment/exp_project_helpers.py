"""Write a tiny regression project (sklearn's diabetes data) for loader/runner tests."""
from __future__ import annotations

from pathlib import Path
from textwrap import dedent

from sklearn.datasets import load_diabetes

FILES = {
    "rerun.toml": "[capture]\nembed_datasets_max_mb = 5\n",
    "settings.py": """
        from rerun_git.experiment import Configuration

        def create_configuration():
            config = Configuration(default_workflow="basic", default_algorithms=["linear", "dtr"])
            config.add_experiment_group(name="main", datasets=["diabetes.csv"])
            config.add_experiment_group(name="kfold", datasets=["diabetes.csv"], algorithms=["ridge"],
                                        data_config={"split_method": "kfold"})
            return config
    """,
    "data.py": """
        from rerun_git.experiment import DataManager, ScalingPreprocessor

        BASE_DATA_MANAGER = DataManager(test_size=0.25, n_splits=2, problem_type="regression",
                                        preprocessors=[ScalingPreprocessor(method="standard")])
    """,
    "algorithms.py": """
        from sklearn.linear_model import LinearRegression, Ridge
        from sklearn.tree import DecisionTreeRegressor
        from rerun_git.experiment import AlgorithmCollection, AlgorithmWrapper

        ALGORITHM_CONFIG = AlgorithmCollection(
            AlgorithmWrapper("linear", "Linear", LinearRegression),
            AlgorithmWrapper("ridge", "Ridge", Ridge, {"alpha": 0.5}),
            AlgorithmWrapper("dtr", "Tree", DecisionTreeRegressor, {"max_depth": 3}),
        )
    """,
    "metrics.py": """
        from rerun_git.experiment import MetricManager, REGRESSION_METRICS

        METRIC_CONFIG = MetricManager(*REGRESSION_METRICS)
    """,
    "helper.py": """
        METRICS = ["MAE", "R2"]
    """,
    "workflows/basic.py": """
        import helper
        from rerun_git.experiment import Workflow


        class Basic(Workflow):
            def workflow(self, X_train, X_test, y_train, y_test, output_dir, feature_names):
                self.model.fit(X_train, y_train)
                self.evaluate_model(self.model, X_test, y_test, helper.METRICS, "test_scores")
    """,
}


def write_project(root: Path, rows: int = 120, overrides: dict[str, str] | None = None) -> Path:
    """Write the project into ``root``; ``overrides`` maps relative paths to replacement text."""
    files = {**FILES, **(overrides or {})}
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dedent(text).lstrip("\n"), encoding="utf-8")
    frame = load_diabetes(as_frame=True).frame.iloc[:rows, [0, 2, 3, 8, -1]]
    (root / "datasets").mkdir(exist_ok=True)
    frame.to_csv(root / "datasets" / "diabetes.csv", index=False)
    return root


class StubService:
    """Hands every loaded object straight back and remembers the calls."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def handle_load_base_data_manager(self, data_manager):
        self.calls.append("data_manager")
        return data_manager

    def handle_load_algorithms(self, algorithm_config):
        self.calls.append("algorithms")
        return algorithm_config

    def handle_load_metric_config(self, metric_config):
        self.calls.append("metrics")
        return metric_config

    def handle_load_custom_evaluators(self, module, evaluators_file):
        self.calls.append("evaluators")
        return module

    def handle_load_workflow(self, workflow, workflow_name):
        self.calls.append(f"workflow:{workflow_name}")
        return workflow


def write_committed_project(root: Path, overrides: dict[str, str]) -> Path:
    """:func:`write_project` with ``overrides``, ``results/`` git-ignored, committed in the repository at ``root``."""
    from conftest import git

    write_project(root, overrides=overrides)
    (root / ".gitignore").write_text("results/\n")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "project")
    return root


def run_captured(repo: Path, name: str, **kwargs):
    """Capture run ``name`` of the project at ``repo`` with seed 7; return its record."""
    from rerun_git.capture.run import run_project
    from rerun_git.record.run_record import load_run

    run_project(repo, name=name, seed=7, **kwargs)
    return load_run(name, repo)[1]
