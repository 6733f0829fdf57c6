"""Metric and config comparison, used by ``reproduce`` and ``diff``."""
from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class MetricComparison:
    """One metric of one result row, recorded vs reproduced."""

    row: str
    metric: str
    recorded: float | None
    reproduced: float | None
    matches: bool

    @property
    def delta(self) -> float | None:
        if self.recorded is None or self.reproduced is None:
            return None
        return self.reproduced - self.recorded


def values_match(recorded: float, reproduced: float, rtol: float = 0.0, atol: float = 0.0) -> bool:
    """Exact equality by default; ``math.isclose`` semantics with a tolerance. NaN matches NaN."""
    if math.isnan(recorded) or math.isnan(reproduced):
        return math.isnan(recorded) and math.isnan(reproduced)
    if rtol == 0.0 and atol == 0.0:
        return recorded == reproduced
    return math.isclose(recorded, reproduced, rel_tol=rtol, abs_tol=atol)


def compare_metrics(
    recorded: dict[str, dict[str, float]],
    reproduced: dict[str, dict[str, float]],
    rtol: float = 0.0,
    atol: float = 0.0,
) -> list[MetricComparison]:
    """Every metric of every row in either table; a metric present on one side only never matches."""
    rows: list[MetricComparison] = []
    for row in sorted(set(recorded) | set(reproduced)):
        old, new = recorded.get(row, {}), reproduced.get(row, {})
        for metric in sorted(set(old) | set(new)):
            a, b = old.get(metric), new.get(metric)
            ok = a is not None and b is not None and values_match(float(a), float(b), rtol, atol)
            rows.append(MetricComparison(row, metric, a, b, ok))
    return rows


#: The parts of a split record that prove which rows and features were used.
SPLIT_KEYS = ("train_size", "test_size", "train_sha256", "test_sha256", "feature_names")


def compare_splits(recorded: dict[str, dict], reproduced: dict[str, dict]) -> list[str]:
    """One line per recorded split whose rows or features differ (or that is missing) in the reproduction.

    Splits absent from the record (runs captured before splits were recorded) are not compared.
    """
    problems: list[str] = []
    for key in sorted(recorded):
        new = reproduced.get(key)
        if new is None:
            problems.append(f"split {key}: not produced by the reproduction")
            continue
        differ = [k for k in SPLIT_KEYS if k in recorded[key] and recorded[key][k] != new.get(k)]
        if differ:
            problems.append(f"split {key}: {', '.join(differ)} differ from the recorded run")
    return problems
