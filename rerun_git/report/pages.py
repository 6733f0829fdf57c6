"""The report's pages as HTML strings: the index, one page per run, the compare page."""
from __future__ import annotations

import functools
from typing import Any

from rerun_git.report import svg
from rerun_git.report.html import esc, json_data, number, page, setting, sort_key, table
from rerun_git.report.model import (
    RunPage, RunSummary, algorithms_of, better_is_greater, differing_params, metrics_of, primary_metric,
)

#: The heat map shows at most this many runs (the newest).
HEAT_MAP_RUNS = 60
#: At most this many metrics per algorithm get a column and a trend chart.
MAX_METRICS = 4


def run_href(commit: str, root: str = "") -> str:
    return f"{root}runs/{commit}.html"


def headline_metrics(runs: list[RunSummary]) -> list[str]:
    """The per-algorithm metrics shown: the tags' headline metrics that algorithms measured, else the first ones."""
    measured = metrics_of(runs)
    named = [m for m in dict.fromkeys(m for run in runs for m in run.metrics) if m in measured]
    return (named or measured)[:MAX_METRICS]


# ---------------------------------------------------------------- index
def index_page(runs: list[RunSummary], warnings: list[str]) -> str:
    """The index: the runs table, trend charts, the heat map and the parallel-coordinates chart."""
    title = f"rerun-git report: {len(runs)} run{'s' if len(runs) != 1 else ''}"
    if not runs:
        body = f"<main><h1>{esc(title)}</h1><p>No runs yet: <code>rerun-git run</code> creates one.</p></main>"
        return page(title, body)
    params, metrics, algorithms = differing_params(runs), headline_metrics(runs), algorithms_of(runs)
    pairs = [(a, m) for a in algorithms for m in metrics if any(m in r.algorithm_metrics.get(a, {}) for r in runs)]
    parcoords, ys = _parallel_coordinates(runs, params, pairs)
    notes = "".join(f"<li>{esc(w)}</li>" for w in warnings)
    body = (
        f"<header><h1>{esc(title)}</h1><p class=\"sub\">newest: {esc(runs[-1].name)} · {esc(runs[-1].date)} UTC"
        f" · <a href=\"compare.html\">compare</a></p></header><main>"
        + (f'<ul class="warnings">{notes}</ul>' if notes else "")
        + '<section aria-labelledby="runs-h"><h2 id="runs-h">Runs</h2><div class="tools">'
        '<label>Filter <input id="filter" type="search" placeholder="text in any column" autocomplete="off"></label>'
        '<span id="shown" aria-live="polite"></span>'
        '<button id="compare" type="button" disabled>Compare selected</button>'
        '<button id="clear-brush" type="button" hidden>Clear axis filters</button></div>'
        + _runs_table(runs, pairs, params) + "</section>"
        + '<section aria-labelledby="pc-h"><h2 id="pc-h">Parameters and metrics</h2>'
        '<p class="hint">One axis per changed parameter and per metric of each algorithm, one line per run. '
        'Drag along an axis to keep the runs in that range (the table follows); click an axis to clear it.</p>'
        f'<div class="scroll">{parcoords}</div></section>'
        + '<section aria-labelledby="trend-h"><h2 id="trend-h">Metrics across runs</h2><div class="charts">'
        + "".join(_trend(runs, metric, algorithms) for metric in metrics) + "</div></section>"
        + _heat_section(runs, algorithms)
        + "</main>" + json_data("report-data", {"pc": [[None if v is None else round(v, 1) for v in row] for row in ys]})
    )
    return page(title, body, script=True)


