"""Per-algorithm summaries of a run's metric table: mean +- std over splits.

The metric table's rows are ``group/dataset/split_<i>/algorithm/file`` (the
result file is its own key: ``MAE`` stays ``MAE`` whichever files a workflow
writes). A summary line is one group / dataset / algorithm / file and one
metric. Import-light: no numpy, pandas or scikit-learn.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

#: Metric names taken as "lower is better" when the record does not say (external captures).
_LOWER_IS_BETTER_WORDS = ("mae", "mse", "rmse", "mape", "error", "loss", "deviance")


@dataclass(frozen=True)
class RowKey:
    """One row of the metric table, split into its parts (external captures: only ``file``)."""

    group: str
    dataset: str
    split: str
    algorithm: str
    file: str

    @classmethod
    def parse(cls, row: str) -> RowKey:
        """``grp/data.csv/split_0/ridge/test_metrics``; any other row is a bare ``file``."""
        parts = row.split("/")
        if len(parts) >= 5 and parts[-3].startswith("split_"):
            return cls(parts[0], "/".join(parts[1:-3]), parts[-3], parts[-2], parts[-1])
        return cls("", "", "", "", row)


@dataclass(frozen=True)
class SummaryLine:
    """One metric of one group / dataset / algorithm / result file, over its splits."""

    group: str
    dataset: str
    algorithm: str
    file: str
    metric: str
    mean: float
    std: float
    n: int

    @property
    def label(self) -> str:
        """``group/dataset/algorithm``, without the empty parts (``(run)`` when all are empty)."""
        return "/".join(p for p in (self.group, self.dataset, self.algorithm) if p) or "(run)"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def summarize(results: dict[str, dict[str, float]]) -> list[SummaryLine]:
    """One :class:`SummaryLine` per group / dataset / algorithm / file / metric, in table order."""
    values: dict[tuple[str, str, str, str, str], list[float]] = {}
    for row, metrics in results.items():
        key = RowKey.parse(row)
        for metric, value in metrics.items():
            values.setdefault((key.group, key.dataset, key.algorithm, key.file, metric), []).append(float(value))
    return [SummaryLine(*key, _mean(v), _std(v), len(v)) for key, v in values.items()]


def column_of(line: SummaryLine, several_places: bool, several_files: bool) -> tuple[str, str]:
    """``(where, metric)`` naming a summary line among many runs' lines: ``("ridge", "MAE")``.

    ``where`` is the algorithm, or ``group/dataset/algorithm`` when the lines
    come from several groups or datasets; ``metric`` gets ``@file`` when they
    come from several result files.
    """
    where = line.label if several_places else (line.algorithm or line.label)
    return where, f"{line.metric}@{line.file}" if several_files else line.metric


def places_and_files(lines: list[SummaryLine]) -> tuple[bool, bool]:
    """Whether ``lines`` span several group/dataset places, and several result files (for :func:`column_of`)."""
    return len({(line.group, line.dataset) for line in lines if line.algorithm}) > 1, len({line.file for line in lines}) > 1


def _mean(values: list[float]) -> float:
    return math.fsum(values) / len(values)


def _std(values: list[float]) -> float:
    """Sample standard deviation (0 for one value)."""
    if len(values) < 2:
        return 0.0
    mean = _mean(values)
    return math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (len(values) - 1))


def metric_directions(metric_configs: list[dict[str, Any]]) -> dict[str, bool]:
    """``{metric-table key: greater_is_better}`` from the record's ``metrics`` section (key: ``abbr`` or ``name``)."""
    directions: dict[str, bool] = {}
    for config in metric_configs:
        key = config.get("abbr") or config.get("name")
        if isinstance(key, str) and isinstance(config.get("greater_is_better"), bool):
            directions[key] = config["greater_is_better"]
    return directions


def metric_order(metric_configs: list[dict[str, Any]]) -> list[str]:
    """Metric-table keys in the order the project declared its metrics (the first is the primary metric)."""
    return [key for key in (m.get("abbr") or m.get("name") for m in metric_configs) if isinstance(key, str)]


def best_of(results: dict[str, dict[str, float]], metric_configs: list[dict[str, Any]],
            recorded: dict[str, bool] | None = None) -> list[SummaryLine]:
    """:func:`best_lines` of a metric table, with the directions and order of the metrics' config."""
    directions = {**metric_directions(metric_configs), **(recorded or {})}
    return best_lines(summarize(results), directions, metric_order(metric_configs))


def greater_is_better(metric: str, directions: dict[str, bool]) -> bool:
    """The recorded direction of ``metric``; unrecorded: lower is better for error-like names (MAE, loss, ...)."""
    if metric in directions:
        return directions[metric]
    lowered = metric.lower()
    return not any(word in lowered for word in _LOWER_IS_BETTER_WORDS)


def primary_metric(lines: list[SummaryLine], metric_order: list[str]) -> str | None:
    """The first recorded metric that the table has, else the table's first metric."""
    present = [line.metric for line in lines]
    for metric in metric_order:
        if metric in present:
            return metric
    return present[0] if present else None


def best_lines(lines: list[SummaryLine], directions: dict[str, bool], metric_order: list[str]) -> list[SummaryLine]:
    """The summary lines of the algorithm that is best on the primary metric (its own direction).

    One result file is described: the first whose name has ``test`` in it, else the first.
    """
    primary = primary_metric(lines, metric_order)
    if primary is None:
        return []
    candidates = [line for line in lines if line.metric == primary]
    files = list(dict.fromkeys(line.file for line in candidates))
    headline_file = next((f for f in files if "test" in f.lower()), files[0])  # held-out scores over training ones
    candidates = [line for line in candidates if line.file == headline_file]
    higher = greater_is_better(primary, directions)
    worst = -math.inf if higher else math.inf
    best = (max if higher else min)(candidates, key=lambda line: worst if math.isnan(line.mean) else line.mean)
    return [line for line in lines
            if (line.group, line.dataset, line.algorithm, line.file) == (best.group, best.dataset, best.algorithm, best.file)]


def headline(lines: list[SummaryLine], limit: int = 3) -> str:
    """``ridge MAE=43.2 R2=0.41``: the algorithm the numbers describe, then up to ``limit`` metrics."""
    if not lines:
        return "no metrics"
    label = lines[0].label
    metrics = " ".join(f"{line.metric}={line.mean:.6g}" for line in lines[:limit])
    return metrics if label == "(run)" else f"{label} {metrics}"


def pivot(lines: list[SummaryLine]) -> tuple[list[str], list[tuple[str, str, dict[str, SummaryLine]]]]:
    """Metric names, and one ``(label, file, {metric: line})`` per group / dataset / algorithm / file."""
    metrics = list(dict.fromkeys(line.metric for line in lines))
    rows: dict[tuple[str, str], dict[str, SummaryLine]] = {}
    for line in lines:
        rows.setdefault((line.label, line.file), {})[line.metric] = line
    return metrics, [(label, file, cells) for (label, file), cells in rows.items()]
