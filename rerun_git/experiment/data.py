"""Loading datasets and splitting them: ``DataManager`` and ``DataSplit``."""
from __future__ import annotations

import csv
import gzip
import hashlib
import importlib.util
import io
import re
import sqlite3
import zlib
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn import model_selection as ms
from sklearn.utils.multiclass import type_of_target

from rerun_git.errors import RerunError
from rerun_git.experiment._params import Rebuildable, check_choice
from rerun_git.experiment.preprocessing import BasePreprocessor, FitContext, preprocessor_from_params

#: Brisk applies the built-in preprocessors in this fixed order, whatever the list order.
BRISK_ORDER = ("MissingDataPreprocessor", "CategoricalEncodingPreprocessor", "ScalingPreprocessor",
               "FeatureSelectionPreprocessor")
SPLIT_METHODS = ("shuffle", "kfold")
PROBLEM_TYPES = ("classification", "regression")
SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")
SUFFIXES = (".csv.gz", ".csv", ".tsv", ".json", ".xlsx") + SQLITE_SUFFIXES
_HEADER_BYTES = 1 << 16


# ---------------------------------------------------------------- datasets
def _suffix(path: Path) -> str:
    name = path.name.lower()
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            return suffix
    return path.suffix.lower()


def dataset_label(file: str, table: str | None = None) -> str:
    """Return a path-safe label: the file stem, or ``<stem>_<table>``."""
    name = Path(file).name
    suffix = _suffix(Path(name))
    stem = name[: -len(suffix)] if suffix and name.lower().endswith(suffix) else Path(name).stem
    label = stem if table is None else f"{stem}_{table}"
    label = re.sub(r"[^A-Za-z0-9_.\-]", "_", label).lstrip(".")
    return label or "dataset"


def load_dataset(path: Path, table_name: str | None = None) -> pd.DataFrame:
    """Read a dataset file into a DataFrame.

    Parameters
    ----------
    path : Path
        A .csv, .csv.gz, .tsv, .json, .xlsx or SQLite (.db/.sqlite/.sqlite3) file.
    table_name : str, optional
        The SQLite table (required for SQLite) or Excel sheet.

    Returns
    -------
    DataFrame
    """
    path = Path(path)
    suffix = _checked_suffix(path, table_name)
    try:
        frame = _read(path, suffix, table_name)
    except RerunError:
        raise
    except (ValueError, OSError, sqlite3.Error, UnicodeDecodeError) as exc:
        raise RerunError(f"cannot read dataset {path.name}: {exc}", hint="check the file's format") from exc
    _refuse_infinite(frame, path.name)
    return frame


def _refuse_infinite(frame: pd.DataFrame, name: str) -> None:
    """An infinite value (``inf``, ``-inf``) in a numeric column is a :class:`RerunError`; NaN stays a missing value."""
    numeric = frame.select_dtypes(include="number")
    if numeric.empty:
        return
    infinite = np.isinf(numeric.to_numpy(dtype=float, na_value=np.nan))
    if infinite.any():
        row, column = (int(i) for i in np.argwhere(infinite)[0])
        raise RerunError(
            f"dataset {name}: column {numeric.columns[column]!r} holds an infinite value (row {row + 1})",
            hint="models cannot train on inf; replace it (or leave the cell empty for a missing value)",
        )


def dataset_columns(path: Path, table_name: str | None = None) -> list[str] | None:
    """Return a dataset's column names from its header alone (no rows are loaded).

    Raises what :func:`load_dataset` raises for a missing, unsupported or
    unreadable file. Returns ``None`` for .json and .xlsx files, whose columns
    are not cheaply known (their first bytes are read, to check they can be).
    """
    path = Path(path)
    suffix = _checked_suffix(path, table_name)
    try:
        return _read_columns(path, suffix, table_name)
    except RerunError:
        raise
    except (ValueError, OSError, EOFError, zlib.error, sqlite3.Error, csv.Error) as exc:
        raise RerunError(f"cannot read dataset {path.name}: {exc}", hint="check the file's format") from exc


