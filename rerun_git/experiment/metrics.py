"""Metrics: ``MetricWrapper``, ``MetricManager`` and Brisk's default metric lists."""
from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn import metrics as skm

from rerun_git.errors import RerunError
from rerun_git.experiment._params import NamedCollection, Rebuildable, resolve_dotted


class MetricWrapper(Rebuildable):
    """A metric function ``func(y_true, y_pred, **default_params)`` with its names.

    Parameters
    ----------
    name : str
        Unique metric name.
    func : callable or str
        The metric function, or its ``"module.qualname"`` (resolved at use).
    display_name : str
        Human-readable name (the key in result JSON files).
    greater_is_better : bool
        Whether larger values are better.
    abbr : str, optional
        Short name used in the metric table; defaults to ``name`` (see :attr:`key`).
    **default_params
        Extra keyword arguments passed to ``func``.
    """

    def __init__(
        self,
        name: str,
        func: Callable[..., Any] | str,
        display_name: str,
        greater_is_better: bool = True,
        abbr: str | None = None,
        **default_params: Any,
    ) -> None:
        self._keep_params(locals())
        self.abbr = abbr if abbr else name
        self.default_params = default_params

    @property
    def key(self) -> str:
        """The metric-table key: ``abbr``, or ``name`` when abbr is None."""
        return self.abbr if self.abbr else self.name

    def resolve_func(self) -> Callable[..., Any]:
        """Return the callable, importing it when ``func`` is a dotted name."""
        func = self.func
        if isinstance(func, str):
            func = resolve_dotted(func, f"metric function of {self.name!r}")
        if not callable(func):
            raise RerunError(f"metric {self.name!r}: func is not callable", hint="pass a function")
        return func

    def compute(self, y_true: Any, y_pred: Any, split_metadata: dict[str, Any] | None = None) -> Any:
        """Return ``func(y_true, y_pred, **default_params)``: a float, or lists for array results.

        ``split_metadata`` (``{"num_features", "num_samples"}``) is passed to a
        function that takes it, as Brisk does (e.g. ``adjusted_r2_score``).
        """
        func = self.resolve_func()
        kwargs = dict(self.default_params)
        if _takes_split_metadata(func):
            kwargs["split_metadata"] = dict(split_metadata or {})
        return _plain_result(self.name, func(y_true, y_pred, **kwargs))

    __call__ = compute

    def get_scorer(self) -> Any:
        """Return a scikit-learn scorer (``make_scorer``) for tuning."""
        return skm.make_scorer(self.resolve_func(), greater_is_better=self.greater_is_better,
                               **self.default_params)

    def __repr__(self) -> str:
        return f"MetricWrapper(name={self.name!r}, abbr={self.key!r})"


def _takes_split_metadata(func: Callable[..., Any]) -> bool:
    try:
        return "split_metadata" in inspect.signature(func).parameters
    except (TypeError, ValueError):
        return False


def _plain_result(name: str, value: Any) -> Any:
    """A float for a scalar result; nested lists of floats for array results (``roc``)."""
    if isinstance(value, tuple):
        return [_plain_result(name, v) for v in value]
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise RerunError(f"metric {name!r} returned {type(value).__name__}, not a number",
                         hint="metric functions must return a number (or arrays of numbers)")
    return float(array.item()) if array.ndim == 0 else array.astype(float).tolist()


class MetricManager(NamedCollection[MetricWrapper]):
    """Look up metrics by name, display name or abbreviation.

    Parameters
    ----------
    *wrappers : MetricWrapper
        The metrics; names and abbreviations must be unique.
    """

    item_type = MetricWrapper
    item_label = "metric"
    wrap_hint = "wrap each metric in MetricWrapper(...)"
    unique_hint = "give every metric a unique name and abbr"

    @staticmethod
    def _labels(item: Any) -> set[str]:
        return {item.name, item.key}

    def get_metric(self, name: str) -> MetricWrapper:
        """Return the metric whose name, abbr or display_name is ``name`` (case-sensitive)."""
        for attr in ("name", "key", "display_name"):
            for w in self.wrappers:
                if getattr(w, attr) == name:
                    return w
        known = ", ".join(w.name if w.key == w.name else f"{w.key} ({w.name})" for w in self.wrappers)
        raise RerunError(f"unknown metric {name!r}", hint=f"known metrics: {known}")

    def has(self, name: str) -> bool:
        """Whether a metric is known by this name, abbreviation or display name."""
        return any(name in (w.name, w.key, w.display_name) for w in self.wrappers)

    def get_name(self, name: str) -> str:
        """Return the display name of a metric."""
        return self.get_metric(name).display_name


