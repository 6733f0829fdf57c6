"""Issue 3 features through the real CLI: run, wreck the working tree, reproduce with every metric identical.

Covers categorical encoding, feature selection, grouped/stratified splits with
recorded split fingerprints, dataset formats, the three templates and the bad
inputs that must fail before training. Workflow helpers, plots and custom
evaluators are in ``test_experiment_features_workflow.py``.
"""
from __future__ import annotations

import gzip
import importlib.util
import re
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from textwrap import dedent

import numpy as np
import pandas as pd
import pytest

from conftest import git

WRECKED = "raise SystemExit('wrecked on purpose')\n"


# ---------------------------------------------------------------- helpers
def make_project(root: Path, files: dict[str, str], datasets: dict[str, Callable[[Path], None]] | None = None,
                 template: str = "regression", commit: bool = True) -> Path:
    """A template project in ``root`` with ``files`` replaced and extra datasets written, committed."""
    from rerun_git.scaffold import write_template

    write_template(root, template)
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dedent(text).lstrip("\n"), encoding="utf-8")
    for name, write in (datasets or {}).items():
        write(root / "datasets" / name)
    if commit:
        git(root, "add", ".")
        git(root, "commit", "-q", "-m", "feature project")
    return root


def wreck(project: Path) -> None:
    """Delete and break the project's files and datasets, as a careless user would."""
    shutil.rmtree(project / "workflows")
    for rel in ("settings.py", "data.py", "algorithms.py", "metrics.py", "evaluators.py"):
        if (project / rel).exists():
            (project / rel).write_text(WRECKED)
    for path in (project / "datasets").iterdir():
        path.write_bytes(b"wrecked")


def run_wreck_reproduce(cli, project: Path, name: str, metrics: int | None = None) -> dict:
    """``run --name NAME``, wreck the tree, ``reproduce NAME``: exit 0, every metric identical. Returns the record."""
    ran = cli("run", "--name", name, cwd=project)
    assert ran.code == 0, ran.err
    record = read_record(project, name)
    wreck(project)
    again = cli("reproduce", name, cwd=project)
    assert again.code == 0, again.err + again.out
    match = re.search(r"all (\d+) metrics match run", again.err)
    assert match and "MISMATCH" not in again.out + again.err
    assert int(match.group(1)) == sum(len(v) for v in record["results"].values())
    if metrics is not None:
        assert int(match.group(1)) == metrics
    return record


def read_record(project: Path, name: str) -> dict:
    from reliability_support import full_record

    return full_record(project, f"run/{name}")


def diabetes(rows: int = 150) -> pd.DataFrame:
    from sklearn.datasets import load_diabetes

    return load_diabetes(as_frame=True).frame.iloc[:rows]


def shop_frame(n: int = 90) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    colour = rng.choice(["red", "green", "blue"], n)
    month = rng.integers(1, 13, n)
    age = rng.integers(18, 90, n)
    x = rng.normal(size=n)
    y = 3 * x + 2 * (colour == "red") + np.sin(2 * np.pi * month / 12) + age / 30 + rng.normal(scale=0.1, size=n)
    return pd.DataFrame({"colour": colour, "month": month, "age": age, "x": x.round(6), "sales": y.round(6)})


def write_shop_csv(path: Path) -> None:
    shop_frame().to_csv(path, index=False)


