"""``rerun-git compare``: many runs side by side, one row per run; table (fitted to the terminal), JSON or CSV."""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from typing import Any

from rerun_git.commands._output import Style, err, escape, print_json

#: The widest a table cell gets before it is cut with "…".
MAX_CELL = 32


def main(args: argparse.Namespace) -> int:
    from rerun_git.browse.compare import compare_runs

    metrics = [m for item in args.metric or [] for m in item.split(",") if m]
    table = compare_runs(args.runs, Path.cwd(), all_params=args.all_params, metrics=metrics, sort=args.sort)
    if args.format == "json":
        print_json(table.to_dict())
    elif args.format == "csv":
        _csv(table)
    else:
        _table(table, shutil.get_terminal_size().columns, Style.for_args(args))
    return 0


def _headers(table: Any) -> list[str]:
    return ["run", *table.metric_columns, *table.param_columns, "date", "author", "dirty", "source", "message"]


def _value(run: Any, column: str, full: bool = False) -> Any:
    if column == "run":
        return run.tag
    if column == "source":
        return run.source if full else (run.source or "none")[:12]
    return run.cell(column)


#: Table headers: long record paths shortened (JSON and CSV keep the full keys).
_SHORTER = ((".default_params.", "."), ("base_data_manager.", "data."), ("experiment_groups[", "groups["),
            (".workflow_args.", ".args."))


def _short_header(column: str) -> str:
    for long, short in _SHORTER:
        column = column.replace(long, short)
    if column.startswith("algorithms[") and "]" in column:
        column = column[len("algorithms["):].replace("]", "", 1)
    return escape(column)


def _csv(table: Any) -> None:
    import csv

    writer = csv.writer(sys.stdout, lineterminator="\n")
    headers = _headers(table)
    writer.writerow(headers)
    for run in table.runs:
        writer.writerow(["" if (v := _value(run, c, full=True)) is None else _text(v, full=True) for c in headers])


def _text(value: Any, full: bool = False) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return repr(value) if full else f"{value:.6g}"
    text = escape(str(value).replace("\n", " "))
    return text if full or len(text) <= MAX_CELL else text[:MAX_CELL - 1] + "…"


def _table(table: Any, width: int, style: Style) -> None:
    """Aligned columns; the run column always, then as many others as fit ``width`` (the rest are named on stderr).

    On a terminal the header line is bold and each run's name yellow (like git's commit ids).
    """
    if not table.runs:
        err("no runs to compare")
        return
    headers = _headers(table)
    cells = {h: [_text(_value(run, h)) for run in table.runs] for h in headers}
    titles = {h: _short_header(h) for h in headers}
    widths = {h: max(len(titles[h]), *(len(c) for c in cells[h])) for h in headers}
    shown, used = ["run"], widths["run"]
    for header in headers[1:]:
        if used + 2 + widths[header] <= width:
            shown.append(header)
            used += 2 + widths[header]
    hidden = [h for h in headers if h not in shown]
    lines = [style.header("  ".join(titles[h].upper().ljust(widths[h]) for h in shown).rstrip())]
    for index in range(len(table.runs)):
        row = [cells[h][index].ljust(widths[h]) for h in shown]  # padded first: escape codes take no columns
        lines.append("  ".join([style.commit(row[0]), *row[1:]]).rstrip())
    sys.stdout.write("\n".join(lines) + "\n")
    if hidden:
        err(f"note: {len(hidden)} column(s) do not fit the terminal ({', '.join(escape(h) for h in hidden[:5])}"
            f"{', ...' if len(hidden) > 5 else ''}): --format json or csv shows them, or --metric picks fewer")
