"""Preprocessors applied by the DataManager, fitted on the training split only.

Every preprocessor follows scikit-learn's constructor rule: keyword arguments
are stored unchanged, ``get_params()`` returns them and ``cls(**params)``
rebuilds the object. ``export_params()`` gives ``{"type": ..., "params": ...}``
and :func:`preprocessor_from_params` reverses it.
"""
from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from sklearn import preprocessing as skp
from sklearn.impute import SimpleImputer

from rerun_git.errors import RerunError
from rerun_git.experiment._params import check_choice, to_plain

P = TypeVar("P", bound="BasePreprocessor")

PREPROCESSORS: dict[str, type[BasePreprocessor]] = {}


def register_preprocessor(cls: type[P]) -> type[P]:
    """Class decorator adding ``cls`` to :data:`PREPROCESSORS` under its class name."""
    PREPROCESSORS[cls.__name__] = cls
    return cls


class BasePreprocessor(ABC):
    """Base class of all preprocessors.

    Subclasses implement :meth:`validate`, :meth:`_fit` and :meth:`transform`.
    Those that drop rows override :meth:`transform_xy`; those that need the
    target (feature selection) use ``y`` in :meth:`_fit`.
    """

    @classmethod
    def _param_names(cls) -> list[str]:
        kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
        params = list(inspect.signature(cls.__init__).parameters.values())[1:]
        return [p.name for p in params if p.kind in kinds]

    def get_params(self) -> dict[str, Any]:
        """Return the constructor arguments as stored."""
        return {name: getattr(self, name) for name in self._param_names()}

    def export_params(self) -> dict[str, Any]:
        """Return ``{"type": ClassName, "params": {...}}`` with TOML-safe params."""
        name = type(self).__name__
        return {"type": name, "params": to_plain(self.get_params(), name)}

    def clone(self: P) -> P:
        """Return an unfitted copy built from :meth:`get_params`."""
        return type(self)(**self.get_params())

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
    unknown = sorted(set(params) - set(cls._param_names()))
    if unknown:
        raise RerunError(
            f"{cls.__name__}: unknown parameter(s) {', '.join(unknown)}",
            hint=f"allowed: {', '.join(cls._param_names())}",
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
    impute_method : {"mean", "median", "most_frequent", "constant"}
        Imputation statistic (``strategy="impute"`` only).
    constant_value : int, float or str
        Fill value for ``impute_method="constant"``.
    """

    STRATEGIES = ("drop_rows", "impute")
    IMPUTE_METHODS = ("mean", "median", "most_frequent", "constant")

    def __init__(
        self,
        strategy: str = "drop_rows",
        impute_method: str = "mean",
        constant_value: int | float | str = 0,
    ) -> None:
        self.strategy = strategy
        self.impute_method = impute_method
        self.constant_value = constant_value

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
            strategy=self.impute_method,
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
