"""Brisk's per-split feature statistics: ``<group>/<dataset>/split_<i>/split_distribution/``.

For every split the runner writes, once and in the parent process (so the
files do not depend on where cells ran):

- ``continuous_stats.json``: ``{feature: {"train": {...}, "test": {...}}}`` with
  mean, median, std_dev, variance, min, max, range, 25/75_percentile, skewness,
  kurtosis and coefficient_of_variation (``null`` when the mean is 0);
- ``categorical_stats.json``: ``{feature: {"train": {...}, "test": {...},
  "chi_square": {...}}}`` with frequency, proportion, num_unique, entropy
  (bits) and a chi-square test of train vs test counts;
- with ``[run] split_plots = true`` in rerun.toml and matplotlib installed (the
  ``plots`` extra): ``hist_box_plot/<feature>_hist_box_plot``,
  ``bar_plot/<feature>_bar_plot`` and ``correlation_matrix`` figures (Brisk
  always draws them; here they are opt-in, as each takes about half a second
  at Brisk's 300 dpi and they are drawn in the parent process).

The statistics are those of Brisk 1.2 on the features the models see (after
preprocessing). Categorical features are the configured ones that survived
preprocessing; when there are none, a feature is categorical when its dtype
is object, category or bool, or at most 5% of its values are distinct (Brisk's
rule). A non-numeric feature is never counted as continuous, and a feature
without values in one part gets ``null`` chi-square results (Brisk fails on both). ``_metadata`` is Brisk's ``{method, type: "dataset", dataset, group}``
without the timestamp (Brisk swaps ``dataset`` and ``group``; see docs/brisk.md).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from rerun_git.experiment.data import DataSplit
    from rerun_git.experiment.plot_settings import PlotSettings

FOLDER = "split_distribution"
#: At most this fraction of distinct values makes a feature categorical (Brisk's rule).
CATEGORICAL_DISTINCT = 0.05


def feature_kinds(split: DataSplit) -> tuple[list[str], list[str]]:
    """``(continuous, categorical)`` feature names of ``split``, as Brisk's DataSplitInfo sorts them."""
    import pandas as pd

    columns = list(split.X_train.columns)
    categorical = [c for c in split.categorical_features if c in columns]
    if not categorical:
        combined = pd.concat([split.X_train, split.X_test], axis=0)
        categorical = [c for c in columns if _looks_categorical(combined[c])]
    rest = [c for c in columns if c not in categorical]
    # Brisk fails on a text column left out of the configured categorical features; here it is counted.
    numeric = [c for c in rest if pd.api.types.is_numeric_dtype(split.X_train[c])]
    return numeric, categorical + [c for c in rest if c not in numeric]


def _looks_categorical(series: pd.Series) -> bool:
    kind = str(series.dtype)
    return kind in ("object", "category", "bool") or series.nunique() / len(series) <= CATEGORICAL_DISTINCT


def continuous_stats(train: pd.DataFrame, test: pd.DataFrame, features: list[str]) -> dict[str, Any]:
    """``{feature: {"train": stats, "test": stats}}`` of the continuous ``features``."""
    return {f: {"train": _continuous(train[f]), "test": _continuous(test[f])} for f in features}


def _continuous(values: pd.Series) -> dict[str, Any]:
    mean, std = values.mean(), values.std()
    return {
        "mean": mean,
        "median": values.median(),
        "std_dev": std,
        "variance": values.var(),
        "min": values.min(),
        "max": values.max(),
        "range": values.max() - values.min(),
        "25_percentile": values.quantile(0.25),
        "75_percentile": values.quantile(0.75),
        "skewness": values.skew(),
        "kurtosis": values.kurt(),
        "coefficient_of_variation": std / mean if mean != 0 else None,
    }


def categorical_stats(train: pd.DataFrame, test: pd.DataFrame, features: list[str]) -> dict[str, Any]:
    """``{feature: {"train": ..., "test": ..., "chi_square": ...}}`` of the categorical ``features``."""
    return {f: {"train": _categorical(train[f]), "test": _categorical(test[f]),
                "chi_square": _chi_square(train[f], test[f])} for f in features}


