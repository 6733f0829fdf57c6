"""Metrics: ``MetricWrapper``, ``MetricManager`` and Brisk's default metric lists."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
from sklearn import metrics as skm

from rerun_git.errors import RerunError
from rerun_git.experiment._params import dotted_name, resolve_dotted, to_plain

METRIC_PARAMS = ("name", "func", "display_name", "greater_is_better", "abbr")


class MetricWrapper:
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
        self.name = name
        self.func = func
        self.display_name = display_name
        self.greater_is_better = greater_is_better
        self.abbr = abbr
        self.default_params = default_params

    @property
    def key(self) -> str:
        """The metric-table key: ``abbr``, or ``name`` when abbr is None."""
        return self.abbr if self.abbr else self.name

    def get_params(self) -> dict[str, Any]:
        """Return the constructor arguments; ``func`` as ``"module.qualname"``."""
        func = self.func if isinstance(self.func, str) else dotted_name(self.func)
        params = {k: getattr(self, k) for k in METRIC_PARAMS}
        return {**params, "func": func, **self.default_params}

    def export_params(self) -> dict[str, Any]:
        """Return TOML-safe :meth:`get_params`."""
        return to_plain(self.get_params(), f"metric {self.name}")

    @classmethod
    def from_params(cls, d: dict[str, Any]) -> MetricWrapper:
        """Rebuild from :meth:`export_params` output."""
        return cls(**d)

    def resolve_func(self) -> Callable[..., Any]:
        """Return the callable, importing it when ``func`` is a dotted name."""
        func = self.func
        if isinstance(func, str):
            func = resolve_dotted(func, f"metric function of {self.name!r}")
        if not callable(func):
            raise RerunError(f"metric {self.name!r}: func is not callable", hint="pass a function")
        return func

    def compute(self, y_true: Any, y_pred: Any) -> float:
        """Return ``func(y_true, y_pred, **default_params)`` as a Python float."""
        value = self.resolve_func()(y_true, y_pred, **self.default_params)
        try:
            return float(np.asarray(value).item())
        except (TypeError, ValueError) as exc:
            raise RerunError(f"metric {self.name!r} returned {type(value).__name__}, not a number",
                             hint="metric functions must return a single number") from exc

    __call__ = compute

    def get_scorer(self) -> Any:
        """Return a scikit-learn scorer (``make_scorer``) for tuning."""
        return skm.make_scorer(self.resolve_func(), greater_is_better=self.greater_is_better,
                               **self.default_params)

    def __repr__(self) -> str:
        return f"MetricWrapper(name={self.name!r}, abbr={self.key!r})"


class MetricManager:
    """Look up metrics by name, display name or abbreviation.

    Parameters
    ----------
    *wrappers : MetricWrapper
        The metrics; names and abbreviations must be unique.
    """

    def __init__(self, *wrappers: MetricWrapper) -> None:
        self.wrappers = list(wrappers)
        seen: set[str] = set()
        for w in self.wrappers:
            if not isinstance(w, MetricWrapper):
                raise RerunError(f"MetricManager got {type(w).__name__}, not a MetricWrapper",
                                 hint="wrap each metric in MetricWrapper(...)")
            for label in {w.name, w.key}:
                if label in seen:
                    raise RerunError(f"duplicate metric name {label!r}",
                                     hint="give every metric a unique name and abbr")
                seen.add(label)

    def names(self) -> list[str]:
        """Return the metric names in order."""
        return [w.name for w in self.wrappers]

    def get_metric(self, name: str) -> MetricWrapper:
        """Return the metric whose name, abbr or display_name is ``name`` (case-sensitive)."""
        for attr in ("name", "key", "display_name"):
            for w in self.wrappers:
                if getattr(w, attr) == name:
                    return w
        known = ", ".join(w.name if w.key == w.name else f"{w.key} ({w.name})" for w in self.wrappers)
        raise RerunError(f"unknown metric {name!r}", hint=f"known metrics: {known}")

    def get_name(self, name: str) -> str:
        """Return the display name of a metric."""
        return self.get_metric(name).display_name

    def __iter__(self) -> Iterator[MetricWrapper]:
        return iter(self.wrappers)

    def __len__(self) -> int:
        return len(self.wrappers)

    def export_params(self) -> list[dict[str, Any]]:
        """Return each metric's :meth:`MetricWrapper.export_params` in order."""
        return [w.export_params() for w in self.wrappers]

    @classmethod
    def from_params(cls, items: list[dict[str, Any]]) -> MetricManager:
        """Rebuild from :meth:`export_params` output."""
        return cls(*(MetricWrapper.from_params(d) for d in items))


REGRESSION_METRICS: list[MetricWrapper] = [
    MetricWrapper("mean_absolute_error", skm.mean_absolute_error, "Mean Absolute Error", False, "MAE"),
    MetricWrapper("mean_squared_error", skm.mean_squared_error, "Mean Squared Error", False, "MSE"),
    MetricWrapper("root_mean_squared_error", skm.root_mean_squared_error, "Root Mean Squared Error",
                  False, "RMSE"),
    MetricWrapper("r2_score", skm.r2_score, "R2 Score", True, "R2"),
    MetricWrapper("median_absolute_error", skm.median_absolute_error, "Median Absolute Error", False, "MedAE"),
    MetricWrapper("explained_variance_score", skm.explained_variance_score, "Explained Variance Score",
                  True, "EVS"),
    MetricWrapper("mean_absolute_percentage_error", skm.mean_absolute_percentage_error,
                  "Mean Absolute Percentage Error", False, "MAPE"),
    MetricWrapper("max_error", skm.max_error, "Max Error", False, "max_error"),
]

CLASSIFICATION_METRICS: list[MetricWrapper] = [
    MetricWrapper("accuracy", skm.accuracy_score, "Accuracy", True, "accuracy"),
    MetricWrapper("precision", skm.precision_score, "Precision", True, "precision",
                  average="weighted", zero_division=0),
    MetricWrapper("recall", skm.recall_score, "Recall", True, "recall", average="weighted", zero_division=0),
    MetricWrapper("f1_score", skm.f1_score, "F1 Score", True, "f1", average="weighted", zero_division=0),
    MetricWrapper("balanced_accuracy", skm.balanced_accuracy_score, "Balanced Accuracy", True,
                  "balanced_accuracy"),
    MetricWrapper("matthews_corrcoef", skm.matthews_corrcoef, "Matthews Correlation Coefficient", True, "MCC"),
    MetricWrapper("cohen_kappa", skm.cohen_kappa_score, "Cohen's Kappa", True, "kappa"),
]
