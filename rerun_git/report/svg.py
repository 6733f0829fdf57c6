"""Static SVG charts as strings: metric trends, the runs x algorithms heat map, parallel coordinates.

Every label and tooltip goes through :func:`rerun_git.report.html.esc`; numbers
are formatted here. The charts need no script; ``report.js`` only adds
brushing to the parallel-coordinates chart (from ``data-*`` attributes).
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from rerun_git.report.html import esc, number

#: Colour-blind-safe palette (Okabe-Ito), one colour per series.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")


@dataclass(frozen=True)
class Series:
    """One line of a trend chart: ``points`` are ``(run index, value)``; ``labels[i]`` names run ``i``."""

    name: str
    points: list[tuple[int, float]]


def _finite(values: Sequence[float | None]) -> list[float]:
    return [v for v in values if v is not None and math.isfinite(v)]


def _span(values: list[float]) -> tuple[float, float]:
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    if low == high:
        pad = abs(low) * 0.05 or 0.5
        return low - pad, high + pad
    return low, high


def trend_chart(title: str, series: list[Series], run_labels: list[str], *, width: int = 460, height: int = 220) -> str:
    """A line chart of one metric across runs (oldest left), one line per series, each point titled with its run."""
    left, right, top, bottom = 56, 12, 26, 34
    values = _finite([v for s in series for _, v in s.points])
    low, high = _span(values)
    count = max(len(run_labels), 2)

    def x(i: int) -> float:
        return left + (width - left - right) * i / (count - 1)

    def y(v: float) -> float:
        return top + (height - top - bottom) * (high - v) / (high - low)

    parts = [_open_svg(width, height, f"trend of {title}", "trend"), f'<text class="title" x="{left}" y="16">{esc(title)}</text>']
    parts += _y_axis(left, width - right, low, high, y)
    ticks = _x_ticks(len(run_labels))
    for tick in ticks:
        anchor = "start" if tick == 0 else "end" if tick == ticks[-1] else "middle"
        parts.append(f'<text class="tick" x="{x(tick):.1f}" y="{height - 18}" text-anchor="{anchor}">{esc(run_labels[tick][:16])}</text>')
    many = len(run_labels) > 150
    for index, line in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        points = [(i, v) for i, v in line.points if v is not None and math.isfinite(v)]
        if not points:
            continue
        path = " ".join(f"{'M' if n == 0 else 'L'}{x(i):.1f},{y(v):.1f}" for n, (i, v) in enumerate(points))
        parts.append(f'<path class="line" d="{path}" stroke="{colour}"><title>{esc(line.name)}</title></path>')
        if not many:
            for i, v in points:
                parts.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="{colour}">'
                             f'<title>{esc(run_labels[i])} · {esc(line.name)}: {number(v)}</title></circle>')
    parts += _legend([s.name for s in series], width - right, height - 4)
    parts.append("</svg>")
    return "".join(parts)


def heat_map(title: str, rows: list[str], columns: list[str], values: list[list[float | None]],
             greater_is_better: bool | None, *, links: list[str] | None = None) -> str:
    """``rows`` x ``columns`` cells coloured by value (dark: better; grey when absent), each cell titled and labelled."""
    cell_w, cell_h, left, top = 96, 20, 170, 40
    width, height = left + cell_w * max(len(columns), 1) + 10, top + cell_h * len(rows) + 10
    low, high = _span(_finite([v for row in values for v in row]))
    parts = [_open_svg(width, height, title, "heat"), f'<text class="title" x="4" y="16">{esc(title)}</text>']
    for j, column in enumerate(columns):
        parts.append(f'<text class="tick" x="{left + cell_w * j + cell_w / 2:.0f}" y="{top - 6}" text-anchor="middle">'
                     f'{esc(column[:14])}</text>')
    for i, row in enumerate(rows):
        y = top + cell_h * i
        label = f'<text class="tick" x="{left - 6}" y="{y + 14}" text-anchor="end">{esc(row[:26])}</text>'
        if links is not None:
            label = f'<a href="{esc(links[i])}">{label}</a>'
        parts.append(label)
        for j, value in enumerate(values[i]):
            x = left + cell_w * j
            if value is None or not math.isfinite(value):
                parts.append(f'<rect x="{x}" y="{y}" width="{cell_w - 2}" height="{cell_h - 2}" fill="#eee">'
                             f'<title>{esc(row)} · {esc(columns[j])}: none</title></rect>')
                continue
            share = (value - low) / (high - low)
            goodness = share if greater_is_better in (True, None) else 1 - share
            fill, ink = _shade(goodness)
            parts.append(f'<rect x="{x}" y="{y}" width="{cell_w - 2}" height="{cell_h - 2}" fill="{fill}">'
                         f'<title>{esc(row)} · {esc(columns[j])}: {number(value)}</title></rect>'
                         f'<text class="cell" x="{x + cell_w / 2 - 1:.0f}" y="{y + 14}" fill="{ink}" text-anchor="middle">'
                         f'{number(value)}</text>')
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True)
class Axis:
    """One axis of the parallel-coordinates chart: numeric values, or categories placed evenly."""

    name: str
    values: list[float | str | None]

    @property
    def numeric(self) -> bool:
        return all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in self.values)


def parallel_coordinates(axes: list[Axis], run_labels: list[str], *, height: int = 300) -> tuple[str, list[list[float | None]]]:
    """The chart (one vertical axis per ``axes`` entry, one polyline per run) and each run's y on each axis.

    The y positions let ``report.js`` filter runs by a brushed range; a run
    without a value on an axis has ``None`` there (its line breaks).
    """
    left, top, bottom = 70, 30, 30
    gap = max(150, 600 // max(len(axes) - 1, 1))  # a few axes spread over 600 px; many keep 150 px each
    width = left * 2 + gap * max(len(axes) - 1, 1)
    positions = [_axis_positions(axis, top, height - bottom) for axis in axes]
    ys = [[positions[a][0][r] for a in range(len(axes))] for r in range(len(run_labels))]
    parts = [_open_svg(width, height, "parallel coordinates: one axis per changed parameter and per metric", "parcoords")]
    for r, label in enumerate(run_labels):
        path, pen = [], "M"
        for a in range(len(axes)):
            if ys[r][a] is None:
                pen = "M"
                continue
            path.append(f"{pen}{left + gap * a},{ys[r][a]:.1f}")
            pen = "L"
        colour = _line_colour(ys[r][-1] if ys[r] else None, top, height - bottom)
        parts.append(f'<path class="pc-line" data-run="{r}" d="{" ".join(path)}" stroke="{colour}"><title>{esc(label)}</title></path>')
    for a, axis in enumerate(axes):
        x = left + gap * a
        ticks = positions[a][1]
        parts.append(f'<g class="pc-axis" data-axis="{a}" data-name="{esc(axis.name)}" tabindex="0" role="slider" '
                     f'aria-label="{esc(axis.name)}: drag to filter the runs">'
                     f'<line x1="{x}" y1="{top}" x2="{x}" y2="{height - bottom}"/>'
                     f'<text class="pc-name" x="{x}" y="{top - 12}" text-anchor="middle">{esc(short_name(axis.name))}'
                     f'<title>{esc(axis.name)}</title></text>')
        for value, y in ticks:
            parts.append(f'<text class="tick" x="{x - 5}" y="{y + 4:.1f}" text-anchor="end">{esc(value[:18])}</text>')
        parts.append(f'<rect class="pc-hit" x="{x - 12}" y="{top}" width="24" height="{height - top - bottom}"/>'
                     f'<rect class="pc-brush" x="{x - 8}" y="0" width="16" height="0"/></g>')
    parts.append("</svg>")
    return "".join(parts), ys


def _axis_positions(axis: Axis, top: float, bottom: float) -> tuple[list[float | None], list[tuple[str, float]]]:
    """Each run's y on ``axis`` and the axis' tick labels."""
    if axis.numeric:
        low, high = _span(_finite(axis.values))  # type: ignore[arg-type]

        def y(v: float) -> float:
            return bottom - (bottom - top) * (v - low) / (high - low)

        ys = [None if v is None or not math.isfinite(v) else y(v) for v in axis.values]  # type: ignore[arg-type]
        ticks = [(number(low + (high - low) * k / 4), y(low + (high - low) * k / 4)) for k in range(5)]
        return ys, ticks
    categories = sorted({str(v) for v in axis.values if v is not None})
    step = (bottom - top) / max(len(categories) - 1, 1)
    place = {c: bottom - step * i if len(categories) > 1 else (top + bottom) / 2 for i, c in enumerate(categories)}
    return [None if v is None else place[str(v)] for v in axis.values], [(c, place[c]) for c in categories]


def short_name(name: str) -> str:
    """A config key's owner and last part (``ridge alpha``), for axis and column titles (the whole key is their tooltip)."""
    tail = name.rsplit(".", 1)[-1]
    owner = name.rsplit("[", 1)[-1].split("]", 1)[0] if "[" in name else ""
    text = f"{owner} {tail}" if owner and owner not in tail else tail
    return text[:24]