def _runs_table(runs: list[RunSummary], pairs: list[tuple[str, str]], params: list[str]) -> str:
    """The runs table: the fixed columns, one per ``(algorithm, metric)`` pair, one per changed parameter."""
    columns = ["name", "date", "author", "message", "dirty", "source"]
    heads = ['<th scope="col"><span class="sr">select</span></th>']
    heads += [_sort_head(c) for c in columns]
    heads += [_sort_head(f"{a} {m}", numeric=True) for a, m in pairs]
    heads += [_sort_head(p, css="param", label=svg.short_name(p)) for p in params]
    rows = []
    for index, run in enumerate(runs):
        cells = [f'<td><input type="checkbox" class="pick" value="{esc(run.commit)}" aria-label="select {esc(run.name)}"></td>',
                 f'<td class="name"><a href="{esc(run_href(run.commit))}">{esc(run.name)}</a></td>',
                 f'<td class="date" data-v="{run.timestamp}">{esc(run.date)}</td>',
                 f'<td title="{esc(run.author)}">{esc(run.author.partition(" <")[0])}</td>',
                 f'<td class="msg">{esc(run.message or _subject_rest(run.subject))}</td>',
                 f"<td>{'yes' if run.dirty else 'no'}</td>", f'<td class="mono">{esc((run.source or "none")[:12])}</td>']
        for algorithm, metric in pairs:
            value = run.algorithm_metrics.get(algorithm, {}).get(metric)
            cells.append(f'<td class="num" data-v="{sort_key(value)}">{esc(number(value) if value is not None else "")}</td>')
        for param in params:
            value = run.params.get(param)
            cells.append(f'<td class="num" data-v="{sort_key(value)}">{esc(setting(value) if param in run.params else "")}</td>')
        rows.append(f'<tr data-i="{index}">' + "".join(cells) + "</tr>")
    return (f'<div class="scroll"><table id="runs" class="runs"><thead><tr>{"".join(heads)}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>')


def _sort_head(name: str, numeric: bool = False, css: str = "", label: str | None = None) -> str:
    kind = "num" if numeric else "text"
    cls = f' class="{css}"' if css else ""
    return (f'<th scope="col"{cls} aria-sort="none"><button type="button" class="sort" data-kind="{kind}" title="{esc(name)}">'
            f"{esc(label or name)}</button></th>")


def _subject_rest(subject: str) -> str:
    """The tag subject after ``run NAME: `` (the headline metrics) when the run has no message."""
    return subject.partition(": ")[2] if subject.startswith("run ") else subject


def _trend(runs: list[RunSummary], metric: str, algorithms: list[str]) -> str:
    series = [svg.Series(a, [(i, r.algorithm_metrics[a][metric]) for i, r in enumerate(runs)
                             if metric in r.algorithm_metrics.get(a, {})]) for a in algorithms]
    series = [s for s in series if s.points]
    direction = better_is_greater(runs, metric)
    label = metric + ("" if direction is None else " (higher is better)" if direction else " (lower is better)")
    return f'<figure>{svg.trend_chart(label, series, [r.name for r in runs])}</figure>'


def _heat_section(runs: list[RunSummary], algorithms: list[str]) -> str:
    metric = primary_metric(runs)
    if metric is None:
        return ""
    shown = runs[-HEAT_MAP_RUNS:][::-1]
    values = [[r.algorithm_metrics.get(a, {}).get(metric) for a in algorithms] for r in shown]
    note = f" (the newest {len(shown)} of {len(runs)} runs)" if len(shown) < len(runs) else ""
    chart = svg.heat_map(f"{metric} per run and algorithm", [r.name for r in shown], algorithms, values,
                         better_is_greater(runs, metric), links=[run_href(r.commit) for r in shown])
    return (f'<section aria-labelledby="heat-h"><h2 id="heat-h">{esc(metric)}: runs × algorithms{esc(note)}</h2>'
            f'<p class="hint">Darker is better.</p><div class="scroll">{chart}</div></section>')