def _categorical(values: pd.Series) -> dict[str, Any]:
    import numpy as np

    shares = values.value_counts(normalize=True)
    return {
        "frequency": values.value_counts().to_dict(),
        "proportion": shares.to_dict(),
        "num_unique": values.nunique(),
        "entropy": -np.sum(np.fromiter((p * np.log2(p) for p in shares if p > 0), dtype=float)),
    }


def _chi_square(train: pd.Series, test: pd.Series) -> dict[str, Any]:
    import pandas as pd
    from scipy import stats

    table = pd.concat([train.value_counts(), test.value_counts()], axis=1).fillna(0)
    try:
        chi2, p_value, dof, _expected = stats.chi2_contingency(table)
    except ValueError:  # a split without values of the feature: no test (Brisk fails here)
        return {"chi2_stat": None, "p_value": None, "degrees_of_freedom": None}
    return {"chi2_stat": chi2, "p_value": p_value, "degrees_of_freedom": dof}


def write_split_distribution(split: DataSplit, group: str, dataset: str, folder: Path,
                             plot_settings: PlotSettings | None = None, plots: bool = False) -> list[Path]:
    """Write the statistics (and, with matplotlib, the plots) of ``split`` into ``folder``.

    Parameters
    ----------
    split : DataSplit
        The split, after preprocessing.
    group, dataset : str
        The experiment group and the dataset's results label (for ``_metadata``).
    folder : Path
        ``<results>/<group>/<dataset>/split_<i>/split_distribution``.
    plot_settings : PlotSettings, optional
        Figure settings of the plots.
    plots : bool
        Also draw the figures (skipped without matplotlib).

    Returns
    -------
    list of Path
        The files written, in the order written.
    """
    from rerun_git.experiment.plotting import matplotlib_available

    continuous, categorical = feature_kinds(split)
    written = [
        _write_json(folder / "continuous_stats.json", continuous_stats(split.X_train, split.X_test, continuous),
                    "brisk_continuous_statistics", group, dataset),
        _write_json(folder / "categorical_stats.json", categorical_stats(split.X_train, split.X_test, categorical),
                    "brisk_categorical_statistics", group, dataset),
    ]
    if plots and matplotlib_available():
        written += _write_plots(split, continuous, categorical, folder, plot_settings)
    return written


def _write_json(path: Path, data: dict[str, Any], method: str, group: str, dataset: str) -> Path:
    data["_metadata"] = {"method": method, "type": "dataset", "dataset": dataset, "group": group}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(_plain(data), indent=4) + "\n", encoding="utf-8")
    return path


def _plain(value: Any) -> Any:
    """``value`` with numpy scalars as Python numbers (what Brisk's JSON encoder writes)."""
    import numpy as np

    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return value.item()
    return value


def _write_plots(split: DataSplit, continuous: list[str], categorical: list[str], folder: Path,
                 settings: PlotSettings | None) -> list[Path]:
    from rerun_git.experiment import plotting
    from rerun_git.experiment.plot_settings import PlotSettings

    settings = settings or PlotSettings()
    fmt = settings.file_format.lower()
    written = []
    for feature in continuous:
        written.append(_plot(folder / "hist_box_plot" / f"{_stem(feature)}_hist_box_plot.{fmt}", settings,
                             lambda ax, s, f=feature: plotting.draw_hist_box(ax, split.X_train[f], split.X_test[f], f, s)))
    for feature in categorical:
        written.append(_plot(folder / "bar_plot" / f"{_stem(feature)}_bar_plot.{fmt}", settings,
                             lambda ax, s, f=feature: plotting.draw_bar(ax, split.X_train[f], split.X_test[f], f, s)))
    if continuous:
        written.append(_plot(folder / f"correlation_matrix.{fmt}", settings,
                             lambda ax, s: plotting.draw_correlation(ax, split.X_train[continuous].corr(), s)))
    return written


def _plot(path: Path, settings: PlotSettings, draw: Any) -> Path:
    from rerun_git.experiment import plotting

    fig, ax = plotting.new_figure(settings)
    draw(ax, settings)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    return plotting.save_figure(fig, path, settings)


def _stem(feature: Any) -> str:
    """A feature name as one safe file-name component."""
    import re

    return re.sub(r"[^A-Za-z0-9_.\-]", "_", str(feature)).lstrip(".") or "feature"
