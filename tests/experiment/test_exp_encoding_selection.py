"""CategoricalEncodingPreprocessor, FeatureSelectionPreprocessor, split fingerprints and their checks."""
from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LinearRegression, Ridge

from rerun_git.errors import RerunError
from rerun_git.experiment.algorithms import AlgorithmCollection, AlgorithmWrapper
from rerun_git.experiment.configuration import Configuration
from rerun_git.experiment.data import DataManager, index_sha256
from rerun_git.experiment.preprocessing import CategoricalEncodingPreprocessor as Encode
from rerun_git.experiment.preprocessing import FeatureSelectionPreprocessor as Select
from rerun_git.experiment.preprocessing import (
    FitContext, MissingDataPreprocessor, ScalingPreprocessor, preprocessor_from_params,
)

ALGOS = AlgorithmCollection(AlgorithmWrapper("linear", "Linear", LinearRegression),
                            AlgorithmWrapper("ridge", "Ridge", Ridge),
                            AlgorithmWrapper("forest", "Forest", RandomForestRegressor, {"n_estimators": 5}))


@pytest.fixture
def train() -> pd.DataFrame:
    return pd.DataFrame({"colour": ["red", "blue", "red", "green"], "month": [1, 4, 7, 10],
                         "age": [20, 35, 55, 80], "x": [1.0, 2.0, 3.0, 4.0]}, index=[10, 11, 12, 13])


CATS = ["colour", "month", "age"]


# ---------------------------------------------------------------- encoding
@pytest.mark.parametrize("method", ["label", "ordinal"])
def test_label_and_ordinal_codes_sorted_categories(train, method):
    out = Encode(method).fit_transform(train, categorical_features=CATS)
    assert list(out.columns) == ["colour", "month", "age", "x"] and list(out.index) == [10, 11, 12, 13]
    assert out["colour"].tolist() == [2, 0, 2, 1]  # blue, green, red
    assert out["month"].tolist() == [0, 1, 2, 3] and out["x"].tolist() == train["x"].tolist()
    test = pd.DataFrame({"colour": ["purple", None], "month": [4, 12], "age": [35, 1], "x": [0.0, 0.0]})
    step = Encode(method).fit(train, categorical_features=CATS)
    assert step.transform(test)["colour"].tolist() == [-1, -1]  # unseen and missing
    assert step.transform(test)["month"].tolist() == [1, -1]


def test_onehot_in_place_and_unseen_all_zero(train):
    step = Encode("onehot").fit(train, categorical_features=["colour"])
    out = step.transform(train)
    assert list(out.columns) == ["colour_blue", "colour_green", "colour_red", "month", "age", "x"]
    assert out.loc[10, ["colour_blue", "colour_green", "colour_red"]].tolist() == [0.0, 0.0, 1.0]
    unseen = step.transform(train.assign(colour=["pink"] * 4))
    assert unseen[["colour_blue", "colour_green", "colour_red"]].to_numpy().sum() == 0


def test_cyclic_uses_the_circle(train):
    out = Encode("cyclic").fit_transform(train, categorical_features=["month"])
    assert list(out.columns) == ["colour", "month_sin", "month_cos", "age", "x"]
    assert np.allclose(out["month_sin"], [0, 1, 0, -1]) and np.allclose(out["month_cos"], [1, 0, -1, 0])


def test_cutoffs_bin_numeric_values(train):
    step = Encode({"age": "onehot"}, cutoffs={"age": [30, 50, 70]}).fit(train, categorical_features=["age"])
    out = step.transform(pd.DataFrame({"colour": "x", "month": 1, "age": [29, 30, 50, 70, 99], "x": 0.0}))
    assert [c for c in out.columns if c.startswith("age_")] == ["age_0", "age_1", "age_2", "age_3"]
    assert out[["age_0", "age_1", "age_2", "age_3"]].to_numpy().argmax(axis=1).tolist() == [0, 1, 2, 3, 3]
    ordinal = Encode("ordinal", cutoffs={"age": [30, 50, 70]}).fit_transform(train, categorical_features=["age"])
    assert ordinal["age"].tolist() == [0, 1, 2, 3]


def test_dict_method_defaults_to_label_and_other_columns_untouched(train):
    out = Encode({"month": "cyclic"}).fit_transform(train, categorical_features=["colour", "month"])
    assert list(out.columns) == ["colour", "month_sin", "month_cos", "age", "x"]
    assert out["colour"].tolist() == [2, 0, 2, 1] and out["age"].tolist() == [20, 35, 55, 80]


