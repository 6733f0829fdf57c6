"""Preprocessors applied by the DataManager, fitted on the training split only.

Every preprocessor follows scikit-learn's constructor rule: keyword arguments
are stored unchanged, ``get_params()`` returns them and ``cls(**params)``
rebuilds the object. ``export_params()`` gives ``{"type": ..., "params": ...}``
and :func:`preprocessor_from_params` reverses it.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from sklearn import preprocessing as skp
from sklearn.impute import SimpleImputer

from rerun_git.errors import RerunError
from rerun_git.experiment._params import Rebuildable, check_choice, dotted_name, to_plain

P = TypeVar("P", bound="BasePreprocessor")

PREPROCESSORS: dict[str, type[BasePreprocessor]] = {}


@dataclass(frozen=True)
class FitContext:
    """What the DataManager tells a preprocessor before fitting it on a training split.

    Attributes
    ----------
    problem_type : str
        ``"classification"`` or ``"regression"`` (the DataManager's).
    seed : int, optional
        The run's seed, used as ``random_state`` of estimators built for fitting.
    algorithms : AlgorithmCollection, optional
        The project's algorithms, for preprocessors that name an estimator.
    """

    problem_type: str = "regression"
    seed: int | None = None
    algorithms: Any = None


def register_preprocessor(cls: type[P]) -> type[P]:
    """Class decorator adding ``cls`` to :data:`PREPROCESSORS` under its class name."""
    PREPROCESSORS[cls.__name__] = cls
    return cls


class BasePreprocessor(Rebuildable, ABC):
    """Base class of all preprocessors.

    Subclasses implement :meth:`validate`, :meth:`_fit` and :meth:`transform`.
    Those that drop rows override :meth:`transform_xy`; those that need the
    target (feature selection) use ``y`` in :meth:`_fit`.
    """

    def export_params(self) -> dict[str, Any]:
        """Return ``{"type": ClassName, "params": {...}}`` with TOML-safe params."""
        name = type(self).__name__
        return {"type": name, "params": to_plain(self.get_params(), name)}

    @classmethod
    def from_params(cls, d: Any) -> BasePreprocessor:
        """Rebuild from :meth:`export_params` output (``{"type", "params"}``)."""
        return preprocessor_from_params(d)

    def clone(self: P) -> P:
        """Return an unfitted copy built from :meth:`get_params`."""
        return type(self)(**self.get_params())

    def bind(self: P, context: FitContext) -> P:
        """Give the preprocessor the run's :class:`FitContext`; return ``self``."""
        self.context_ = context
        return self

    @property
    def context(self) -> FitContext:
        """The bound :class:`FitContext` (defaults when none was bound)."""
        return getattr(self, "context_", None) or FitContext()

    def check_data(self, X: pd.DataFrame, categorical_features: list[str]) -> None:
        """Raise RerunError when the dataset's features cannot work with these params.

        Called before training on the whole feature frame; the default accepts anything.
        """

    def check_context(self, context: FitContext) -> None:
        """Raise RerunError when the run's context cannot work with these params.

        Called before training (e.g. an estimator name missing from the algorithms).
        """

    def categorical_out(self, categorical_features: list[str], columns: list[str]) -> list[str]:
        """Return the categorical columns of the output, given the output ``columns``."""
        return [c for c in categorical_features if c in columns]

    @abstractmethod
    def validate(self) -> None:
        """Raise RerunError when a parameter is invalid."""

    @abstractmethod
    def _fit(self, X: pd.DataFrame, y: pd.Series | None, categorical_features: list[str]) -> None:
        """Learn the state from the training data."""

    @abstractmethod
    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """Transform ``X``, keeping column names and index."""

    def fit(
        self: P,
        X: pd.DataFrame,
        y: pd.Series | None = None,
        categorical_features: list[str] | None = None,
    ) -> P:
        """Validate the parameters and fit on ``X`` (the training split).

        Parameters
        ----------
        X : DataFrame
            Training features.
        y : Series, optional
            Training target (used by feature selection).
        categorical_features : list of str, optional
            Columns that are categorical; numeric steps leave them alone.

        Returns
        -------
        self
        """
        self.validate()
        self._fit(X, y, list(categorical_features or []))
        self.fitted_ = True
        return self

    def fit_transform(
        self,
        X: pd.DataFrame,
        y: pd.Series | None = None,
        categorical_features: list[str] | None = None,
    ) -> pd.DataFrame:
        """Fit on ``X`` and return ``transform(X)``."""
        return self.fit(X, y, categorical_features).transform(X)

    def transform_xy(self, X: pd.DataFrame, y: pd.Series) -> tuple[pd.DataFrame, pd.Series]:
        """Transform features and target together; default keeps ``y`` unchanged."""
        return self.transform(X), y

    def fit_transform_xy(
        self,
        X: pd.DataFrame,
        y: pd.Series,
        categorical_features: list[str] | None = None,
    ) -> tuple[pd.DataFrame, pd.Series]:
        """Fit on ``(X, y)`` and return ``transform_xy(X, y)``."""
        return self.fit(X, y, categorical_features).transform_xy(X, y)

    def _check_fitted(self) -> None:
        if not getattr(self, "fitted_", False):
            raise RerunError(
                f"{type(self).__name__} used before fit",
                hint="call fit() on the training data first",
            )

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"


def preprocessor_from_params(d: dict[str, Any]) -> BasePreprocessor:
    """Rebuild a preprocessor from :meth:`BasePreprocessor.export_params` output.

    Parameters
    ----------
    d : dict
        ``{"type": ClassName, "params": {...}}``.

    Returns
    -------
    BasePreprocessor
    """
    if not isinstance(d, dict) or "type" not in d:
        raise RerunError(
            f"invalid preprocessor record {d!r}",
            hint='expected {"type": <class name>, "params": {...}}',
        )
    cls = PREPROCESSORS.get(d["type"])
    if cls is None:
        known = ", ".join(sorted(PREPROCESSORS))
        raise RerunError(f"unknown preprocessor type {d['type']!r}", hint=f"known types: {known}")
    params = d.get("params") or {}
    unknown = sorted(set(params) - set(cls.param_names()))
    if unknown:
        raise RerunError(
            f"{cls.__name__}: unknown parameter(s) {', '.join(unknown)}",
            hint=f"allowed: {', '.join(cls.param_names())}",
        )
    return cls(**params)


def _non_categorical(X: pd.DataFrame, categorical_features: list[str]) -> list[str]:
    cats = set(categorical_features)
    return [c for c in X.columns if c not in cats]


def _require_numeric(X: pd.DataFrame, columns: list[str], who: str) -> None:
    bad = [str(c) for c in columns if not pd.api.types.is_numeric_dtype(X[c])]
    if bad:
        raise RerunError(
            f"{who}: non-numeric column(s) {', '.join(bad)}",
            hint="list them in the configuration's categorical_features",
        )


def _replace_columns(X: pd.DataFrame, columns: list[str], values: np.ndarray) -> pd.DataFrame:
    out = X.copy()
    for i, col in enumerate(columns):
        out[col] = values[:, i]
    return out


@register_preprocessor
class MissingDataPreprocessor(BasePreprocessor):
    """Handle missing values by dropping rows or imputing.

    Parameters
    ----------
    strategy : {"drop_rows", "impute"}
        Drop every row with a missing value, or impute non-categorical columns.
    impute_method : {"mean", "median", "mode", "constant"}
        Imputation statistic (``strategy="impute"`` only); ``"most_frequent"`` is
        scikit-learn's name for ``"mode"``.
    constant_value : int, float or str
        Fill value for ``impute_method="constant"``.
    """

    STRATEGIES = ("drop_rows", "impute")
    IMPUTE_METHODS = ("mean", "median", "mode", "most_frequent", "constant")

    def __init__(
        self,
        strategy: str = "drop_rows",
        impute_method: str = "mean",
        constant_value: int | float | str = 0,
    ) -> None:
        self._keep_params(locals())

    def validate(self) -> None:
        """Check strategy, impute_method and constant_value."""
        check_choice(self.strategy, self.STRATEGIES, "MissingDataPreprocessor strategy")
        check_choice(self.impute_method, self.IMPUTE_METHODS, "MissingDataPreprocessor impute_method")
        if isinstance(self.constant_value, bool) or not isinstance(self.constant_value, (int, float, str)):
            raise RerunError(
                f"invalid MissingDataPreprocessor constant_value {self.constant_value!r}",
                hint="use an int, float or str",
            )

    def _fit(self, X: pd.DataFrame, y: pd.Series | None, categorical_features: list[str]) -> None:
        self.columns_ = _non_categorical(X, categorical_features)
        self.imputer_: SimpleImputer | None = None
        if self.strategy == "drop_rows" or not self.columns_:
            return
        if self.impute_method in ("mean", "median"):
            _require_numeric(X, self.columns_, f"MissingDataPreprocessor({self.impute_method})")
        self.imputer_ = SimpleImputer(
            strategy="most_frequent" if self.impute_method == "mode" else self.impute_method,
            fill_value=self.constant_value,
            keep_empty_features=True,
        ).fit(X[self.columns_])

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """Drop rows with missing values, or impute them."""
        self._check_fitted()
        if self.strategy == "drop_rows":
            return X.dropna()
        if self.imputer_ is None:
            return X.copy()
        return _replace_columns(X, self.columns_, self.imputer_.transform(X[self.columns_]))

    def transform_xy(self, X: pd.DataFrame, y: pd.Series) -> tuple[pd.DataFrame, pd.Series]:
        """Transform ``X``; with ``drop_rows`` drop the same rows from ``y``."""
        out = self.transform(X)
        return out, y.loc[out.index]


@register_preprocessor
class ScalingPreprocessor(BasePreprocessor):
    """Scale the non-categorical columns.

    Parameters
    ----------
    method : {"standard", "minmax", "robust", "maxabs", "normalizer"}
        The scikit-learn scaler to use.
    """

    METHODS = ("standard", "minmax", "robust", "maxabs", "normalizer")
    _SCALERS = {
        "standard": skp.StandardScaler,
        "minmax": skp.MinMaxScaler,
        "robust": skp.RobustScaler,
        "maxabs": skp.MaxAbsScaler,
        "normalizer": skp.Normalizer,
    }

    def __init__(self, method: str = "standard") -> None:
        self.method = method

    def validate(self) -> None:
        """Check the scaling method."""
        check_choice(self.method, self.METHODS, "ScalingPreprocessor method")

    def _fit(self, X: pd.DataFrame, y: pd.Series | None, categorical_features: list[str]) -> None:
        self.columns_ = _non_categorical(X, categorical_features)
        self.scaler_ = None
        if self.columns_:
            _require_numeric(X, self.columns_, "ScalingPreprocessor")
            self.scaler_ = self._SCALERS[self.method]().fit(X[self.columns_].to_numpy())

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """Scale the non-categorical columns, keeping names and index."""
        self._check_fitted()
        if self.scaler_ is None:
            return X.copy()
        return _replace_columns(X, self.columns_, self.scaler_.transform(X[self.columns_].to_numpy()))


def _is_missing(value: Any) -> bool:
    missing = pd.isna(value)
    return bool(missing) if np.ndim(missing) == 0 else False


def _splice(X: pd.DataFrame, column: str, new: dict[str, pd.Series]) -> pd.DataFrame:
    """Replace ``column`` of ``X`` by the ``new`` columns, at the same position."""
    pos = X.columns.get_loc(column)
    middle = pd.DataFrame(new, index=X.index)
    return pd.concat([X.iloc[:, :pos], middle, X.iloc[:, pos + 1:]], axis=1)


@register_preprocessor
class CategoricalEncodingPreprocessor(BasePreprocessor):
    """Encode the configuration's categorical features; other columns are left alone.

    Only the columns listed in ``Configuration(categorical_features=...)`` for
    the dataset are encoded. Categories are learnt from the training split
    (sorted: numerically for numeric columns, as text otherwise); a missing
    or unseen value becomes ``-1`` (label, ordinal), all zeros (onehot) or
    ``0, 0`` (cyclic).

    Parameters
    ----------
    method : {"label", "ordinal", "onehot", "cyclic", "threshold"} or dict
        One method for every categorical column, or ``{column: method}``
        (columns not named use ``"label"``, as in Brisk). ``label`` and
        ``ordinal`` both give the code of the sorted category (``ordinal`` as a
        float, as Brisk's ``OrdinalEncoder`` does);
        ``onehot`` replaces the column by ``<column>_<category>`` 0/1 columns;
        ``cyclic`` by ``<column>_sin`` and ``<column>_cos`` of
        ``2 pi code / n_categories`` (for months, weekdays, hours).
        ``threshold`` (Brisk) replaces a numeric column by its bin number
        ``0..len(cutoffs)``, bins closed on the right: ``(-inf, c0], (c0, c1], ...``.
    cutoffs : list or dict, optional
        A list of increasing edges: Brisk's cutoffs of every ``threshold`` column.
        Or ``{column: [edge, ...]}`` for numeric categorical columns: values are
        first binned at the increasing edges (bin ``i`` holds values with
        ``edges[i-1] <= value < edges[i]``; right-closed for ``threshold``), so
        ``len(edges) + 1`` categories.
    """

    METHODS = ("label", "ordinal", "onehot", "cyclic", "threshold")

    def __init__(self, method: str | dict[str, str] = "label",
                 cutoffs: list[float] | dict[str, list[float]] | None = None) -> None:
        self.method = method
        self.cutoffs = cutoffs

    # -- params
    def validate(self) -> None:
        """Check the method(s) and the cutoffs."""
        if isinstance(self.method, dict):
            for column, method in self.method.items():
                if not isinstance(column, str):
                    raise RerunError(f"CategoricalEncodingPreprocessor method: key {column!r} is not a column name",
                                     hint="use {'column': 'onehot', ...}")
                check_choice(method, self.METHODS, f"CategoricalEncodingPreprocessor method for {column!r}")
        else:
            check_choice(self.method, self.METHODS, "CategoricalEncodingPreprocessor method")
        methods = set(self.method.values()) if isinstance(self.method, dict) else {self.method}
        if "threshold" in methods and not self.cutoffs:
            raise RerunError("CategoricalEncodingPreprocessor(method='threshold') needs cutoffs",
                             hint="e.g. cutoffs=[30, 50, 70]")
        if self.cutoffs is None or (isinstance(self.cutoffs, (list, tuple)) and not self.cutoffs):
            return
        if not isinstance(self.cutoffs, (dict, list, tuple)):
            raise RerunError("CategoricalEncodingPreprocessor cutoffs must be a list or a dict",
                             hint="e.g. cutoffs=[30, 50, 70] or cutoffs={'age': [30, 50, 70]}")
        items = self.cutoffs.items() if isinstance(self.cutoffs, dict) else [("threshold", self.cutoffs)]
        for column, edges in items:
            ok = isinstance(column, str) and isinstance(edges, (list, tuple)) and edges and all(
                isinstance(e, (int, float)) and not isinstance(e, bool) and np.isfinite(e) for e in edges)
            if not ok or any(b <= a for a, b in zip(edges, edges[1:])):
                raise RerunError(f"invalid CategoricalEncodingPreprocessor cutoffs for {column!r}: {edges!r}",
                                 hint="give a non-empty, strictly increasing list of numbers")

    def method_for(self, column: str) -> str:
        """Return the encoding method of ``column``."""
        if isinstance(self.method, dict):
            return self.method.get(column, "label")
        return self.method

    def _edges(self, column: str) -> list[float] | None:
        """The bin edges of ``column``: its cutoffs (dict), or the shared list for ``threshold`` columns."""
        if isinstance(self.cutoffs, dict):
            return self.cutoffs.get(column)
        if self.cutoffs and self.method_for(column) == "threshold":
            return list(self.cutoffs)
        return None

    def _cutoff_columns(self) -> list[str]:
        return list(self.cutoffs) if isinstance(self.cutoffs, dict) else []

    def _named_columns(self) -> list[str]:
        named = list(self.method) if isinstance(self.method, dict) else []
        return named + [c for c in self._cutoff_columns() if c not in named]

    def check_data(self, X: pd.DataFrame, categorical_features: list[str]) -> None:
        """Every column named in ``method`` or ``cutoffs`` must be a categorical feature."""
        self.validate()
        unknown = [c for c in self._named_columns() if c not in categorical_features]
        if unknown:
            cats = ", ".join(categorical_features) or "(none: list them in Configuration(categorical_features=...))"
            raise RerunError(f"CategoricalEncodingPreprocessor names column(s) that are not categorical features "
                             f"of the dataset: {', '.join(unknown)}", hint=f"categorical features: {cats}")
        for column in X.columns:
            if self._edges(str(column)) is not None and not pd.api.types.is_numeric_dtype(X[column]):
                raise RerunError(f"CategoricalEncodingPreprocessor cutoffs: column {column!r} is not numeric",
                                 hint="cutoffs bin numeric values; drop them for text columns")

    # -- fitting
    def _values(self, series: pd.Series, column: str) -> pd.Series:
        edges = self._edges(column)
        if edges is not None:
            values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
            side = "left" if self.method_for(column) == "threshold" else "right"
            bins = np.searchsorted(np.asarray(edges, dtype=float), values, side=side).astype(float)
            return pd.Series(np.where(np.isnan(values), np.nan, bins), index=series.index)
        if pd.api.types.is_numeric_dtype(series):
            return series
        return series.map(lambda v: v if _is_missing(v) else str(v))

    def _categories(self, series: pd.Series, column: str) -> list[Any]:
        edges = self._edges(column)
        if edges is not None:
            return list(range(len(edges) + 1))
        return sorted(self._values(series, column).dropna().unique().tolist())

    def _new_names(self, column: str) -> list[str]:
        method = self.method_for(column)
        if method == "onehot":
            return [f"{column}_{c}" for c in self.categories_[column]]
        if method == "cyclic":
            return [f"{column}_sin", f"{column}_cos"]
        return [column]

    def _fit(self, X: pd.DataFrame, y: pd.Series | None, categorical_features: list[str]) -> None:
        self.columns_ = [c for c in categorical_features if c in X.columns]
        self.categories_ = {c: self._categories(X[c], c) for c in self.columns_}
        taken = [str(c) for c in X.columns]
        for column in self.columns_:
            clash = [n for n in self._new_names(column) if n != column and n in taken]
            if clash:
                raise RerunError(f"CategoricalEncodingPreprocessor: encoding {column!r} would overwrite "
                                 f"column(s) {', '.join(clash)}", hint="rename the clashing columns")
            taken += self._new_names(column)

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """Encode the fitted categorical columns, keeping the index and column order."""
        self._check_fitted()
        out = X.copy()
        for column in self.columns_:
            if column in out.columns:
                out = _splice(out, column, self._encode(out[column], column))
        return out

    def _encode(self, series: pd.Series, column: str) -> dict[str, pd.Series]:
        categories = self.categories_[column]
        codes = self._values(series, column).map({c: i for i, c in enumerate(categories)}).astype(float)
        method = self.method_for(column)
        if method in ("label", "ordinal", "threshold"):  # ordinal codes are floats, as sklearn's OrdinalEncoder's
            return {column: codes.fillna(-1).astype("float64" if method == "ordinal" else "int64")}
        if method == "onehot":
            names = self._new_names(column)
            return {name: (codes == i).astype("float64") for i, name in enumerate(names)}
        angle = 2 * np.pi * codes / max(len(categories), 1)
        return {f"{column}_sin": np.sin(angle).fillna(0.0), f"{column}_cos": np.cos(angle).fillna(0.0)}

    def categorical_out(self, categorical_features: list[str], columns: list[str]) -> list[str]:
        """Encoded columns stay categorical (so scaling leaves them alone)."""
        self._check_fitted()
        out: list[str] = []
        for column in categorical_features:
            names = self._new_names(column) if column in self.columns_ else [column]
            out += [n for n in names if n in columns]
        return out


@register_preprocessor
class FeatureSelectionPreprocessor(BasePreprocessor):
    """Keep the best features, by univariate scores or with an estimator.

    Fitted on each training split; the kept columns keep their names.

    Parameters
    ----------
    method : {"selectkbest", "rfecv", "sequential"}
        ``SelectKBest`` (f_classif / f_regression), ``RFECV`` or ``SequentialFeatureSelector``.
    n_features_to_select : int
        Features to keep (the minimum for ``rfecv``).
    feature_selection_cv : int
        Cross-validation folds of ``rfecv`` and ``sequential`` (unshuffled, so deterministic).
    estimator : estimator or str, optional
        The estimator of ``rfecv`` and ``sequential`` (cloned for every split), or
        the name of an algorithm of the project's ``AlgorithmCollection``, built with
        the run's seed.
    algorithm_config : AlgorithmCollection or list of AlgorithmWrapper, optional
        Brisk's way: take the estimator from these algorithms when ``estimator`` is None.
    feature_selection_estimator : str, optional
        The algorithm of ``algorithm_config`` (default: its first), as in Brisk.
    problem_type : {"classification", "regression"}, optional
        Picks the SelectKBest score; default: the DataManager's problem type.
    direction : {"forward", "backward"}
        Direction of ``sequential``.
    """

    METHODS = ("selectkbest", "rfecv", "sequential")
    DIRECTIONS = ("forward", "backward")

    def __init__(
        self,
        method: str = "selectkbest",
        n_features_to_select: int = 5,
        feature_selection_cv: int = 3,
        estimator: Any = None,
        algorithm_config: Any = None,
        feature_selection_estimator: str | None = None,
        problem_type: str | None = None,
        direction: str = "forward",
    ) -> None:
        self._keep_params(locals())

    def validate(self) -> None:
        """Check every parameter's type and choice."""
        check_choice(self.method, self.METHODS, "FeatureSelectionPreprocessor method")
        check_choice(self.direction, self.DIRECTIONS, "FeatureSelectionPreprocessor direction")
        for name, low in (("n_features_to_select", 1), ("feature_selection_cv", 2)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise RerunError(f"invalid FeatureSelectionPreprocessor {name} {value!r}",
                                 hint=f"use an integer >= {low}")
        if self.estimator is not None and not isinstance(self.estimator, str) and not hasattr(self.estimator, "fit"):
            raise RerunError(f"invalid FeatureSelectionPreprocessor estimator {self.estimator!r}",
                             hint="give an estimator, or the name of an algorithm in algorithms.py, e.g. 'ridge'")
        if self.problem_type is not None:
            check_choice(self.problem_type, ("classification", "regression"),
                         "FeatureSelectionPreprocessor problem_type")

    def check_context(self, context: FitContext) -> None:
        """``rfecv`` and ``sequential`` need an estimator named in the algorithm collection."""
        self.validate()
        if self.method == "selectkbest" or (self.estimator is not None and not isinstance(self.estimator, str)):
            return
        if self.estimator is None and self.algorithm_config is not None:
            self._brisk_wrapper()
            return
        names = list(context.algorithms.names()) if context.algorithms is not None else []
        if self.estimator is None:
            example = names[0] if names else "ridge"
            raise RerunError(f"FeatureSelectionPreprocessor(method={self.method!r}) needs an estimator",
                             hint=f"name one of your algorithms, e.g. estimator={example!r}")
        if context.algorithms is None:
            raise RerunError(f"FeatureSelectionPreprocessor: no algorithm collection to find {self.estimator!r} in",
                             hint="run it through the DataManager of a project (algorithms.py)")
        if self.estimator not in context.algorithms:
            raise RerunError(f"FeatureSelectionPreprocessor: unknown estimator {self.estimator!r}",
                             hint=f"known algorithms: {', '.join(names)}")

    def _selector(self) -> Any:
        from sklearn import feature_selection as fs

        n = self.n_features_to_select
        if self.method == "selectkbest":
            problem = self.problem_type or self.context.problem_type
            return fs.SelectKBest(fs.f_classif if problem == "classification" else fs.f_regression, k=n)
        self.check_context(self.context)
        model = self._estimator()
        if self.method == "rfecv":
            return fs.RFECV(model, min_features_to_select=n, step=1, cv=self.feature_selection_cv)
        return fs.SequentialFeatureSelector(model, n_features_to_select=n, direction=self.direction,
                                            cv=self.feature_selection_cv)

    def export_params(self) -> dict[str, Any]:
        """TOML-safe params: an estimator object as ``{"class", "params"}``, algorithm_config as wrappers."""
        params = self.get_params()
        if params["estimator"] is not None and not isinstance(params["estimator"], str):
            params["estimator"] = {"class": dotted_name(type(params["estimator"])),
                                   "params": params["estimator"].get_params(deep=False)}
        if params["algorithm_config"] is not None:
            params["algorithm_config"] = [w.export_params() for w in params["algorithm_config"]]
        return {"type": type(self).__name__, "params": to_plain(params, type(self).__name__)}

    def _brisk_wrapper(self) -> Any:
        """The algorithm of ``algorithm_config`` named ``feature_selection_estimator`` (else its first)."""
        wrappers = list(self.algorithm_config)
        if not wrappers:
            raise RerunError("FeatureSelectionPreprocessor: algorithm_config is empty", hint="give algorithms")
        for wrapper in wrappers:
            if wrapper.name == self.feature_selection_estimator:
                return wrapper
        if self.feature_selection_estimator is not None:
            raise RerunError(f"FeatureSelectionPreprocessor: unknown feature_selection_estimator "
                             f"{self.feature_selection_estimator!r}",
                             hint=f"algorithms: {', '.join(w.name for w in wrappers)}")
        return wrappers[0]

    def _estimator(self) -> Any:
        from sklearn.base import clone

        if self.estimator is not None and not isinstance(self.estimator, str):
            return clone(self.estimator)
        if self.estimator is None:
            return self._brisk_wrapper().instantiate(self.context.seed)
        return self.context.algorithms[self.estimator].instantiate(self.context.seed)

    def _fit(self, X: pd.DataFrame, y: pd.Series | None, categorical_features: list[str]) -> None:
        who = f"FeatureSelectionPreprocessor({self.method})"
        if y is None:
            raise RerunError(f"{who} needs the target", hint="fit it with fit(X, y)")
        bad = [str(c) for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
        if bad:
            raise RerunError(f"{who}: non-numeric column(s) {', '.join(bad)}",
                             hint="put a CategoricalEncodingPreprocessor before it in the preprocessors")
        if X.isna().any().any():
            raise RerunError(f"{who}: the features have missing values",
                             hint="put a MissingDataPreprocessor before it in the preprocessors")
        if self.n_features_to_select > X.shape[1] or (self.method == "sequential"
                                                      and self.n_features_to_select >= X.shape[1]):
            raise RerunError(f"{who}: n_features_to_select={self.n_features_to_select} but the data has "
                             f"{X.shape[1]} features", hint="select fewer features")
        selector = self._selector()
        try:
            selector.fit(X, y)
        except ValueError as exc:
            raise RerunError(f"{who}: {exc}", hint="check the selection parameters and the data") from exc
        self.selected_ = [c for c, keep in zip(X.columns, selector.get_support()) if keep]

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """Keep the selected columns (names and index unchanged)."""
        self._check_fitted()
        return X[self.selected_].copy()