def _parallel_coordinates(runs: list[RunSummary], params: list[str],
                          pairs: list[tuple[str, str]]) -> tuple[str, list[list[float | None]]]:
    """Axes: the changed parameters, then each algorithm's metrics that move between runs (all of them if none does)."""
    axes = [svg.Axis(p, [r.params.get(p) for r in runs]) for p in params]
    metric_axes = [svg.Axis(f"{a} {m}", [r.algorithm_metrics.get(a, {}).get(m) for r in runs]) for a, m in pairs]
    moving = [axis for axis in metric_axes if len({v for v in axis.values if v is not None}) > 1]
    return svg.parallel_coordinates(axes + (moving or metric_axes), [r.name for r in runs])


# ---------------------------------------------------------------- run page
def run_page(data: RunPage, files: dict[str, str]) -> str:
    """One run's page; ``files`` maps a kept file's blob id to its path in the report (``files/<id>.<ext>``)."""
    run = data.summary
    title = f"run {run.name}"
    nav = ('<nav><a href="../index.html">all runs</a>'
           + (f' · <a href="{esc(run_href(data.previous.commit, "../"))}">previous run ({esc(data.previous.name)})</a>'
              f' · <a href="../compare.html#{esc(data.previous.commit)},{esc(run.commit)}">compare with it</a>'
              if data.previous else "") + "</nav>")
    body = [f"<header>{nav}<h1>{esc(title)}</h1>"]
    if run.message:
        body.append(f'<p class="sub">{esc(run.message)}</p>')
    body.append("</header><main>")
    if data.problem:
        body.append(f'<p class="warnings">{esc(data.problem)}</p>')
    body.append(_section("Provenance", "provenance", _definitions({**data.provenance, "seed": number(data.seed)})))
    body.append(_section("Metrics", "metrics", _metric_tables(data)))
    body.append(_section("Changes since the previous run", "changes", _changes(data)))
    body.append(_section("Kept results", "kept", _kept(data, files)))
    config = table(["key", "value"], [[k, setting(v)] for k, v in data.config.items()])
    body.append(_section("Configuration", "config", f"<details open><summary>{len(data.config)} settings</summary>{config}</details>"))
    body.append(_section("Datasets", "datasets", _datasets(data)))
    body.append(_section("Environment", "environment", _environment(data.env)))
    body.append("</main>")
    return page(title, "".join(body), root="../")


def _section(title: str, ident: str, content: str) -> str:
    return f'<section id="{ident}" aria-labelledby="{ident}-h"><h2 id="{ident}-h">{esc(title)}</h2>{content}</section>'


def _definitions(items: dict[str, Any]) -> str:
    return '<dl class="facts">' + "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in items.items()) + "</dl>"


def _metric_tables(data: RunPage) -> str:
    if not data.metric_table:
        return "<p>No metrics recorded.</p>"
    parts = []
    for row in data.metric_table:
        headers = ["metric", *row.splits, "mean ± std"]
        lines = []
        for metric, values in row.values.items():
            stats = row.mean_std(metric)
            summary = "" if stats is None else f"{number(stats[0])} ± {number(stats[1])}"
            lines.append(f'<tr><th scope="row">{esc(metric)}</th>'
                         + "".join(f'<td class="num">{esc(number(v) if v is not None else "")}</td>' for v in values)
                         + f'<td class="num mean">{esc(summary)}</td></tr>')
        head = "".join(f'<th scope="col">{esc(h)}</th>' for h in headers)
        parts.append(f'<h3>{esc(row.row)}</h3><table class="metrics"><thead><tr>{head}</tr></thead>'
                     f'<tbody>{"".join(lines)}</tbody></table>')
    return "".join(parts)


def _datasets(data: RunPage) -> str:
    rows = [[key, d.get("sha256", ""), d.get("size"), d.get("num_samples"), d.get("num_features"),
             "yes" if d.get("embedded") else "no"] for key, d in data.datasets.items()]
    out = table(["dataset", "sha256", "bytes", "samples", "features", "embedded"], rows, css="mono-2")
    if data.splits:
        split_rows = [[key, s.get("train_size"), s.get("test_size"), str(s.get("train_sha256", ""))[:12],
                       str(s.get("test_sha256", ""))[:12]] for key, s in data.splits.items()]
        out += "<h3>Splits</h3>" + table(["split", "train rows", "test rows", "train sha256", "test sha256"], split_rows)
    return out


