"""``compare``: many runs side by side, one row per run (this project's ``dvc exp show``).

Columns: the per-algorithm metrics (mean over splits), every parameter that
differs between the runs shown (or all, ``all_params``), and the run's
message, author, date, dirty flag and source. Import-light: records are read
as TOML, no scikit-learn, pandas or project code.

>>> from rerun_git.browse.compare import compare_runs             # doctest: +SKIP
>>> table = compare_runs(["base", "tuned", "wide"])               # doctest: +SKIP
>>> table.param_columns                                           # doctest: +SKIP
['algorithms[ridge].default_params.alpha']
"""
from __future__ import annotations

import fnmatch
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rerun_git.browse.changes import flatten_config
from rerun_git.browse.listing import open_runs
from rerun_git.errors import RerunError
from rerun_git.record.run_record import RunRecord, load_record
from rerun_git.record.summary import SummaryLine, column_of, places_and_files
from rerun_git.store.runs import RunInfo, resolve_run

_GLOB = set("*?[")
#: The fixed columns of every row, in display order.
INFO_COLUMNS = ("date", "author", "dirty", "source", "message")


@dataclass
class ComparedRun:
    """One row: a run, its per-algorithm metrics (column -> mean) and its parameters (dotted key -> value)."""

    name: str
    tag: str
    commit: str
    date: str
    author: str
    dirty: bool
    source: str | None
    message: str
    seed: int
    metrics: dict[str, float] = field(default_factory=dict)
    std: dict[str, float] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    headline: dict[str, float] = field(default_factory=dict)
    primary: tuple[str, bool] | None = None
    #: The record's summary lines (mean +- std over splits), from which ``metrics`` is named.
    lines: list[SummaryLine] = field(default_factory=list, repr=False)

    def cell(self, column: str) -> Any:
        """The value of ``column`` (an info column, a metric column or a parameter) in this row; None when absent."""
        if column in INFO_COLUMNS:
            return getattr(self, column)
        if column in self.metrics:
            return self.metrics[column]
        return self.params.get(column)