def test_encoded_columns_stay_categorical_so_scaling_leaves_them(train):
    df = pd.concat([train] * 3, ignore_index=True).assign(y=np.arange(12.0))
    dm = DataManager(n_splits=1, test_size=0.25, problem_type="regression",
                     preprocessors=[Encode({"colour": "onehot", "month": "label"}), ScalingPreprocessor()])
    split = dm.split(df, ["colour", "month"], seed=0)[0]
    assert set(split.X_train["colour_red"]) <= {0.0, 1.0} and split.X_train["month"].min() == 0
    assert np.isclose(split.X_train["x"].mean(), 0) and np.isclose(split.X_train["age"].std(ddof=0), 1)
    assert dm.preprocessors[0].__dict__.get("fitted_") is None


def test_round_trip_and_registry():
    for obj in (Encode(), Encode({"a": "onehot"}, cutoffs={"b": [1.5, 3]}), Select(),
                Select("rfecv", 3, 4, "ridge", problem_type="regression", direction="backward")):
        exported = obj.export_params()
        assert preprocessor_from_params(exported).get_params() == obj.get_params()
    assert Encode({"a": "onehot"}, cutoffs={"b": [1.5, 3]}).export_params() == {
        "type": "CategoricalEncodingPreprocessor", "params": {"method": {"a": "onehot"}, "cutoffs": {"b": [1.5, 3]}}}


@pytest.mark.parametrize("kwargs, message", [
    ({"method": "hash"}, "invalid CategoricalEncodingPreprocessor method 'hash'"),
    ({"method": {"a": "target"}}, "invalid CategoricalEncodingPreprocessor method for 'a' 'target'"),
    ({"cutoffs": {"age": [50, 30]}}, "invalid CategoricalEncodingPreprocessor cutoffs for 'age'"),
    ({"cutoffs": {"age": []}}, "invalid CategoricalEncodingPreprocessor cutoffs for 'age'"),
    ({"cutoffs": "30"}, "cutoffs must be a list or a dict"),
    ({"method": "threshold"}, r"method='threshold'\) needs cutoffs"),
    ({"method": "threshold", "cutoffs": [3, 1]}, "invalid CategoricalEncodingPreprocessor cutoffs"),
])
def test_encoding_validation(kwargs, message):
    with pytest.raises(RerunError, match=message):
        Encode(**kwargs).validate()


def test_encoding_checks_columns_before_training(train):
    with pytest.raises(RerunError, match="not categorical features of the dataset: age") as info:
        Encode(cutoffs={"age": [30]}).check_data(train, ["colour"])
    assert info.value.hint == "categorical features: colour"
    with pytest.raises(RerunError, match="cutoffs: column 'colour' is not numeric"):
        Encode(cutoffs={"colour": [1]}).check_data(train, ["colour"])
    with pytest.raises(RerunError, match="would overwrite column"):
        Encode("cyclic").fit(train.assign(month_sin=0.0), categorical_features=["month"])


# ---------------------------------------------------------------- feature selection
def informative(n: int = 60) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.normal(size=(n, 6)), columns=[f"f{i}" for i in range(6)])
    return X, pd.Series(5 * X["f1"] - 4 * X["f4"] + rng.normal(scale=0.1, size=n), name="y")


@pytest.mark.parametrize("method", Select.METHODS)
def test_selection_keeps_informative_features_by_name(method):
    X, y = informative()
    step = Select(method, n_features_to_select=2, estimator="ridge").bind(FitContext("regression", 0, ALGOS))
    out = step.fit_transform(X, y)
    assert list(out.columns) == ["f1", "f4"] and list(out.index) == list(X.index)


def test_selection_estimator_comes_from_the_collection_with_the_seed():
    X, y = informative()
    runs = [Select("sequential", 2, estimator="forest").bind(FitContext("regression", seed, ALGOS)).fit(X, y)
            for seed in (3, 3)]
    assert runs[0].selected_ == runs[1].selected_
    assert Select("sequential", 2, estimator="forest").bind(FitContext("regression", 3, ALGOS))._selector() \
        .estimator.random_state == 3


def test_selectkbest_score_follows_problem_type():
    from sklearn.feature_selection import f_classif, f_regression

    assert Select().bind(FitContext("classification"))._selector().score_func is f_classif
    assert Select(problem_type="regression").bind(FitContext("classification"))._selector().score_func \
        is f_regression