def _open_svg(width: int, height: int, label: str, kind: str) -> str:
    return (f'<svg class="chart {kind}" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{esc(label)}">')


def _y_axis(left: float, right: float, low: float, high: float, y) -> list[str]:
    parts = []
    for k in range(5):
        value = low + (high - low) * k / 4
        parts.append(f'<line class="grid" x1="{left}" x2="{right}" y1="{y(value):.1f}" y2="{y(value):.1f}"/>'
                     f'<text class="tick" x="{left - 4}" y="{y(value) + 4:.1f}" text-anchor="end">{number(value)}</text>')
    return parts


def _x_ticks(count: int, most: int = 4) -> list[int]:
    if count <= 0:
        return []
    if count <= most:
        return list(range(count))
    return sorted({round(k * (count - 1) / (most - 1)) for k in range(most)})


def _legend(names: list[str], right: float, y: float) -> list[str]:
    parts, x = [], right
    for index in range(len(names) - 1, -1, -1):
        label = esc(names[index][:18])
        x -= 14 + 7 * len(names[index][:18])
        parts.append(f'<rect x="{x:.0f}" y="{y - 9}" width="10" height="10" fill="{PALETTE[index % len(PALETTE)]}"/>'
                     f'<text class="tick" x="{x + 13:.0f}" y="{y}">{label}</text>')
    return parts


def _line_colour(y: float | None, top: float, bottom: float) -> str:
    """A line's colour from its height on the last axis (a metric): blue at the bottom to orange at the top."""
    if y is None:
        return "#888888"
    share = min(max((bottom - y) / (bottom - top), 0.0), 1.0)
    low, high = (0, 114, 178), (213, 94, 0)
    return "#%02x%02x%02x" % tuple(round(a + (b - a) * share) for a, b in zip(low, high))


def _shade(goodness: float) -> tuple[str, str]:
    """A blue for ``goodness`` in [0, 1] (light: worse, dark: better) and a readable ink on it."""
    goodness = min(max(goodness, 0.0), 1.0)
    light, dark = (222, 235, 247), (8, 69, 148)
    rgb = tuple(round(a + (b - a) * goodness) for a, b in zip(light, dark))
    return "#%02x%02x%02x" % rgb, "#fff" if goodness > 0.55 else "#111"