def write_shop_db(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        shop_frame().to_sql("sales", conn, index=False)
    conn.close()


def tsv(path: Path) -> None:
    diabetes(100).to_csv(path, sep="\t", index=False)


def json_records(path: Path) -> None:
    diabetes(100).to_json(path, orient="records")


def csv_gz(path: Path) -> None:
    with gzip.GzipFile(path, "wb", mtime=0) as handle:
        handle.write(diabetes(100).to_csv(index=False).encode())


def xlsx(path: Path) -> None:
    diabetes(100).to_excel(path, sheet_name="patients", index=False)


def sqlite_table(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        diabetes(100).to_sql("patients", conn, index=False)
    conn.close()


# ---------------------------------------------------------------- categorical features
CATEGORICAL_SETTINGS = """
    from rerun_git import CategoricalEncodingPreprocessor as Encode, Configuration, ScalingPreprocessor

    CUTS = {"age": [30, 50, 70]}

    def create_configuration():
        config = Configuration(
            default_workflow="regression",
            default_algorithms=["linear", "ridge"],
            categorical_features={"shop.csv": ["colour", "month", "age"], ("shop.db", "sales"): ["colour", "month"]},
        )
        for method in ("label", "ordinal", "onehot", "cyclic"):
            config.add_experiment_group(name=method, datasets=["shop.csv"], data_config={
                "preprocessors": [Encode(method, cutoffs=CUTS), ScalingPreprocessor()]})
        config.add_experiment_group(name="mixed", datasets=[("shop.db", "sales")], data_config={
            "preprocessors": [Encode({"colour": "onehot", "month": "cyclic"}), ScalingPreprocessor()]})
        return config
"""


def test_categorical_encoding_reproduces(repo: Path, cli) -> None:
    project = make_project(repo, {"settings.py": CATEGORICAL_SETTINGS},
                           {"shop.csv": write_shop_csv, "shop.db": write_shop_db})
    record = run_wreck_reproduce(cli, project, "categorical", metrics=5 * 3 * 2 * 2)
    groups = {g["name"]: g for g in record["experiment_groups"]}
    assert groups["onehot"]["data_config"]["preprocessors"][0] == {
        "type": "CategoricalEncodingPreprocessor", "params": {"method": "onehot", "cutoffs": {"age": [30, 50, 70]}}}
    assert record["configuration"]["categorical_features"] == {
        "shop.csv": ["colour", "month", "age"], "shop.db|sales": ["colour", "month"]}
    features = {key.split("/")[0]: split["feature_names"] for key, split in record["splits"].items()}
    assert features["label"] == ["colour", "month", "age", "x"]
    assert features["onehot"][:3] == ["colour_blue", "colour_green", "colour_red"]
    assert {"age_0", "age_1", "age_2", "age_3"} <= set(features["onehot"]) and "colour" not in features["onehot"]
    assert features["cyclic"] == ["colour_sin", "colour_cos", "month_sin", "month_cos", "age_sin", "age_cos", "x"]
    assert features["mixed"][:3] == ["colour_blue", "colour_green", "colour_red"]
    assert features["mixed"][-4:] == ["month_sin", "month_cos", "age", "x"]
    assert record["datasets"]["shop.db|sales"]["feature_names"] == ["colour", "month", "age", "x"]


# ---------------------------------------------------------------- feature selection
SELECTION_DATA = """
    from rerun_git import DataManager, FeatureSelectionPreprocessor as Select, ScalingPreprocessor

    BASE_DATA_MANAGER = DataManager(test_size=0.25, n_splits=2, split_method="shuffle", problem_type="regression",
                                    random_state=3, preprocessors=[ScalingPreprocessor()])
"""
SELECTION_SETTINGS = """
    from rerun_git import Configuration, FeatureSelectionPreprocessor as Select, ScalingPreprocessor

    def create_configuration():
        config = Configuration(default_workflow="regression", default_algorithms=["linear", "ridge"])
        for name, select in (
            ("kbest", Select("selectkbest", n_features_to_select=4)),
            ("rfecv", Select("rfecv", n_features_to_select=3, estimator="ridge")),
            ("sequential", Select("sequential", n_features_to_select=3, feature_selection_cv=3, estimator="ridge")),
        ):
            config.add_experiment_group(name=name, datasets=["diabetes.csv"],
                                        data_config={"preprocessors": [ScalingPreprocessor(), select]})
        return config
"""


def test_feature_selection_reproduces(repo: Path, cli) -> None:
    project = make_project(repo, {"data.py": SELECTION_DATA, "settings.py": SELECTION_SETTINGS})
    record = run_wreck_reproduce(cli, project, "selection", metrics=3 * 2 * 2 * 2)
    selected = {key: split["feature_names"] for key, split in record["splits"].items()}
    columns = set(diabetes().columns[:-1])
    assert {len(names) for key, names in selected.items() if key.startswith("kbest/")} == {4}
    assert all(len(names) >= 3 and set(names) <= columns for names in selected.values())
    assert "bmi" in selected["kbest/diabetes/split_0"]  # names, not positions, survive the selection
    rfecv = next(g for g in record["experiment_groups"] if g["name"] == "rfecv")
    assert rfecv["data_config"]["preprocessors"][1]["params"]["estimator"] == "ridge"


# ---------------------------------------------------------------- grouped and stratified splits
SPLITS_SETTINGS = """
    from rerun_git import Configuration

    SPLITTERS = {
        "shuffle": {"split_method": "shuffle", "group_column": None, "stratified": False},
        "stratified_shuffle": {"split_method": "shuffle", "group_column": None, "stratified": True},
        "group_shuffle": {"split_method": "shuffle", "group_column": "plant", "stratified": False},
        "kfold": {"split_method": "kfold", "group_column": None, "stratified": False},
        "stratified_kfold": {"split_method": "kfold", "group_column": None, "stratified": True},
        "group_kfold": {"split_method": "kfold", "group_column": "plant", "stratified": False},
        "stratified_group_kfold": {"split_method": "kfold", "group_column": "plant", "stratified": True},
    }

    def create_configuration():
        config = Configuration(default_workflow="grouped", default_algorithms=["knn"],
                               categorical_features={"iris.csv": ["greenhouse"]})
        for name, params in SPLITTERS.items():
            config.add_experiment_group(name=name, datasets=["iris.csv"], data_config={**params, "n_splits": 2})
        return config
"""


@pytest.fixture
def splits_project(repo: Path) -> Path:
    return make_project(repo, {"settings.py": SPLITS_SETTINGS}, template="grouped")


def test_all_seven_splitters_reproduce_with_recorded_splits(splits_project: Path, cli) -> None:
    record = run_wreck_reproduce(cli, splits_project, "splits", metrics=7 * 2 * 1 * 2)
    assert len(record["splits"]) == 7 * 2
    for key, split in record["splits"].items():
        assert re.fullmatch(r"[a-z_]+/iris/split_[01]", key)
        assert split["train_size"] + split["test_size"] == 150
        assert re.fullmatch(r"[0-9a-f]{64}", split["train_sha256"]) and split["train_sha256"] != split["test_sha256"]
        grouped = key.startswith(("group_", "stratified_group"))
        assert ("plant" in split["feature_names"]) is not grouped  # the group column is not a feature


def test_reproduce_reports_a_split_that_used_other_rows(splits_project: Path, cli,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from rerun_git.experiment import data

    assert cli("run", "--name", "rows", cwd=splits_project).code == 0
    original = data.index_sha256
    monkeypatch.setattr(data, "index_sha256", lambda idx: original(list(idx)[1:]))  # as if a row went missing
    result = cli("reproduce", "rows", cwd=splits_project)
    assert result.code == 1
    assert "MISMATCH split group_kfold/iris/split_0: train_sha256, test_sha256 differ from the recorded run" in result.err
    assert "0 of 28 metrics differ from run rows; 14 split(s) used other rows or gave other statistics" in result.err


# ---------------------------------------------------------------- datasets
DATASETS = {"patients.tsv": tsv, "patients.json": json_records, "patients.csv.gz": csv_gz,
            "patients.db": sqlite_table}
if importlib.util.find_spec("openpyxl") is not None:
    DATASETS["patients.xlsx"] = xlsx

DATASETS_SETTINGS = """
    from rerun_git import Configuration

    def create_configuration():
        config = Configuration(default_workflow="regression", default_algorithms=["ridge"])
        config.add_experiment_group(name="csv", datasets=["diabetes.csv"])
        config.add_experiment_group(name="tsv", datasets=["patients.tsv"])
        config.add_experiment_group(name="json", datasets=["patients.json"])
        config.add_experiment_group(name="gz", datasets=["patients.csv.gz"])
        config.add_experiment_group(name="sqlite", datasets=[("patients.db", "patients")])
        {excel}
        return config
"""


def test_every_dataset_format_reproduces(repo: Path, cli) -> None:
    excel = 'config.add_experiment_group(name="excel", datasets=[("patients.xlsx", "patients")])' \
        if "patients.xlsx" in DATASETS else ""
    project = make_project(repo, {"settings.py": DATASETS_SETTINGS.replace("{excel}", excel)}, DATASETS)
    record = run_wreck_reproduce(cli, project, "formats", metrics=(len(DATASETS) + 1) * 3 * 2)
    assert set(record["datasets"]) == {"diabetes.csv", "patients.tsv", "patients.json", "patients.csv.gz",
                                       "patients.db|patients"} | ({"patients.xlsx|patients"} if excel else set())
    same = [e["num_samples"] for k, e in record["datasets"].items() if k != "diabetes.csv"]
    assert same == [100] * len(same) and all(e["embedded"] for e in record["datasets"].values())
    rows = record["results"]
    assert rows["tsv/patients/split_0/ridge/test_metrics"] == rows["gz/patients/split_0/ridge/test_metrics"] \
        == rows["sqlite/patients_patients/split_0/ridge/test_metrics"]  # same data, same numbers


# ---------------------------------------------------------------- templates
@pytest.mark.parametrize("template, metrics", [("regression", 12), ("classification", 12), ("grouped", 12)])
def test_template_creates_a_project_that_reproduces(tmp_path: Path, cli, template: str, metrics: int) -> None:
    created = cli("create", "proj", "--template", template, cwd=tmp_path)
    assert created.code == 0, created.err
    assert f"({template} template" in created.out
    project = tmp_path / "proj"
    dataset = {"regression": "diabetes.csv", "classification": "breast_cancer.csv", "grouped": "iris.csv"}[template]
    assert (project / "datasets" / dataset).is_file() and (project / f"workflows/{template}.py").is_file()
    record = run_wreck_reproduce(cli, project, "first", metrics=metrics)
    assert len(record["splits"]) == 3


def test_template_datasets_are_deterministic(tmp_path: Path) -> None:
    from rerun_git.scaffold import write_template

    for template in ("classification", "grouped"):
        a, b = tmp_path / f"{template}_a", tmp_path / f"{template}_b"
        files = write_template(a, template)
        write_template(b, template)
        data = next(f for f in files if f.startswith("datasets/"))
        assert (a / data).read_bytes() == (b / data).read_bytes()
    iris = pd.read_csv(tmp_path / "grouped_a" / "datasets" / "iris.csv")
    assert list(iris.columns) == ["greenhouse", "plant", "sepal_length", "sepal_width", "petal_length",
                                  "petal_width", "species"]
    assert iris.groupby("plant")["species"].nunique().max() == 1 and iris["plant"].nunique() == 30


def test_unknown_template_is_a_usage_error(tmp_path: Path, cli) -> None:
    result = cli("create", "proj", "--template", "timeseries", cwd=tmp_path)
    assert result.code == 2 and "invalid choice" in result.err
    assert not (tmp_path / "proj").exists()


# ---------------------------------------------------------------- bad input, before training
def _data_with(preprocessors: str, **params: str) -> str:
    extra = "".join(f", {k}={v}" for k, v in params.items())
    return (f"from rerun_git import *\nBASE_DATA_MANAGER = DataManager(n_splits=2, problem_type='regression'"
            f"{extra}, preprocessors=[{preprocessors}])\n")


BAD_INPUT = [
    ({"data.py": _data_with("CategoricalEncodingPreprocessor(method='hash')")},
     "invalid CategoricalEncodingPreprocessor method 'hash'", "'label', 'ordinal', 'onehot', 'cyclic'"),
    ({"data.py": _data_with("FeatureSelectionPreprocessor(method='lasso')")},
     "invalid FeatureSelectionPreprocessor method 'lasso'", "'selectkbest', 'rfecv', 'sequential'"),
    ({"data.py": _data_with("FeatureSelectionPreprocessor(method='rfecv')")},
     "FeatureSelectionPreprocessor(method='rfecv') needs an estimator", "estimator='linear'"),
    ({"data.py": _data_with("FeatureSelectionPreprocessor(method='rfecv', estimator='svr')")},
     "FeatureSelectionPreprocessor: unknown estimator 'svr'", "known algorithms: linear, ridge"),
    ({"workflows/regression.py": """
        from rerun_git import Workflow

        class Regression(Workflow):
            def workflow(self, X_train, X_test, y_train, y_test, output_dir, feature_names):
                self.evaluate_model_cv(self.model, X_train, y_train, ["MAE", "RMSLE"], "cv")
     """}, "workflows/regression.py:5: unknown metric 'RMSLE'", "MAE (mean_absolute_error)"),
    ({"settings.py": """
        from rerun_git import Configuration

        def create_configuration():
            config = Configuration(default_workflow="regression", default_algorithms=["linear"],
                                   categorical_features={"diabetis.csv": ["sex"]})
            config.add_experiment_group(name="g", datasets=["diabetes.csv"])
            return config
     """}, "categorical_features key 'diabetis.csv' names no dataset of any experiment group",
     "datasets in the groups: diabetes.csv"),
    ({"algorithms.py": """
        from sklearn.linear_model import LinearRegression, Ridge
        from rerun_git import AlgorithmCollection, AlgorithmWrapper

        ALGORITHM_CONFIG = AlgorithmCollection(
            AlgorithmWrapper("linear", "Linear", LinearRegression),
            AlgorithmWrapper("ridge", "Ridge", Ridge, hyperparam_grid={"alpah": [0.1, 1.0]}),
        )
     """}, "algorithm 'ridge': hyperparam_grid key(s) alpah are not parameters of Ridge", "alpha"),
    ({"data.py": _data_with("", group_column="'patient'")}, "group column 'patient' not in dataset", "columns: age"),
    ({"data.py": _data_with("", stratified="True")}, "stratified splitting needs a classification problem",
     "stratified=False"),
    ({"data.py": _data_with("", stratified="True", problem_type="'classification'").replace(
        ", problem_type='regression'", "")}, "cannot stratify on target 'target': 84 of 214 classes have fewer "
     "than 2 rows (e.g. 171.0)", "set stratified=False and problem_type='regression'"),
    ({"settings.py": """
        from rerun_git import Configuration

        def create_configuration():
            config = Configuration(default_workflow="regression", default_algorithms=["linear"])
            config.add_experiment_group(name="g", datasets=["diabetes.parquet"])
            return config
     """}, "unsupported dataset type '.parquet'", ".csv.gz, .csv, .tsv"),
    ({"settings.py": """
        from rerun_git import Configuration

        def create_configuration():
            config = Configuration(default_workflow="regression", default_algorithms=["linear"])
            config.add_experiment_group(name="g", datasets=[("patients.db", "visits")])
            return config
     """}, "patients.db: no table 'visits'", "tables: patients"),
    ({"settings.py": """
        from rerun_git import Configuration, PlotSettings

        def create_configuration():
            config = Configuration(default_workflow="regression", default_algorithms=["linear"],
                                   plot_settings=PlotSettings(file_format="gif"))
            config.add_experiment_group(name="g", datasets=["diabetes.csv"])
            return config
     """}, "PlotSettings file_format 'gif' is not supported", "png"),
]


@pytest.mark.parametrize("files, message, hint", BAD_INPUT, ids=[
    "encoding-method", "selection-method", "selection-no-estimator", "selection-unknown-estimator",
    "unknown-metric", "categorical-key", "grid-key", "group-column", "stratified-regression",
    "stratified-continuous", "unknown-extension", "missing-table", "plot-format"])
def test_bad_input_fails_before_training(repo: Path, cli, files: dict[str, str], message: str, hint: str) -> None:
    project = make_project(repo, files, {"patients.db": sqlite_table}, commit=False)
    result = cli("run", "--name", "bad", cwd=project)
    assert result.code == 1, result.out
    first, *rest = result.err.strip().splitlines()
    assert first.startswith("rerun-git: error: ") and message in first, result.err
    assert rest and rest[0].startswith("hint: ") and hint in rest[0], result.err
    assert "Traceback" not in result.err
    assert git(project, "tag", "-l") == ""
    assert not (project / "results" / "bad").exists()  # nothing trained, nothing written