@pytest.mark.parametrize("step, context, message", [
    (Select("rfecv"), FitContext("regression", 0, ALGOS), r"needs an estimator"),
    (Select("rfecv", estimator="svr"), FitContext("regression", 0, ALGOS), "unknown estimator 'svr'"),
    (Select("rfecv", estimator="ridge"), FitContext(), "no algorithm collection"),
    (Select("rfe"), FitContext(), "invalid FeatureSelectionPreprocessor method 'rfe'"),
    (Select(n_features_to_select=0), FitContext(), "n_features_to_select 0"),
    (Select(feature_selection_cv=1), FitContext(), "feature_selection_cv 1"),
    (Select(estimator=42), FitContext(), "invalid FeatureSelectionPreprocessor estimator"),
    (Select("rfecv", algorithm_config=ALGOS, feature_selection_estimator="svr"), FitContext(),
     "unknown feature_selection_estimator 'svr'"),
])
def test_selection_context_errors(step, context, message):
    with pytest.raises(RerunError, match=message):
        step.check_context(context)


def test_selection_data_errors(train):
    X, y = informative()
    with pytest.raises(RerunError, match="non-numeric column.*colour") as info:
        Select(n_features_to_select=1).fit(train, pd.Series([1.0, 2, 3, 4], index=train.index))
    assert "CategoricalEncodingPreprocessor" in info.value.hint
    with pytest.raises(RerunError, match="missing values"):
        Select(n_features_to_select=1).fit(X.mask(X > 2), y)
    with pytest.raises(RerunError, match="n_features_to_select=7 but the data has 6 features"):
        Select(n_features_to_select=7).fit(X, y)
    with pytest.raises(RerunError, match="needs the target"):
        Select().fit(X)


def test_datamanager_checks_preprocessors_before_splitting():
    df = informative()[0].assign(y=informative()[1])
    dm = DataManager(n_splits=2, problem_type="regression", preprocessors=[Select("rfecv", 2)])
    with pytest.raises(RerunError, match="needs an estimator"):
        dm.check_context(ALGOS)
    splits = DataManager(n_splits=2, problem_type="regression",
                         preprocessors=[MissingDataPreprocessor(), Select("rfecv", 2, estimator="ridge")]) \
        .split(df, seed=4, algorithms=ALGOS)
    assert [s.feature_names for s in splits] == [["f1", "f4"], ["f1", "f4"]]


# ---------------------------------------------------------------- split fingerprints and checks
def test_fingerprint_is_sha256_of_decimal_indices():
    assert index_sha256([0, 4, 17]) == hashlib.sha256(b"0,4,17").hexdigest()
    df = informative()[0].assign(y=informative()[1])
    split = DataManager(n_splits=1, problem_type="regression", random_state=1).split(df)[0]
    fp = split.fingerprint()
    assert fp == {"train_size": 48, "test_size": 12, "train_sha256": index_sha256(split.train_index),
                  "test_sha256": index_sha256(split.test_index)}
    other = DataManager(n_splits=1, problem_type="regression", random_state=2).split(df)[0].fingerprint()
    assert other["train_sha256"] != fp["train_sha256"] and other["train_size"] == 48


def test_stratified_rare_classes_fail_with_a_hint():
    df = pd.DataFrame({"x": range(12), "y": [0] * 5 + [1] * 5 + [2, 3]})
    with pytest.raises(RerunError, match="2 of 4 classes have fewer than 2 rows") as info:
        DataManager(n_splits=2, stratified=True).check_dataset(df)
    assert "problem_type='regression'" in info.value.hint
    with pytest.raises(RerunError, match="fewer than 3 rows"):
        DataManager(n_splits=3, split_method="kfold", stratified=True).check_dataset(df)


def test_categorical_key_must_name_a_dataset():
    config = Configuration("w", ["a"], categorical_features={("shop.db", "sales"): ["c"], "x.csv": ["d"]})
    config.add_experiment_group(name="g", datasets=[("shop.db", "sales")])
    with pytest.raises(RerunError, match="categorical_features key 'x.csv' names no dataset") as info:
        config.build()
    assert info.value.hint == "datasets in the groups: shop.db|sales"
    config.add_experiment_group(name="h", datasets=["x.csv"])
    assert config.build().categorical_for("shop.db", "sales") == ["c"]


def test_grid_keys_validated_with_the_algorithm():
    AlgorithmWrapper("r", "R", Ridge, hyperparam_grid={"alpha": [1.0]}).validate()
    with pytest.raises(RerunError, match="hyperparam_grid key\\(s\\) alpah are not parameters of Ridge"):
        AlgorithmWrapper("r", "R", Ridge, hyperparam_grid={"alpah": [1.0]}).validate()
    with pytest.raises(RerunError, match=r"hyperparam_grid\['alpha'\] must be a non-empty list"):
        AlgorithmWrapper("r", "R", Ridge, hyperparam_grid={"alpha": []}).validate()
