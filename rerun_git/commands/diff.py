"""``rerun-git diff``: two runs, or a run and the working tree; exit 0 when identical, 1 when not."""
from __future__ import annotations

import argparse
from pathlib import Path

from rerun_git.commands._output import Style, err, out, print_json, print_table


def main(args: argparse.Namespace) -> int:
    from rerun_git.browse.diff import diff_runs

    if args.more:
        from rerun_git.errors import RerunError

        runs = " ".join([args.run_a, args.run_b, *args.more])
        raise RerunError(f"diff compares two runs ({2 + len(args.more)} given)",
                         hint=f"to see many runs side by side: rerun-git compare {runs}")
    result = diff_runs(args.run_a, args.run_b, Path.cwd())
    if args.format == "json":
        print_json(result.to_dict())
        return 0 if result.identical else 1
    for note in result.notes:
        err(f"note: {note}")
    if result.identical:
        err(f"{result.a} and {result.b} are identical")
        return 0
    style = Style.for_args(args)
    out(f"diff a={result.a} b={result.b}", paint=style.header)
    for section in (_code, _config, _datasets, _env, _metrics):
        section(result, args.stat, style)
    return 1


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _code(result, stat: bool, style: Style) -> None:
    if not result.code:
        return
    added = sum(f.added or 0 for f in result.code)
    removed = sum(f.removed or 0 for f in result.code)
    out()
    out(f"code: {_plural(len(result.code), 'file')} changed, +{added} -{removed}", paint=style.header)
    if stat:
        width = max(len(f.path) for f in result.code)
        for f in result.code:
            counts = "binary" if f.added is None else f"+{f.added} -{f.removed}"
            out(f"  {f.path.ljust(width)} | {counts}" + ("" if f.status == "modified" else f" ({f.status})"))
    else:
        out(result.patch.rstrip("\n"), multiline=True, paint=style.patch)


def _config(result, stat: bool, style: Style) -> None:
    if not result.config:
        return
    out()
    out(f"config: {_plural(len(result.config), 'change')}", paint=style.header)
    if not stat:
        for change in result.config:
            out(f"  {change.describe()}")


def _datasets(result, stat: bool, style: Style) -> None:
    if not result.datasets:
        return
    out()
    out(f"datasets: {_plural(len(result.datasets), 'change')}", paint=style.header)
    if not stat:
        for change in result.datasets:
            out(f"  {change.describe()}")


def _env(result, stat: bool, style: Style) -> None:
    if not result.env:
        return
    critical = sum(1 for d in result.env if d.critical)
    out()
    out(f"environment: {_plural(len(result.env), 'change')} ({critical} critical)", paint=style.header)
    if not stat:
        for difference in result.env:
            out(f"  {difference.describe()}")


def _metrics(result, stat: bool, style: Style) -> None:
    if not result.metrics:
        return
    count = len(result.metrics)
    out()
    out(f"metrics: {_plural(count, 'value')} {'differs' if count == 1 else 'differ'}", paint=style.header)
    if result.summary:
        out("  per algorithm (mean over splits):")
        print_table(["algorithm", "file", "metric", "a", "b", "delta"],
                    [(s.label, s.file, s.metric, s.old, s.new, s.delta) for s in result.summary], style=style)
    if not stat:
        print_table(["result", "metric", "a", "b", "delta"],
                    [(m.row, m.metric, m.old, m.new, m.delta) for m in result.metrics], style=style)