def _environment(env: dict[str, Any]) -> str:
    facts = _definitions({k: env.get(k, "?") for k in ("python", "implementation", "platform")})
    packages = env.get("packages", {})
    if not isinstance(packages, dict) or not packages:
        return facts
    return facts + _packages(tuple(packages.items()))


@functools.lru_cache(maxsize=64)
def _packages(packages: tuple[tuple[str, str], ...]) -> str:
    """The folded package table (runs of one environment share it: rendered once per build)."""
    listing = table(["package", "version"], [list(item) for item in packages])
    return f"<details><summary>{len(packages)} packages</summary>{listing}</details>"


def _kept(data: RunPage, files: dict[str, str]) -> str:
    if not data.kept:
        return "<p>The run kept no result files (<code>[capture] keep_results</code> in rerun.toml).</p>"
    images, others = [], []
    for kept in data.kept:
        href = files.get(kept.blob)
        if href is None:
            continue
        if kept.media_type:
            images.append(f'<figure class="kept"><img src="../{esc(href)}" alt="{esc(kept.path)}" loading="lazy">'
                          f"<figcaption>{esc(kept.path)}</figcaption></figure>")
        else:
            others.append(f'<li><a href="../{esc(href)}" download="{esc(kept.path.rsplit("/", 1)[-1])}">{esc(kept.path)}</a> '
                          f"({len(kept.data)} bytes)</li>")
    return "".join(images) + (f'<ul class="files">{"".join(others)}</ul>' if others else "")


def _changes(data: RunPage) -> str:
    if data.previous is None:
        return "<p>This is the first run of the report.</p>"
    intro = (f'<p>Against <a href="{esc(run_href(data.previous.commit, "../"))}">{esc(data.previous.name)}</a>'
             f" (the code itself: <code>rerun-git diff {esc(data.previous.name)} {esc(data.summary.name)}</code>).</p>")
    if not data.changes:
        return intro + "<p>Nothing changed.</p>"
    rows = [[c.section, c.key, _text(c.old, c.section), _text(c.new, c.section)] for c in data.changes]
    return intro + table(["what", "key", "before", "after"], rows, css="changes")


def _text(value: Any, section: str) -> str:
    if value is None:
        return "(absent)"
    return number(value) if section == "metric" else setting(value)


# ---------------------------------------------------------------- compare
def compare_page(runs: list[RunSummary]) -> str:
    """The compare page: its script shows the runs named in the address (``compare.html#COMMIT,COMMIT``).

    Only the settings that differ somewhere in the report are carried; the run pages have all of them.
    """
    title = "rerun-git report: compare runs"
    changed = differing_params(runs) if runs else []  # a setting shared by every run is the same in any choice
    data = [{"commit": r.commit, "name": r.name, "date": r.date, "author": r.author, "message": r.message,
             "dirty": r.dirty, "source": r.source, "algorithm_metrics": r.algorithm_metrics,
             "params": {k: r.params[k] for k in changed if k in r.params},
             "greater_is_better": r.greater_is_better} for r in runs]
    body = (f'<header><nav><a href="index.html">all runs</a></nav><h1>{esc(title)}</h1></header><main>'
            '<p id="compare-help">Choose two or more runs in the <a href="index.html">index</a> and press '
            '<em>Compare selected</em>.</p><label><input type="checkbox" id="show-same"> '
            'also show the settings that are the same in these runs (but not in all runs)</label><div class="scroll"><table id="compare-table" class="runs" hidden></table></div>'
            "</main>" + json_data("compare-data", data))
    return page(title, body, script=True)
