"""Figures for workflows and plot evaluators (the optional ``rerun-git[plots]`` extra).

Figures are drawn on a plain ``matplotlib.figure.Figure`` with the Agg
canvas: no pyplot, no global backend switch, no window. Every figure honours
:class:`PlotSettings` (format, size, dpi, transparency, colours). Plot files
are results, never part of the metric table.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np

from rerun_git.errors import RerunError
from rerun_git.experiment.plot_settings import PlotSettings

PLOTS_HINT = "pip install rerun-git[plots]  (installs matplotlib)"

#: Per-format metadata that keeps a file free of timestamps.
_METADATA = {"svg": {"Date": None}, "pdf": {"CreationDate": None}}


def matplotlib_available() -> bool:
    """Whether matplotlib can be imported."""
    try:
        return importlib.util.find_spec("matplotlib") is not None
    except (ImportError, ValueError):  # e.g. sys.modules["matplotlib"] = None
        return False


def require_matplotlib() -> None:
    """Raise RerunError naming the ``plots`` extra when matplotlib is missing."""
    if not matplotlib_available():
        raise RerunError("plotting needs matplotlib, which is not installed", hint=PLOTS_HINT)


def new_figure(settings: PlotSettings | None = None) -> tuple[Any, Any]:
    """Return ``(figure, axes)`` sized by ``settings``, on the Agg canvas.

    Parameters
    ----------
    settings : PlotSettings, optional
        Figure settings (defaults when None).

    Returns
    -------
    tuple
        A ``matplotlib.figure.Figure`` and its single ``Axes``.
    """
    require_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    s = settings or PlotSettings()
    s.validate()
    _check_colours(s)
    fig = Figure(figsize=(s.width, s.height), dpi=s.dpi)
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def save_figure(fig: Any, path: Path, settings: PlotSettings | None = None) -> Path:
    """Write ``fig`` to ``path`` in ``settings.file_format``; return ``path``."""
    s = settings or PlotSettings()
    fmt = s.file_format.lower()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format=fmt, dpi=s.dpi, transparent=s.transparent, metadata=_METADATA.get(fmt))
    return path


def _check_colours(s: PlotSettings) -> None:
    from matplotlib.colors import is_color_like

    for key in ("primary_color", "secondary_color", "accent_color"):
        if not is_color_like(getattr(s, key)):
            raise RerunError(f"PlotSettings {key} {getattr(s, key)!r} is not a colour",
                             hint="use a hex string such as '#1175D5' or a matplotlib colour name")


# ---------------------------------------------------------------- drawings
def draw_pred_vs_obs(ax: Any, y_true: Any, y_pred: Any, s: PlotSettings) -> None:
    """Predicted against observed values, with the ``y = x`` line."""
    y_true, y_pred = np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)
    ax.scatter(y_true, y_pred, color=s.primary_color, alpha=0.7, edgecolors="none", label="predictions")
    low, high = float(min(y_true.min(), y_pred.min())), float(max(y_true.max(), y_pred.max()))
    ax.plot([low, high], [low, high], color=s.accent_color, linestyle="--", label="y = x")
    ax.set(xlabel="Observed", ylabel="Predicted", title="Predicted vs observed")
    ax.legend()


def draw_residuals(ax: Any, y_pred: Any, residuals: Any, s: PlotSettings, add_fit_line: bool) -> None:
    """Residuals against predicted values, with the zero line (and a least-squares fit)."""
    y_pred, residuals = np.asarray(y_pred, dtype=float), np.asarray(residuals, dtype=float)
    ax.scatter(y_pred, residuals, color=s.primary_color, alpha=0.7, edgecolors="none")
    ax.axhline(0.0, color=s.accent_color, linestyle="--")
    if add_fit_line and len(y_pred) > 1:
        slope, intercept = np.polyfit(y_pred, residuals, 1)
        xs = np.array([y_pred.min(), y_pred.max()])
        ax.plot(xs, slope * xs + intercept, color=s.secondary_color, label="fit")
        ax.legend()
    ax.set(xlabel="Predicted", ylabel="Residual (observed - predicted)", title="Residuals")


def draw_learning_curve(ax: Any, sizes: Any, train: Any, test: Any, metric: str, s: PlotSettings) -> None:
    """Mean and standard deviation of training and validation scores against training size."""
    for scores, colour, label in ((train, s.primary_color, "training"), (test, s.secondary_color, "validation")):
        mean, std = np.mean(scores, axis=1), np.std(scores, axis=1)
        ax.plot(sizes, mean, "o-", color=colour, label=label)
        ax.fill_between(sizes, mean - std, mean + std, color=colour, alpha=0.2)
    ax.set(xlabel="Training examples", ylabel=metric, title="Learning curve")
    ax.legend()


def draw_feature_importance(ax: Any, names: list[str], importances: Any, metric: str, s: PlotSettings) -> None:
    """Horizontal bars of permutation importance, largest on top."""
    positions = np.arange(len(names))
    ax.barh(positions, importances, color=s.primary_color)
    ax.set_yticks(positions, labels=names)
    ax.invert_yaxis()
    ax.set(xlabel=f"Importance (drop in {metric})", title="Feature importance")


def draw_confusion_heatmap(ax: Any, matrix: Any, labels: list[str], s: PlotSettings) -> None:
    """Confusion matrix as a heatmap with counts and row percentages."""
    from matplotlib.colors import LinearSegmentedColormap

    matrix = np.asarray(matrix)
    cmap = LinearSegmentedColormap.from_list("rerun", ["#FFFFFF", s.primary_color])
    image = ax.imshow(matrix, cmap=cmap)
    ax.figure.colorbar(image, ax=ax)
    totals = matrix.sum(axis=1, keepdims=True)
    shares = np.divide(matrix, totals, out=np.zeros(matrix.shape, dtype=float), where=totals > 0)
    threshold = matrix.max() / 2 if matrix.size else 0
    for (i, j), count in np.ndenumerate(matrix):
        colour = "white" if count > threshold else "black"
        ax.text(j, i, f"{count}\n{shares[i, j]:.0%}", ha="center", va="center", color=colour)
    ticks = np.arange(len(labels))
    ax.set_xticks(ticks, labels=labels)
    ax.set_yticks(ticks, labels=labels)
    ax.set(xlabel="Predicted", ylabel="True", title="Confusion matrix")


def draw_roc_curve(ax: Any, fpr: Any, tpr: Any, auc: float, s: PlotSettings) -> None:
    """ROC curve with the chance diagonal; the AUC in the legend."""
    ax.plot(fpr, tpr, color=s.primary_color, label=f"ROC (AUC = {auc:.3f})")
    ax.plot([0, 1], [0, 1], color=s.accent_color, linestyle="--", label="chance")
    ax.set(xlabel="False positive rate", ylabel="True positive rate", title="ROC curve", xlim=(0, 1), ylim=(0, 1.02))
    ax.legend(loc="lower right")


def draw_precision_recall(ax: Any, recall: Any, precision: Any, ap: float, s: PlotSettings) -> None:
    """Precision against recall; the average precision in the legend."""
    ax.plot(recall, precision, color=s.primary_color, label=f"AP = {ap:.3f}")
    ax.set(xlabel="Recall", ylabel="Precision", title="Precision-recall curve", xlim=(0, 1), ylim=(0, 1.02))
    ax.legend(loc="lower left")


def draw_model_comparison(ax: Any, names: list[str], values: list[float], metric: str, s: PlotSettings) -> None:
    """One bar per model (or feature) with its value on top."""
    positions = np.arange(len(names))
    bars = ax.bar(positions, values, color=s.primary_color)
    ax.bar_label(bars, fmt="%.3g")
    ax.set_xticks(positions, labels=names)
    ax.set(ylabel=metric, title=f"Comparison: {metric}")


def draw_tuning(ax: Any, scores: Any, metric: str, s: PlotSettings) -> None:
    """Mean cross-validated score of every tuning candidate, in grid order."""
    ax.plot(np.arange(len(scores)), scores, "o-", color=s.primary_color)
    ax.set(xlabel="Candidate", ylabel=metric, title="Hyperparameter tuning")


def draw_hist_box(ax: Any, train: Any, test: Any, feature: str, s: PlotSettings) -> None:
    """Histograms of a feature's train and test values, with their box plots beside them."""
    train = np.asarray(train, dtype=float)
    test = np.asarray(test, dtype=float)
    ax.hist([train, test], bins=20, color=[s.primary_color, s.secondary_color], label=["train", "test"])
    ax.set(xlabel=str(feature), ylabel="Count", title=f"Distribution of {feature}")
    ax.legend()
    boxes = ax.inset_axes((1.04, 0.0, 0.22, 1.0))
    boxes.boxplot([train, test])
    boxes.set_xticks([1, 2], labels=["train", "test"])


