from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
from exp_project_helpers import FILES, StubService, write_project

from rerun_git.errors import RerunError
from rerun_git.experiment.project import ProjectLoader
from rerun_git.experiment.runner import run_experiments

SETTINGS_BAD_ALGO = FILES["settings.py"].replace('algorithms=["ridge"]', 'algorithms=["ridge", "svm"]')


def run(root: Path, out: Path, seed: int = 7, progress: bool = False):
    return run_experiments(ProjectLoader(root, StubService()), out, seed=seed, progress=progress)


def test_end_to_end_reproducible(tmp_path):
    root = write_project(tmp_path / "proj")
    first = run(root, tmp_path / "r1", progress=True)
    second = run(root, tmp_path / "r2")
    assert first.metrics == second.metrics
    assert sorted(first.metrics) == sorted(
        [f"main/diabetes/split_{i}/{a}/test_scores" for i in (0, 1) for a in ("linear", "dtr")]
        + [f"kfold/diabetes/split_{i}/ridge/test_scores" for i in (0, 1)])
    row = first.metrics["main/diabetes/split_0/dtr/test_scores"]
    assert set(row) == {"MAE", "R2"} and all(type(v) is float for v in row.values())
    assert first.datasets == [("diabetes.csv", None)]
    assert first.dataset_info["diabetes.csv"] == {
        "feature_names": ["age", "bmi", "bp", "s5"], "num_features": 4, "num_samples": 120,
        "columns": ["age", "bmi", "bp", "s5", "target"]}
    assert first.workflows == {"main": {"file": "workflows/basic.py", "class": "Basic"},
                               "kfold": {"file": "workflows/basic.py", "class": "Basic"}}
    assert [g.name for g in first.plan.groups] == ["main", "kfold"]
    written = json.loads((tmp_path / "r1/main/diabetes/split_1/main_linear/test_scores.json").read_text())
    assert set(written) == {"Mean Absolute Error", "R2 Score", "_metadata"}  # Brisk's layout and keys
    assert written["_metadata"] == {"method": "brisk_evaluate_model", "type": "model",
                                    "models": {"linear": "Linear"}, "is_test": "True"}


def test_seed_changes_splits(tmp_path):
    root = write_project(tmp_path / "proj")
    assert run(root, tmp_path / "a", seed=1).metrics != run(root, tmp_path / "b", seed=2).metrics


def test_global_rngs_seeded(tmp_path):
    pad = " " * 16
    workflow = FILES["workflows/basic.py"].rstrip() + (
        f"\n{pad}import random\n{pad}import numpy as np\n"
        + pad + "self._record('rng', {'np': float(np.random.rand()), 'py': random.random()})\n")
    root = write_project(tmp_path / "proj", overrides={"workflows/basic.py": workflow})
    np.random.seed(99)
    random.seed(99)
    outcome = run(root, tmp_path / "out", seed=3)
    from rerun_git.experiment.seeds import cell_seed

    seed = cell_seed(3, "main/diabetes/split_0/linear")  # each cell's own seed, not the run seed
    assert seed != 3
    np.random.seed(seed)
    random.seed(seed)
    expected = {"np": float(np.random.rand()), "py": random.random()}
    assert outcome.metrics["main/diabetes/split_0/linear/rng"] == expected


@pytest.mark.parametrize("overrides, message", [
    ({"settings.py": SETTINGS_BAD_ALGO}, "group 'kfold': unknown algorithm 'svm'"),
    ({"settings.py": FILES["settings.py"].replace('["diabetes.csv"])', '["nope.csv"])')},
     "dataset not found"),
    ({"settings.py": FILES["settings.py"].replace('data_config={"split_method": "kfold"}',
                                                  'data_config={"split_method": "kfold", "n_splits": 1}')},
     "group 'kfold': invalid DataManager n_splits 1"),
    ({"data.py": FILES["data.py"].replace('method="standard"', 'method="zscore"')},
     "group 'main': invalid ScalingPreprocessor method 'zscore'"),
    ({"data.py": FILES["data.py"].replace("n_splits=2,", "n_splits=2, group_column='site',")},
     "group column 'site' not in dataset"),
    ({"settings.py": FILES["settings.py"].replace('default_workflow="basic"', 'default_workflow="other"')},
     "workflows/other.py not found"),
])
def test_validated_before_training(tmp_path, overrides, message):
    root = write_project(tmp_path / "proj", overrides=overrides)
    with pytest.raises(RerunError, match=message):
        run(root, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_workflow_error_location(tmp_path):
    workflow = FILES["workflows/basic.py"].replace(
        "self.model.fit(X_train, y_train)", "raise ValueError('boom')")
    root = write_project(tmp_path / "proj", overrides={"workflows/basic.py": workflow})
    outcome = run(root, tmp_path / "out")  # as in Brisk, every experiment is tried and reported
    assert list(outcome.failures.values())[0] == "main/diabetes/split_0/linear: workflows/basic.py:7: ValueError: boom"
    assert len(outcome.failures) == outcome.experiments == 6


def test_unknown_metric_in_workflow(tmp_path):
    root = write_project(tmp_path / "proj", overrides={"helper.py": "METRICS = ['MAE', 'RMSLE']\n"})
    outcome = run(root, tmp_path / "out")
    assert list(outcome.failures.values())[0].startswith("main/diabetes/split_0/linear: unknown metric 'RMSLE'")
