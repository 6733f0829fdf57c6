"""The report's input: plain, typed data about runs, built from run records (no git, no I/O).

:mod:`rerun_git.report.source` fills these from the browse API; everything
else in the package renders them. Values that come from a record or a tag
stay as they are here; the renderers escape them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rerun_git.record.summary import RowKey, column_of, greater_is_better, places_and_files, summarize

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
    #: The project's primary metric (the first it declares), None without metrics.
    primary: str | None = None

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
    "algorithm_metrics": (dict,), "params": (dict,), "greater_is_better": (dict,), "primary": (str, type(None)),
}


@dataclass(frozen=True)
class SplitMetrics:
    """One group / dataset / algorithm / file of a run over its splits: ``values[metric][i]`` is split ``splits[i]``'s.

    ``stats[metric]`` is the mean and (sample) standard deviation over the
    splits, as ``rerun-git run`` prints them (:func:`rerun_git.record.summary.summarize`).
    """

    row: str
    splits: list[str]
    values: dict[str, list[float | None]]
    stats: dict[str, tuple[float, float]] = field(default_factory=dict)

    def mean_std(self, metric: str) -> tuple[float, float] | None:
        return self.stats.get(metric)


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
    """``{algorithm: {metric: mean over splits}}`` of a record's metric table, named as ``rerun-git compare`` names
    its columns (``ridge`` / ``MAE``; ``group/dataset/ridge`` and ``MAE@file`` when there are several).
    """
    lines = summarize(results)
    several = places_and_files(lines)
    out: dict[str, dict[str, float]] = {}
    for line in lines:
        where, metric = column_of(line, *several)
        out.setdefault(where, {})[metric] = line.mean
    return out


def split_table(results: dict[str, dict[str, float]]) -> list[SplitMetrics]:
    """The metric table regrouped: one :class:`SplitMetrics` per group / dataset / algorithm / file, splits as columns."""
    grouped: dict[tuple[str, str, str, str], dict[str, dict[str, float]]] = {}
    for row, metrics in results.items():
        key = RowKey.parse(row)
        grouped.setdefault((key.group, key.dataset, key.algorithm, key.file), {})[key.split or "all"] = metrics
    stats = {(line.group, line.dataset, line.algorithm, line.file, line.metric): (line.mean, line.std)
             for line in summarize(results)}
    table = []
    for place, by_split in grouped.items():
        splits = sorted(by_split, key=_split_order)
        names = list(dict.fromkeys(m for split in splits for m in by_split[split]))
        table.append(SplitMetrics("/".join(p for p in place if p), splits,
                                  {m: [by_split[split].get(m) for split in splits] for m in names},
                                  {m: stats[(*place, m)] for m in names}))
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
    """The metric the heat map shows: the newest run's primary metric (the project's first), else the first measured."""
    for run in reversed(runs):
        if run.primary:
            return run.primary
    names = metrics_of(runs)
    return names[0] if names else None


def better_is_greater(runs: list[RunSummary], metric: str) -> bool:
    """Whether a greater ``metric`` is better: as the newest run that records it says, else by its name (MAE: no)."""
    base = metric.partition("@")[0]
    for run in reversed(runs):
        if base in run.greater_is_better:
            return run.greater_is_better[base]
    return greater_is_better(base, {})