def draw_bar(ax: Any, train: Any, test: Any, feature: str, s: PlotSettings) -> None:
    """Side-by-side bars of a categorical feature's train and test shares."""
    import pandas as pd

    shares = pd.concat([pd.Series(train).value_counts(normalize=True),
                        pd.Series(test).value_counts(normalize=True)], axis=1).fillna(0.0)
    positions = np.arange(len(shares))
    ax.bar(positions - 0.2, shares.iloc[:, 0], width=0.4, color=s.primary_color, label="train")
    ax.bar(positions + 0.2, shares.iloc[:, 1], width=0.4, color=s.secondary_color, label="test")
    ax.set_xticks(positions, labels=[str(v) for v in shares.index])
    ax.set(xlabel=str(feature), ylabel="Proportion", title=f"Distribution of {feature}")
    ax.legend()


def draw_correlation(ax: Any, matrix: Any, s: PlotSettings) -> None:
    """The continuous features' correlation matrix (training split) as a heatmap."""
    from matplotlib.colors import LinearSegmentedColormap

    cmap = LinearSegmentedColormap.from_list("rerun-corr", [s.secondary_color, "#FFFFFF", s.primary_color])
    image = ax.imshow(np.asarray(matrix, dtype=float), cmap=cmap, vmin=-1.0, vmax=1.0)
    ax.figure.colorbar(image, ax=ax)
    ticks = np.arange(len(matrix.columns))
    ax.set_xticks(ticks, labels=[str(c) for c in matrix.columns], rotation=90)
    ax.set_yticks(ticks, labels=[str(c) for c in matrix.columns])
    ax.set(title="Correlation matrix (train)")