def _checked_suffix(path: Path, table_name: str | None) -> str:
    """The dataset's suffix, once the file is known to exist and be of a supported type."""
    suffix = _suffix(path)
    if suffix not in SUFFIXES:
        raise RerunError(
            f"unsupported dataset type {suffix or path.name!r}: {path.name}",
            hint=f"use one of {', '.join(SUFFIXES)}",
        )
    if not path.is_file():
        raise RerunError(f"dataset not found: {path}", hint="put datasets under the project's datasets/ folder")
    if table_name is not None and suffix not in SQLITE_SUFFIXES + (".xlsx",):
        raise RerunError(f"{path.name}: a table name only applies to SQLite or Excel files",
                         hint="give the dataset as a plain file name")
    return suffix


def _read(path: Path, suffix: str, table_name: str | None) -> pd.DataFrame:
    if suffix in (".csv", ".csv.gz"):
        return pd.read_csv(path)
    if suffix == ".tsv":
        return pd.read_csv(path, sep="\t")
    if suffix == ".json":
        return pd.read_json(path)
    if suffix == ".xlsx":
        return _read_excel(path, table_name)
    return _read_sqlite(path, table_name)


def _read_excel(path: Path, sheet: str | None) -> pd.DataFrame:
    if importlib.util.find_spec("openpyxl") is None:
        raise RerunError(f"{path.name}: reading .xlsx needs openpyxl", hint="pip install openpyxl")
    return pd.read_excel(path, sheet_name=0 if sheet is None else sheet)


def _read_sqlite(path: Path, table: str | None) -> pd.DataFrame:
    with closing(_connect_sqlite(path)) as conn:
        return pd.read_sql_query(f"SELECT * FROM {_sqlite_table(conn, path, table)}", conn)