@dataclass
class Comparison:
    """The table of :func:`compare_runs`: rows, and which metric and parameter columns they have."""

    runs: list[ComparedRun]
    metric_columns: list[str]
    param_columns: list[str]

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-ready): the column lists and one object per run with only the shown columns."""
        return {
            "metric_columns": list(self.metric_columns),
            "param_columns": list(self.param_columns),
            "runs": [{
                "name": run.name, "tag": run.tag, "commit": run.commit, "date": run.date, "author": run.author,
                "dirty": run.dirty, "source": run.source, "message": run.message, "seed": run.seed,
                "metrics": {c: run.metrics.get(c) for c in self.metric_columns},
                "std": {c: run.std.get(c) for c in self.metric_columns if c in run.std},
                "params": {c: run.params.get(c) for c in self.param_columns},
            } for run in self.runs],
        }


def compare_runs(
    selectors: list[str] | None = None,
    path: Path | str = ".",
    *,
    all_params: bool = False,
    metrics: list[str] | None = None,
    sort: str = "date",
) -> Comparison:
    """Compare runs: ``selectors`` are run names or globs on the name (none: every run).

    Parameters
    ----------
    selectors : list of str, optional
        ``base``, ``run/base``, ``'tuned-*'``; a run named twice is shown once.
    all_params : bool
        Show every parameter, not only those that differ between the runs shown.
    metrics : list of str, optional
        Only these metrics: a metric name (``MAE``: every algorithm's) or a column (``ridge.MAE``).
    sort : str
        ``date`` (default), ``name``, ``best`` (the primary metric in its own direction),
        a metric name (the run's headline value) or column; ``-KEY`` reverses.
    """
    from rerun_git.store.history import commit_authors

    repo, refs = open_runs(path)
    chosen = _select(repo, refs, selectors or [])
    authors = commit_authors(repo, [run.commit for run in chosen])
    rows = [_row(run, load_record(repo, run), authors.get(run.commit, "")) for run in chosen]
    _name_metric_columns(rows)
    metric_columns = _metric_columns(rows, metrics or [])
    param_columns = _param_columns(rows, all_params)
    return Comparison(_sorted(rows, sort), metric_columns, param_columns)


def _select(repo: Any, refs: Any, selectors: list[str]) -> list[RunInfo]:
    from rerun_git.store import runs as store_runs

    if not selectors:
        return store_runs.list_runs(repo, refs)[0]
    chosen: dict[str, RunInfo] = {}
    listed: list[RunInfo] | None = None
    for selector in selectors:
        if _GLOB & set(selector):
            listed = listed if listed is not None else store_runs.list_runs(repo, refs)[0]
            matches = [run for run in listed if fnmatch.fnmatchcase(run.name, selector)
                       or fnmatch.fnmatchcase(run.tag, selector)]
            if not matches:
                raise RerunError(f"no run matches {selector!r}", hint="`rerun-git list` shows the runs")
            chosen.update((run.tag, run) for run in matches)
        else:
            run = resolve_run(repo, refs, selector)
            chosen.setdefault(run.tag, run)
    return list(chosen.values())


def _row(run: RunInfo, record: RunRecord, author: str) -> ComparedRun:
    params = flatten_config(record.to_dict())
    for key, value in record.command.items():
        params[f"command.{key}"] = value
    return ComparedRun(
        name=run.name, tag=run.tag, commit=run.commit, date=run.date.strftime("%Y-%m-%d %H:%M"), author=author,
        dirty=record.dirty, source=record.source_commit, message=record.message, seed=record.seed, params=params,
        headline=record.metric_summary(), primary=record.primary(), lines=record.summary(),
    )


def _name_metric_columns(rows: list[ComparedRun]) -> None:
    """``ridge.MAE``; with the group/dataset when the runs have several, ``@file`` when several files."""
    several = places_and_files([line for row in rows for line in row.lines])
    for row in rows:
        for line in row.lines:
            where, metric = column_of(line, *several)
            column = f"{where}.{metric}" if where != "(run)" else metric
            row.metrics[column] = line.mean
            if line.n > 1:
                row.std[column] = line.std


def _metric_columns(rows: list[ComparedRun], wanted: list[str]) -> list[str]:
    columns = list(dict.fromkeys(column for row in rows for column in row.metrics))
    if not wanted:
        return columns
    chosen = [c for c in columns if any(c == w or _metric_of(c) == w for w in wanted)]
    missing = [w for w in wanted if not any(c == w or _metric_of(c) == w for c in columns)]
    if missing:
        known = sorted({_metric_of(c) for c in columns})
        raise RerunError(f"no run shown has a metric named {missing[0]!r}",
                         hint="metrics: " + (", ".join(known) or "none recorded"))
    return chosen


def _metric_of(column: str) -> str:
    """The metric name of a column (``baseline/d.csv/ridge.MAE@test`` -> ``MAE``)."""
    return column.rsplit(".", 1)[-1].split("@", 1)[0]


def _param_columns(rows: list[ComparedRun], all_params: bool) -> list[str]:
    keys = list(dict.fromkeys(key for row in rows for key in row.params))
    if all_params:
        return keys
    missing = object()
    return [key for key in keys if len({repr(row.params.get(key, missing)) for row in rows}) > 1]


def _sorted(rows: list[ComparedRun], key: str) -> list[ComparedRun]:
    descending = key.startswith("-")
    name = key.lstrip("-+")
    if name in ("date", "name"):
        return sorted(rows, key=lambda r: getattr(r, name), reverse=descending)
    if name == "best":
        primary = next((row.primary for row in rows if row.primary), None)
        if primary is None:
            raise RerunError("no run shown has metrics to sort by", hint="sort by date or name")
        name, higher = primary
        descending = higher != descending
        return _by_value(rows, lambda row: row.headline.get(name), descending)
    if any(name in row.metrics for row in rows):
        return _by_value(rows, lambda row: row.metrics.get(name), descending)
    if any(name in row.headline for row in rows):
        return _by_value(rows, lambda row: row.headline.get(name), descending)
    known = sorted({m for row in rows for m in row.headline} | {c for row in rows for c in row.metrics})
    raise RerunError(f"cannot sort by {name!r}: no run shown has it",
                     hint="sort by date, name, best or one of: " + (", ".join(known) or "no metrics"))


def _by_value(rows: list[ComparedRun], value: Any, descending: bool) -> list[ComparedRun]:
    have = [row for row in rows if _number(value(row))]
    rest = [row for row in rows if not _number(value(row))]
    return sorted(have, key=value, reverse=descending) + rest


def _number(value: Any) -> bool:
    return isinstance(value, float) and not math.isnan(value)
