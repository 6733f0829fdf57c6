from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rerun_git.errors import RerunError
from rerun_git.experiment.preprocessing import (
    PREPROCESSORS, MissingDataPreprocessor, ScalingPreprocessor, preprocessor_from_params,
)


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame({"a": [1.0, 2.0, np.nan, 4.0], "b": [10, 20, 30, 40], "cat": ["x", "y", None, "x"]})


@pytest.mark.parametrize("obj", [
    MissingDataPreprocessor(), MissingDataPreprocessor("impute", "constant", 7),
    ScalingPreprocessor(), ScalingPreprocessor("robust"),
])
def test_round_trips(obj):
    assert type(obj)(**obj.get_params()).get_params() == obj.get_params()
    exported = obj.export_params()
    assert exported["type"] == type(obj).__name__
    assert preprocessor_from_params(exported).get_params() == obj.get_params()
    assert set(PREPROCESSORS) >= {"MissingDataPreprocessor", "ScalingPreprocessor"}


def test_init_stores_unvalidated():
    bad = ScalingPreprocessor(method="nope")
    assert bad.method == "nope"
    with pytest.raises(RerunError, match="invalid ScalingPreprocessor method 'nope'") as info:
        bad.validate()
    assert "standard" in info.value.hint


def test_fit_validates(frame):
    with pytest.raises(RerunError, match="invalid MissingDataPreprocessor strategy 'zap'"):
        MissingDataPreprocessor(strategy="zap").fit(frame)
    with pytest.raises(RerunError, match="impute_method 'modal'"):
        MissingDataPreprocessor("impute", "modal").fit(frame)


def test_unknown_type():
    with pytest.raises(RerunError, match="unknown preprocessor type 'Nope'") as info:
        preprocessor_from_params({"type": "Nope", "params": {}})
    assert "ScalingPreprocessor" in info.value.hint
    with pytest.raises(RerunError, match="unknown parameter"):
        preprocessor_from_params({"type": "ScalingPreprocessor", "params": {"x": 1}})


def test_drop_rows_drops_from_y(frame):
    y = pd.Series([0, 1, 2, 3])
    X, y2 = MissingDataPreprocessor().fit_transform_xy(frame, y, ["cat"])
    assert list(X.index) == [0, 1, 3] and list(y2) == [0, 1, 3]


def test_impute_leaves_categorical(frame):
    out = MissingDataPreprocessor("impute", "median").fit_transform(frame, categorical_features=["cat"])
    assert out["a"].tolist() == [1.0, 2.0, 2.0, 4.0]
    assert out["cat"].isna().sum() == 1
    assert list(out.columns) == ["a", "b", "cat"]


def test_mean_on_text_column_needs_categorical(frame):
    with pytest.raises(RerunError, match="non-numeric column"):
        MissingDataPreprocessor("impute", "mean").fit(frame)


@pytest.mark.parametrize("method", ScalingPreprocessor.METHODS)
def test_scaling_keeps_names_and_categoricals(method):
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [3.0, 1.0, 2.0], "c": ["u", "v", "u"]}, index=[5, 6, 7])
    out = ScalingPreprocessor(method).fit_transform(X, categorical_features=["c"])
    assert list(out.columns) == ["a", "b", "c"] and list(out.index) == [5, 6, 7]
    assert out["c"].tolist() == ["u", "v", "u"]


def test_scaling_fitted_on_train_only():
    train = pd.DataFrame({"a": [0.0, 2.0]})
    step = ScalingPreprocessor("minmax").fit(train)
    assert step.transform(pd.DataFrame({"a": [4.0]}))["a"].tolist() == [2.0]


def test_transform_before_fit():
    with pytest.raises(RerunError, match="used before fit"):
        ScalingPreprocessor().transform(pd.DataFrame({"a": [1.0]}))
