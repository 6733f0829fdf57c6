"""The report's input: plain, typed data about runs, built from run records (no git, no I/O).

:mod:`rerun_git.report.source` fills these from the browse API; everything
else in the package renders them. Values that come from a record or a tag
stay as they are here; the renderers escape them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

#: Config keys that differ between almost any two runs and say nothing about the settings.
NOISY_PARAMS = ("seed",)
#: File name endings shown as images on a run page.
IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
               ".svg": "image/svg+xml", ".webp": "image/webp"}


@dataclass(frozen=True)
class RunSummary:
    """One row of the index: what the tag and the record say about a run, as plain data (JSON-ready).

    ``algorithm_metrics`` is ``{algorithm: {metric: mean over its rows}}``;
    ``params`` the flattened configuration (``algorithms[ridge].default_params.alpha``).
    """

    name: str
    tag: str
    commit: str
    timestamp: int
    date: str
    author: str
    subject: str
    message: str
    dirty: bool
    source: str | None
    metrics: dict[str, float] = field(default_factory=dict)
    algorithm_metrics: dict[str, dict[str, float]] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    greater_is_better: dict[str, bool] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunSummary:
        """A summary kept by an earlier build; :class:`TypeError` or :class:`KeyError` when it is not one."""
        values = {name: data[name] for name in cls.__dataclass_fields__}
        for name, kinds in _SUMMARY_TYPES.items():
            if not isinstance(values[name], kinds) or (isinstance(values[name], bool) and bool not in kinds):
                raise TypeError(f"summary field {name!r} has the wrong type")
        return cls(**values)


_SUMMARY_TYPES: dict[str, tuple[type, ...]] = {
    "name": (str,), "tag": (str,), "commit": (str,), "timestamp": (int,), "date": (str,), "author": (str,),
    "subject": (str,), "message": (str,), "dirty": (bool,), "source": (str, type(None)), "metrics": (dict,),
    "algorithm_metrics": (dict,), "params": (dict,), "greater_is_better": (dict,),
}


@dataclass(frozen=True)
class SplitMetrics:
    """One result row of a run over its splits: ``values[metric][i]`` is split ``splits[i]``'s value."""

    row: str
    splits: list[str]
    values: dict[str, list[float | None]]

    def mean_std(self, metric: str) -> tuple[float, float] | None:
        """Mean and (population) standard deviation over the splits that have ``metric``."""
        numbers = [v for v in self.values.get(metric, []) if v is not None and not math.isnan(v)]
        if not numbers:
            return None
        mean = sum(numbers) / len(numbers)
        return mean, math.sqrt(sum((v - mean) ** 2 for v in numbers) / len(numbers))


@dataclass(frozen=True)
class KeptFile:
    """A file the run kept under ``.rerun/results/``: its path there, its blob id and its bytes."""

    path: str
    blob: str
    data: bytes

    @property
    def media_type(self) -> str | None:
        """The image media type for an image file, else None."""
        dot = self.path.rfind(".")
        return IMAGE_TYPES.get(self.path[dot:].lower()) if dot >= 0 else None


@dataclass(frozen=True)
class Change:
    """One difference to the previous run: ``section`` (config, file, dataset, environment, metric), what, before, after."""

    section: str
    key: str
    old: Any
    new: Any


@dataclass(frozen=True)
class RunPage:
    """Everything one run's page shows."""

    summary: RunSummary
    seed: int | None
    provenance: dict[str, str]
    config: dict[str, Any]
    datasets: dict[str, dict[str, Any]]
    splits: dict[str, dict[str, Any]]
    env: dict[str, Any]
    metric_table: list[SplitMetrics]
    kept: list[KeptFile]
    previous: RunSummary | None
    changes: list[Change]
    problem: str | None = None


def algorithm_metrics(results: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """``{algorithm: {metric: mean}}`` over a record's metric table (rows ``group/dataset/split/algorithm/file``).

    A metric found in several result files of one algorithm is named ``file:metric``, as in the tag's headline.
    """
    values: dict[str, dict[str, dict[str, list[float]]]] = {}
    for row, metrics in results.items():
        parts = row.split("/")
        algorithm, filename = (parts[-2], parts[-1]) if len(parts) >= 2 else (row, "")
        per_algorithm = values.setdefault(algorithm, {})
        for metric, value in metrics.items():
            per_algorithm.setdefault(metric, {}).setdefault(filename, []).append(float(value))
    out: dict[str, dict[str, float]] = {}
    for algorithm, per_metric in values.items():
        out[algorithm] = {}
        for metric, per_file in per_metric.items():
            for filename, numbers in per_file.items():
                key = metric if len(per_file) == 1 else f"{filename}:{metric}"
                out[algorithm][key] = sum(numbers) / len(numbers)
    return out


def split_table(results: dict[str, dict[str, float]]) -> list[SplitMetrics]:
    """The metric table regrouped: one :class:`SplitMetrics` per ``group/dataset/algorithm/file``, splits as columns."""
    grouped: dict[str, dict[str, dict[str, float]]] = {}
    for row, metrics in results.items():
        parts = row.split("/")
        if len(parts) >= 5:
            key, split = "/".join(parts[:2] + parts[3:]), parts[2]
        else:
            key, split = row, "all"
        grouped.setdefault(key, {})[split] = metrics
    table = []
    for key, by_split in grouped.items():
        splits = sorted(by_split, key=_split_order)
        names = list(dict.fromkeys(m for s in splits for m in by_split[s]))
        table.append(SplitMetrics(key, splits, {m: [by_split[s].get(m) for s in splits] for m in names}))
    return table


def _split_order(split: str) -> tuple[int, str]:
    digits = split.rpartition("_")[2]
    return (int(digits), split) if digits.isdigit() else (1 << 30, split)


def differing_params(runs: list[RunSummary]) -> list[str]:
    """Config keys whose value is not the same in every run (absent counts as a value), in first-seen order."""
    keys = list(dict.fromkeys(k for run in runs for k in run.params if k not in NOISY_PARAMS))
    missing = object()
    out = []
    for key in keys:
        first = runs[0].params.get(key, missing)
        if any(run.params.get(key, missing) != first for run in runs[1:]):
            out.append(key)
    return out


def algorithms_of(runs: list[RunSummary]) -> list[str]:
    """Every algorithm that any run measured, in first-seen order."""
    return list(dict.fromkeys(a for run in runs for a in run.algorithm_metrics))


def metrics_of(runs: list[RunSummary]) -> list[str]:
    """Every per-algorithm metric name of the runs, in first-seen order."""
    return list(dict.fromkeys(m for run in runs for values in run.algorithm_metrics.values() for m in values))


def primary_metric(runs: list[RunSummary]) -> str | None:
    """The metric the heat map shows: the first headline metric of the newest run that has one."""
    for run in reversed(runs):
        for name in run.metrics:
            if any(name in values for values in run.algorithm_metrics.values()):
                return name
    names = metrics_of(runs)
    return names[0] if names else None


def better_is_greater(runs: list[RunSummary], metric: str) -> bool | None:
    """Whether a greater ``metric`` is better, per the newest run that says; None when none does."""
    base = metric.rpartition(":")[2]
    for run in reversed(runs):
        if base in run.greater_is_better:
            return run.greater_is_better[base]
    return None
