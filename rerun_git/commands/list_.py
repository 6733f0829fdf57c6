"""``rerun-git list``: the runs, from one ``git for-each-ref`` call."""
from __future__ import annotations

import argparse
from pathlib import Path

from rerun_git.commands._output import err, print_json, print_table


def main(args: argparse.Namespace) -> int:
    from rerun_git.runs import list_runs, run_as_dict

    runs, warnings = list_runs(Path.cwd(), pattern=args.pattern, with_warnings=True)
    for warning in warnings:
        err(f"warning: {warning}")
    if args.format == "json":
        print_json([run_as_dict(run) for run in runs])
        return 0
    if runs:
        print_table(
            ["run", "date", "source", "dirty", "metrics"],
            [(r.tag, r.date.strftime("%Y-%m-%d %H:%M"), (r.source or "none")[:12], "yes" if r.dirty else "no",
              " ".join(f"{k}={v:.6g}" for k, v in list(r.metrics.items())[:3])) for r in runs],
        )
    return 0