def concordance_correlation_coefficient(y_true: Any, y_pred: Any) -> float:
    """Lin's concordance correlation coefficient (population variances), as Brisk defines CCC."""
    from scipy import stats

    truth, pred = np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)
    corr = stats.pearsonr(truth, pred)[0]
    spread = np.var(truth) + np.var(pred) + (np.mean(truth) - np.mean(pred)) ** 2
    return float(2 * corr * np.std(truth) * np.std(pred) / spread)


def adjusted_r2_score(y_true: Any, y_pred: Any, split_metadata: dict[str, Any]) -> float:
    """R² adjusted for the split's number of features (``split_metadata["num_features"]``)."""
    n, p = len(y_true), split_metadata["num_features"]
    return float(1 - (1 - skm.r2_score(y_true, y_pred)) * (n - 1) / (n - p - 1))


def _m(name: str, func: Callable[..., Any], display: str, greater: bool, abbr: str | None = None) -> MetricWrapper:
    return MetricWrapper(name, func, display, greater, abbr)


#: Brisk 1.2's 14 regression metrics: names, abbreviations, display names and functions.
#: One documented fix: root_mean_squared_log_error is the root (Brisk computes the MSLE).
REGRESSION_METRICS: list[MetricWrapper] = [
    _m("explained_variance_score", skm.explained_variance_score, "Explained Variance Score", True),
    _m("max_error", skm.max_error, "Max Error", False),
    _m("mean_absolute_error", skm.mean_absolute_error, "Mean Absolute Error", False, "MAE"),
    _m("mean_absolute_percentage_error", skm.mean_absolute_percentage_error, "Mean Absolute Percentage Error",
       False, "MAPE"),
    _m("mean_pinball_loss", skm.mean_pinball_loss, "Mean Pinball Loss", False),
    _m("mean_squared_error", skm.mean_squared_error, "Mean Squared Error", False, "MSE"),
    _m("mean_squared_log_error", skm.mean_squared_log_error, "Mean Squared Log Error", False),
    _m("median_absolute_error", skm.median_absolute_error, "Median Absolute Error", False),
    _m("r2_score", skm.r2_score, "R2 Score", True, "R2"),
    _m("root_mean_squared_error", skm.root_mean_squared_error, "Root Mean Squared Error", False, "RMSE"),
    _m("root_mean_squared_log_error", skm.root_mean_squared_log_error, "Root Mean Squared Log Error", False),
    _m("concordance_correlation_coefficient", concordance_correlation_coefficient,
       "Concordance Correlation Coefficient", True, "CCC"),
    _m("neg_mean_absolute_error", skm.mean_absolute_error, "Negative Mean Absolute Error", False, "NegMAE"),
    _m("adjusted_r2_score", adjusted_r2_score, "Adjusted R2 Score", True, "AdjR2"),
]

#: Brisk 1.2's 10 classification metrics: scikit-learn's defaults (binary averaging),
#: scored on ``model.predict`` as Brisk does (``roc`` returns the curve's arrays).
CLASSIFICATION_METRICS: list[MetricWrapper] = [
    _m("accuracy", skm.accuracy_score, "Accuracy", True),
    _m("precision", skm.precision_score, "Precision", True),
    _m("recall", skm.recall_score, "Recall", True),
    _m("f1_score", skm.f1_score, "F1 Score", True, "f1"),
    _m("balanced_accuracy", skm.balanced_accuracy_score, "Balanced Accuracy", True, "bal_acc"),
    _m("top_k_accuracy", skm.top_k_accuracy_score, "Top-k Accuracy Score", True, "top_k"),
    _m("log_loss", skm.log_loss, "Log Loss", False),
    _m("roc_auc", skm.roc_auc_score, "Area Under the Receiver Operating Characteristic Curve", True),
    _m("brier", skm.brier_score_loss, "Brier Score Loss", False),
    _m("roc", skm.roc_curve, "Receiver Operating Characteristic", True),
]
