"""Every rebuildable object: parameters from the constructor's signature, and a lossless round trip."""
from __future__ import annotations

import inspect

import pytest
from sklearn.linear_model import Ridge

from rerun_git.errors import RerunError
from rerun_git.experiment._params import Rebuildable
from rerun_git.experiment.algorithms import (
    CLASSIFICATION_ALGORITHMS, REGRESSION_ALGORITHMS, AlgorithmCollection, AlgorithmWrapper,
)
from rerun_git.experiment.data import DATA_MANAGER_PARAMS, DataManager
from rerun_git.experiment.metrics import CLASSIFICATION_METRICS, REGRESSION_METRICS, MetricManager
from rerun_git.experiment.plot_settings import PlotSettings
from rerun_git.experiment.preprocessing import (
    CategoricalEncodingPreprocessor, FeatureSelectionPreprocessor, MissingDataPreprocessor, ScalingPreprocessor,
)

OBJECTS = [
    *REGRESSION_ALGORITHMS, *CLASSIFICATION_ALGORITHMS, *REGRESSION_METRICS, *CLASSIFICATION_METRICS,
    AlgorithmWrapper("r", "R", Ridge, {"alpha": 2.0}, {"alpha": [0.1, 1.0]}),
    PlotSettings(file_format="svg", dpi=72),
    DataManager(split_method="kfold", n_splits=3, random_state=4, problem_type="regression",
                algorithm_config=AlgorithmCollection(*REGRESSION_ALGORITHMS[:2]),
                preprocessors=[ScalingPreprocessor("minmax"), MissingDataPreprocessor("impute", "mode")]),
    MissingDataPreprocessor("impute", "constant", 3), ScalingPreprocessor("robust"),
    CategoricalEncodingPreprocessor({"a": "onehot", "b": "threshold"}, cutoffs=[1.0, 2.0]),
    CategoricalEncodingPreprocessor("label", cutoffs={"b": [1.5, 3]}),
    FeatureSelectionPreprocessor("rfecv", 2, 3, estimator="ridge", direction="backward"),
]
COLLECTIONS = [AlgorithmCollection(*REGRESSION_ALGORITHMS), AlgorithmCollection(*CLASSIFICATION_ALGORITHMS),
               MetricManager(*REGRESSION_METRICS), MetricManager(*CLASSIFICATION_METRICS)]


def _id(obj: object) -> str:
    return f"{type(obj).__name__}-{getattr(obj, 'name', '')}"


@pytest.mark.parametrize("obj", OBJECTS + COLLECTIONS, ids=_id)
def test_export_rebuild_export_is_lossless(obj: object) -> None:
    exported = obj.export_params()
    assert type(obj).from_params(exported).export_params() == exported


@pytest.mark.parametrize("obj", OBJECTS, ids=_id)
def test_parameters_are_the_constructors(obj: Rebuildable) -> None:
    signature = inspect.signature(type(obj).__init__).parameters
    named = [n for n, p in signature.items() if n != "self" and p.kind is not p.VAR_KEYWORD]
    assert type(obj).param_names() == named
    assert list(obj.get_params())[:len(named)] == named
    rebuilt = type(obj)(**obj.get_params())
    assert rebuilt.export_params() == obj.export_params()


def test_data_config_keys_are_the_data_managers_parameters() -> None:
    assert DATA_MANAGER_PARAMS == tuple(DataManager.param_names())
    with pytest.raises(RerunError, match="unknown PlotSettings parameter"):
        PlotSettings.from_params({"colour": "red"})
