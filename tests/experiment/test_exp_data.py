from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd
import pytest
from sklearn import model_selection as ms

from rerun_git.errors import RerunError
from rerun_git.experiment._params import dataset_key
from rerun_git.experiment.data import DataManager, dataset_label, load_dataset
from rerun_git.experiment.preprocessing import MissingDataPreprocessor, ScalingPreprocessor


def make_frame(n: int = 24) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({
        "x1": rng.normal(size=n), "x2": rng.normal(size=n),
        "grp": np.repeat(np.arange(n // 4), 4), "label": np.tile([0, 1], n // 2),
    })


def test_round_trip_and_export():
    dm = DataManager(test_size=0.3, n_splits=3, split_method="kfold", group_column="g", stratified=True,
                     random_state=4, problem_type="classification",
                     preprocessors=[MissingDataPreprocessor("impute", "median"), ScalingPreprocessor("minmax")])
    assert DataManager(**dm.get_params()).get_params() == dm.get_params()
    exported = dm.export_params()
    assert exported["preprocessors"][1] == {"type": "ScalingPreprocessor", "params": {"method": "minmax"}}
    assert DataManager.from_params(exported).export_params() == exported
    assert DataManager.from_params(DataManager().export_params()).get_params() == DataManager().get_params()


def test_from_params_unknown_key():
    with pytest.raises(RerunError, match="unknown DataManager parameter"):
        DataManager.from_params({"tst_size": 0.2})


@pytest.mark.parametrize("kwargs, expected", [
    ({}, ms.ShuffleSplit),
    ({"stratified": True}, ms.StratifiedShuffleSplit),
    ({"group_column": "grp"}, ms.GroupShuffleSplit),
    ({"split_method": "kfold"}, ms.KFold),
    ({"split_method": "kfold", "stratified": True}, ms.StratifiedKFold),
    ({"split_method": "kfold", "group_column": "grp"}, ms.GroupKFold),
    ({"split_method": "kfold", "group_column": "grp", "stratified": True}, ms.StratifiedGroupKFold),
])
def test_splitter_choice_and_all_splits(kwargs, expected):
    dm = DataManager(n_splits=2, **kwargs)
    splitter = dm._splitter(3)
    assert type(splitter) is expected
    if kwargs.get("split_method") == "kfold":  # Brisk: k-folds are shuffled only when random_state is set
        assert splitter.shuffle is False and splitter.random_state is None
        seeded = DataManager(n_splits=2, random_state=5, **kwargs)._splitter(5)
        grouped = "group_column" in kwargs
        assert seeded.shuffle is not grouped and seeded.random_state == (None if grouped else 5)
    splits = dm.split(make_frame(), seed=3)
    assert [s.index for s in splits] == [0, 1]
    for s in splits:
        features = ["x1", "x2"] if "group_column" in kwargs else ["x1", "x2", "grp"]
        assert s.feature_names == features and list(s.X_train.columns) == features
        assert set(s.train_index).isdisjoint(s.test_index)
        assert s.y_train.name == "label"
        if "group_column" in kwargs:
            grp = make_frame()["grp"]
            assert set(grp[s.train_index]).isdisjoint(grp[s.test_index])


def test_seed_vs_random_state():
    df = make_frame()
    a = DataManager(n_splits=2).split(df, seed=1)
    b = DataManager(n_splits=2).split(df, seed=1)
    c = DataManager(n_splits=2).split(df, seed=2)
    assert a[0].test_index == b[0].test_index != c[0].test_index
    dm = DataManager(n_splits=2, random_state=7)
    assert dm.split(df, seed=1)[0].test_index == dm.split(df, seed=2)[0].test_index
    assert dm.random_state == 7


def test_preprocessing_fitted_on_train_only():
    df = make_frame()
    dm = DataManager(n_splits=1, preprocessors=[ScalingPreprocessor("standard")])
    s = dm.split(df, seed=0)[0]
    assert np.allclose(s.X_train.mean(), 0) and np.allclose(s.X_train.std(ddof=0), 1)
    cols = ["x1", "x2", "grp"]
    raw = df.iloc[s.train_index][cols]
    expected = (df.iloc[s.test_index][cols] - raw.mean()) / raw.std(ddof=0)
    assert np.allclose(s.X_test.to_numpy(), expected.to_numpy())
    assert dm.preprocessors[0].__dict__.get("fitted_") is None  # the prototype stays unfitted


def test_drop_rows_keeps_y_aligned():
    df = make_frame()
    df.loc[[0, 5, 9], "x1"] = np.nan
    s = DataManager(n_splits=1, preprocessors=[MissingDataPreprocessor()]).split(df, seed=0)[0]
    assert not {0, 5, 9} & set(s.train_index + s.test_index)
    assert list(s.y_train.index) == list(s.X_train.index) == s.train_index


def test_categorical_left_alone():
    df = make_frame()
    df.insert(0, "colour", ["red", "blue"] * 12)
    s = DataManager(n_splits=1, preprocessors=[ScalingPreprocessor()]).split(df, ["colour"], seed=0)[0]
    assert set(s.X_train["colour"]) == {"red", "blue"}


@pytest.mark.parametrize("kwargs, df_change, message", [
    ({"stratified": True, "problem_type": "regression"}, None, "stratified splitting needs a classification"),
    ({"stratified": True}, "float_target", "cannot stratify on continuous target 'label'"),
    ({"group_column": "nope"}, None, "group column 'nope' not in dataset"),
    ({"split_method": "random"}, None, "invalid DataManager split_method 'random'"),
    ({"problem_type": "ranking"}, None, "invalid DataManager problem_type"),
    ({"test_size": 1.5}, None, "invalid DataManager test_size"),
    ({"n_splits": 1, "split_method": "kfold"}, None, "invalid DataManager n_splits 1"),
    ({"stratified": True, "group_column": "grp"}, None, "not available with split_method='shuffle'"),
    ({"n_splits": 50, "split_method": "kfold"}, None, "cannot split dataset"),
])
def test_split_errors(kwargs, df_change, message):
    df = make_frame()
    if df_change == "float_target":
        df["label"] = np.linspace(0, 1, len(df))
    with pytest.raises(RerunError, match=message):
        DataManager(n_splits=kwargs.pop("n_splits", 2), **kwargs).split(df, seed=0)


def test_unknown_categorical():
    with pytest.raises(RerunError, match="categorical feature\\(s\\) not in dataset: zz"):
        DataManager(n_splits=1).split(make_frame(), ["zz"], seed=0)


def test_load_formats(tmp_path):
    df = pd.DataFrame({"a": [1, 2], "b": [0.5, 1.5]})
    df.to_csv(tmp_path / "d.csv", index=False)
    df.to_csv(tmp_path / "d.csv.gz", index=False)
    df.to_csv(tmp_path / "d.tsv", sep="\t", index=False)
    df.to_json(tmp_path / "d.json")
    with sqlite3.connect(tmp_path / "d.db") as conn:
        df.to_sql("t", conn, index=False)
    for name in ("d.csv", "d.csv.gz", "d.tsv", "d.json"):
        pd.testing.assert_frame_equal(load_dataset(tmp_path / name), df)
    pd.testing.assert_frame_equal(load_dataset(tmp_path / "d.db", "t"), df)


def test_load_errors(tmp_path):
    with pytest.raises(RerunError, match="dataset not found"):
        load_dataset(tmp_path / "missing.csv")
    (tmp_path / "d.parquet").write_bytes(b"x")
    with pytest.raises(RerunError, match="unsupported dataset type '.parquet'"):
        load_dataset(tmp_path / "d.parquet")
    with sqlite3.connect(tmp_path / "d.db") as conn:
        conn.execute("CREATE TABLE t (a INTEGER)")
    with pytest.raises(RerunError, match="needs a table name"):
        load_dataset(tmp_path / "d.db")
    with pytest.raises(RerunError, match="no table 'u'") as info:
        load_dataset(tmp_path / "d.db", "u")
    assert info.value.hint == "tables: t"


def test_key_and_label():
    assert dataset_key("a.csv", None) == "a.csv"
    assert dataset_key("a.db", "t") == "a.db|t"
    assert dataset_label("sub/diabetes.csv.gz") == "diabetes"
    assert dataset_label("x.db", "my table") == "x_my_table"


def test_xlsx_without_openpyxl(tmp_path, monkeypatch):
    from rerun_git.experiment import data

    real = data.importlib.util.find_spec
    monkeypatch.setattr(data.importlib.util, "find_spec", lambda name, *a: None if name == "openpyxl" else real(name, *a))
    (tmp_path / "d.xlsx").write_bytes(b"PK")
    with pytest.raises(RerunError, match="reading .xlsx needs openpyxl") as info:
        load_dataset(tmp_path / "d.xlsx")
    assert info.value.hint == "pip install openpyxl"


def test_xlsx_sheets(tmp_path):
    pytest.importorskip("openpyxl")
    df = pd.DataFrame({"a": [1, 2], "b": [0.5, 1.5]})
    with pd.ExcelWriter(tmp_path / "d.xlsx") as writer:
        df.to_excel(writer, sheet_name="first", index=False)
        (df + 0.25).to_excel(writer, sheet_name="second", index=False)
    pd.testing.assert_frame_equal(load_dataset(tmp_path / "d.xlsx"), df)
    pd.testing.assert_frame_equal(load_dataset(tmp_path / "d.xlsx", "second"), df + 0.25)
    with pytest.raises(RerunError, match="cannot read dataset d.xlsx: Worksheet named 'third' not found"):
        load_dataset(tmp_path / "d.xlsx", "third")
