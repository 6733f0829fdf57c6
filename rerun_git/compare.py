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