def _connect_sqlite(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def _sqlite_table(conn: sqlite3.Connection, path: Path, table: str | None) -> str:
    """The quoted name of the SQLite dataset's table, once it is known to exist."""
    if not table:
        raise RerunError(f"{path.name}: a SQLite dataset needs a table name",
                         hint=f'give the dataset as ("{path.name}", "<table>")')
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table','view')")]
    if table not in tables:
        raise RerunError(f"{path.name}: no table {table!r}",
                         hint=f"tables: {', '.join(sorted(tables)) or '(none)'}")
    return '"' + table.replace('"', '""') + '"'


def _read_columns(path: Path, suffix: str, table: str | None) -> list[str] | None:
    if suffix in SQLITE_SUFFIXES:
        with closing(_connect_sqlite(path)) as conn:
            return [row[1] for row in conn.execute(f"PRAGMA table_info({_sqlite_table(conn, path, table)})")]
    opener = gzip.open if suffix == ".csv.gz" else open
    with opener(path, "rb") as handle:
        head = handle.read(_HEADER_BYTES)
    if suffix not in (".csv", ".csv.gz", ".tsv"):
        return None
    first = head.splitlines()[:1]
    if not first:
        raise RerunError(f"cannot read dataset {path.name}: the file is empty",
                         hint="a dataset needs a header line and rows")
    header = first[0].decode("utf-8-sig")
    return next(csv.reader(io.StringIO(header), delimiter="\t" if suffix == ".tsv" else ","))


# ---------------------------------------------------------------- splits
@dataclass
class DataSplit:
    """One train/test split after preprocessing (fitted on the training part only)."""

    index: int
    X_train: pd.DataFrame
    X_test: pd.DataFrame
    y_train: pd.Series
    y_test: pd.Series
    feature_names: list[str]
    train_index: list[int]
    test_index: list[int]
    groups_train: Any = None
    groups_test: Any = None
    #: The configured categorical features after preprocessing (encoded names included).
    categorical_features: list[str] = field(default_factory=list)

    def fingerprint(self) -> dict[str, Any]:
        """Sizes and sha256 of the train/test row indices: proof of which rows were used."""
        return {
            "train_size": len(self.train_index),
            "test_size": len(self.test_index),
            "train_sha256": index_sha256(self.train_index),
            "test_sha256": index_sha256(self.test_index),
        }


def index_sha256(indices: list[int]) -> str:
    """sha256 of row indices written as decimal text joined by ``","`` (e.g. ``"0,4,7"``)."""
    return hashlib.sha256(",".join(str(int(i)) for i in indices).encode("ascii")).hexdigest()


class DataManager(Rebuildable):
    """Split a dataset into train/test sets and preprocess them.

    Parameters
    ----------
    test_size : float
        Test fraction for ``split_method="shuffle"`` (ignored by kfold).
    n_splits : int
        Number of splits (all of them are run).
    split_method : {"shuffle", "kfold"}
        Repeated shuffle splits or k-fold cross-validation.
    group_column : str, optional
        Column holding groups; removed from the features.
    stratified : bool
        Keep class proportions (classification only).
    random_state : int, optional
        Splitter seed; when None the run's seed is used.
    problem_type : {"classification", "regression"}
        The kind of target.
    algorithm_config : AlgorithmCollection, optional
        Brisk's parameter: the algorithms preprocessors may take estimators from
        (the project's ALGORITHM_CONFIG when None).
    preprocessors : list of BasePreprocessor, optional
        Fitted on each training split and applied in Brisk's order: missing
        data, categorical encoding, scaling, feature selection, then any other
        preprocessor in list order.

    Splitters shuffle exactly when Brisk's do: shuffle splits always (seeded by
    ``random_state``, or the run's seed when None); ``KFold`` and
    ``StratifiedKFold`` only when ``random_state`` is set (truthy); the group
    k-folds never.
    """

    def __init__(
        self,
        test_size: float = 0.2,
        n_splits: int = 5,
        split_method: str = "shuffle",
        group_column: str | None = None,
        stratified: bool = False,
        random_state: int | None = None,
        problem_type: str = "classification",
        algorithm_config: Any = None,
        preprocessors: list[BasePreprocessor] | None = None,
    ) -> None:
        self._keep_params(locals())

    # -- params
    def export_params(self) -> dict[str, Any]:
        """TOML-safe params; preprocessors as ``export_params()`` dicts (checked to be preprocessors)."""
        self._preprocessor_list()
        return super().export_params()

    @classmethod
    def _rebuilt(cls, params: dict[str, Any]) -> dict[str, Any]:
        """Preprocessors from dicts (or objects), ``algorithm_config`` from its wrappers' params."""
        if params.get("preprocessors") is not None:
            if not isinstance(params["preprocessors"], (list, tuple)):
                raise RerunError("DataManager parameter 'preprocessors' should be a list",
                                 hint="the run's record was edited or damaged")
            params["preprocessors"] = [
                p if isinstance(p, BasePreprocessor) else preprocessor_from_params(p)
                for p in params["preprocessors"]
            ]
        if isinstance(params.get("algorithm_config"), list):
            from rerun_git.experiment.algorithms import AlgorithmCollection

            params["algorithm_config"] = AlgorithmCollection.from_params(params["algorithm_config"])
        return params

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"DataManager({args})"

    # -- validation
    def validate(self) -> None:
        """Raise RerunError when a parameter or preprocessor is invalid."""
        check_choice(self.split_method, SPLIT_METHODS, "DataManager split_method")
        check_choice(self.problem_type, PROBLEM_TYPES, "DataManager problem_type")
        self._validate_numbers()
        if not isinstance(self.stratified, bool):
            raise RerunError(f"invalid DataManager stratified {self.stratified!r}", hint="use True or False")
        if self.group_column is not None and not isinstance(self.group_column, str):
            raise RerunError(f"invalid DataManager group_column {self.group_column!r}",
                             hint="give a column name or None")
        if self.stratified and self.problem_type == "regression":
            raise RerunError("stratified splitting needs a classification problem",
                             hint='set stratified=False or problem_type="classification"')
        if self.stratified and self.group_column and self.split_method == "shuffle":
            raise RerunError("stratified group splitting is not available with split_method='shuffle'",
                             hint='use split_method="kfold" (StratifiedGroupKFold)')
        for p in self._preprocessor_list():
            p.validate()

    def _validate_numbers(self) -> None:
        n = self.n_splits
        min_splits = 2 if self.split_method == "kfold" else 1
        if isinstance(n, bool) or not isinstance(n, int) or n < min_splits:
            raise RerunError(f"invalid DataManager n_splits {n!r}",
                             hint=f"use an integer >= {min_splits} for split_method={self.split_method!r}")
        t = self.test_size
        if isinstance(t, bool) or not isinstance(t, (int, float)) or (
            isinstance(t, float) and not 0 < t < 1) or (isinstance(t, int) and t < 1):
            raise RerunError(f"invalid DataManager test_size {t!r}",
                             hint="use a fraction between 0 and 1 (or a row count >= 1)")
        rs = self.random_state
        if rs is not None and (isinstance(rs, bool) or not isinstance(rs, int) or rs < 0):
            raise RerunError(f"invalid DataManager random_state {rs!r}", hint="use a non-negative int or None")

    def _preprocessor_list(self) -> list[BasePreprocessor]:
        pre = self.preprocessors
        if pre is None:
            return []
        if not isinstance(pre, (list, tuple)) or not all(isinstance(p, BasePreprocessor) for p in pre):
            raise RerunError("DataManager preprocessors must be a list of preprocessors",
                             hint="e.g. preprocessors=[ScalingPreprocessor(method='standard')]")
        return sorted(pre, key=_brisk_rank)

    # -- splitting
    def check_dataset(self, df: pd.DataFrame, categorical_features: list[str] | None = None) -> None:
        """Raise RerunError when ``df`` cannot be split with these params."""
        if df.shape[1] < 2 or df.shape[0] < 2:
            raise RerunError(f"dataset too small ({df.shape[0]} rows, {df.shape[1]} columns)",
                             hint="need at least one feature column and the target as the last column")
        features = self.check_columns(list(df.columns), categorical_features)
        if self.stratified:
            self._check_stratifiable(df[df.columns[-1]])
        for p in self._preprocessor_list():
            p.check_data(df[features], list(categorical_features or []))

    def check_columns(self, columns: list[Any], categorical_features: list[str] | None = None) -> list[Any]:
        """Raise RerunError when a dataset with ``columns`` (the target last) cannot be used; return its features.

        What :meth:`check_dataset` checks from the header alone: the group column
        and the categorical features are feature columns.
        """
        if len(columns) < 2:
            raise RerunError(f"dataset too small ({len(columns)} column{'s' if len(columns) != 1 else ''})",
                             hint="need at least one feature column and the target as the last column")
        target = columns[-1]
        if self.group_column is not None:
            if self.group_column not in columns:
                raise RerunError(f"group column {self.group_column!r} not in dataset",
                                 hint=f"columns: {', '.join(map(str, columns))}")
            if self.group_column == target:
                raise RerunError(f"group column {self.group_column!r} is the target (last column)",
                                 hint="the last column is the target; choose another group column")
        features = [c for c in columns[:-1] if c != self.group_column]
        missing = [c for c in categorical_features or [] if c not in features]
        if missing:
            raise RerunError(f"categorical feature(s) not in dataset: {', '.join(map(str, missing))}",
                             hint=f"feature columns: {', '.join(map(str, features))}")
        return features

    def _check_stratifiable(self, y: pd.Series) -> None:
        """A stratified split needs class labels, each with enough rows (ungrouped splitters)."""
        if type_of_target(y.dropna()) in ("continuous", "continuous-multioutput"):
            raise RerunError(f"cannot stratify on continuous target {y.name!r}",
                             hint="set stratified=False for regression targets")
        if self.group_column is not None:
            return
        need = self.n_splits if self.split_method == "kfold" else 2
        counts = y.value_counts()
        rare = counts[counts < need]
        if len(rare):
            raise RerunError(
                f"cannot stratify on target {y.name!r}: {len(rare)} of {len(counts)} classes have fewer than "
                f"{need} rows (e.g. {rare.index[0]})",
                hint="a regression target? set stratified=False and problem_type='regression'; "
                     "otherwise merge rare classes or lower n_splits")

    def feature_columns(self, df: pd.DataFrame) -> list[str]:
        """The dataset's raw feature columns: all but the target (last) and the group column."""
        return [str(c) for c in df.columns[:-1] if c != self.group_column]

    def fit_context(self, algorithms: Any = None, seed: int | None = None) -> FitContext:
        """The :class:`FitContext` preprocessors are bound to before fitting."""
        return FitContext(problem_type=self.problem_type, seed=self.random_state if seed is None else seed,
                          algorithms=self.algorithm_config if self.algorithm_config is not None else algorithms)

    def check_context(self, algorithms: Any = None, seed: int | None = None) -> None:
        """Raise RerunError when a preprocessor cannot work with the project's algorithms."""
        context = self.fit_context(algorithms, seed)
        for p in self._preprocessor_list():
            p.check_context(context)

    def _splitter(self, random_state: int | None) -> Any:
        grouped, strat = self.group_column is not None, self.stratified
        if self.split_method == "shuffle":
            cls = ms.GroupShuffleSplit if grouped else ms.StratifiedShuffleSplit if strat else ms.ShuffleSplit
            return cls(n_splits=self.n_splits, test_size=self.test_size, random_state=random_state)
        if grouped:
            cls = ms.StratifiedGroupKFold if strat else ms.GroupKFold
        else:
            cls = ms.StratifiedKFold if strat else ms.KFold
        if grouped or not self.random_state:  # Brisk: unshuffled unless random_state is set (and not 0)
            return cls(n_splits=self.n_splits)
        return cls(n_splits=self.n_splits, shuffle=True, random_state=self.random_state)

    def split(
        self,
        df: pd.DataFrame,
        categorical_features: list[str] | None = None,
        seed: int | None = None,
        algorithms: Any = None,
    ) -> list[DataSplit]:
        """Run all ``n_splits`` splits; the last column is the target.

        Parameters
        ----------
        df : DataFrame
            The dataset.
        categorical_features : list of str, optional
            Categorical feature columns (encoded by CategoricalEncodingPreprocessor,
            left alone by scaling and imputing).
        seed : int, optional
            Used as the splitter's random_state when ``self.random_state`` is None,
            and as the random_state of estimators built by preprocessors.
        algorithms : AlgorithmCollection, optional
            The project's algorithms (feature selection takes its estimator from them).

        Returns
        -------
        list of DataSplit
        """
        self.validate()
        self.check_dataset(df, categorical_features)
        self.check_context(algorithms, seed)
        context = self.fit_context(algorithms, seed)
        df = df.reset_index(drop=True)
        target = df.columns[-1]
        drop = [target] + ([self.group_column] if self.group_column is not None else [])
        X, y = df.drop(columns=drop), df[target]
        groups = df[self.group_column] if self.group_column is not None else None
        rs = self.random_state if self.random_state is not None else seed
        try:
            indices = list(self._splitter(rs).split(X, y, groups))
        except ValueError as exc:
            detail = str(exc) if len(str(exc)) <= 200 else str(exc)[:197] + "..."
            raise RerunError(f"cannot split dataset: {detail}", hint="check n_splits, test_size and the target") from exc
        cats = list(categorical_features or [])
        return [self._make_split(i, X, y, tr, te, cats, context, groups) for i, (tr, te) in enumerate(indices)]

    def _make_split(self, i: int, X: pd.DataFrame, y: pd.Series, train: Any, test: Any,
                    cats: list[str], context: FitContext | None = None, groups: Any = None) -> DataSplit:
        X_train, X_test = X.iloc[train], X.iloc[test]
        y_train, y_test = y.iloc[train], y.iloc[test]
        for proto in self._preprocessor_list():
            step = proto.clone().bind(context or self.fit_context())
            X_train, y_train = step.fit_transform_xy(X_train, y_train, cats)
            X_test, y_test = step.transform_xy(X_test, y_test)
            cats = step.categorical_out(cats, list(X_train.columns))
        return DataSplit(
            index=i, X_train=X_train, X_test=X_test, y_train=y_train, y_test=y_test,
            feature_names=[str(c) for c in X_train.columns],
            train_index=[int(k) for k in X_train.index], test_index=[int(k) for k in X_test.index],
            groups_train=None if groups is None else groups.loc[X_train.index].to_numpy(),
            groups_test=None if groups is None else groups.loc[X_test.index].to_numpy(),
            categorical_features=list(cats),
        )


#: The DataManager's parameters (``data_config`` keys), read from its signature.
DATA_MANAGER_PARAMS = tuple(DataManager.param_names())


def _brisk_rank(preprocessor: BasePreprocessor) -> int:
    """Position of a preprocessor in Brisk's fixed order (others after the four built-ins)."""
    for rank, name in enumerate(BRISK_ORDER):
        if any(cls.__name__ == name for cls in type(preprocessor).__mro__):
            return rank
    return len(BRISK_ORDER)
