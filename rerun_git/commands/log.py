"""``rerun-git log``: the runs branch, first parents only, one line per run (``-p``: what changed)."""
from __future__ import annotations

import argparse
from pathlib import Path

from rerun_git.commands._output import Style, escape, out, print_json


def main(args: argparse.Namespace) -> int:
    from rerun_git.browse.log import log_runs

    entries = log_runs(Path.cwd(), patch=args.patch, limit=args.max_count)
    if args.format == "json":
        print_json([entry.to_dict() for entry in entries])
        return 0
    style = Style.for_args(args)
    labels = [entry.tag or f"{entry.name} (untagged)" for entry in entries]
    width = max((len(label) for label in labels), default=0)
    for entry, label in zip(entries, labels):
        headline = entry.subject.partition(": ")[2] if entry.subject.startswith("run ") else entry.subject
        dirty = " (dirty)" if entry.dirty else ""
        rest = escape(f"{entry.date:%Y-%m-%d %H:%M} {label.ljust(width)}  {headline}{dirty}")
        print(f"{style.commit(escape(entry.commit[:12]))} {rest}")
        if args.patch:
            _print_changes(entry, style)
    return 0


def _print_changes(entry, style: Style) -> None:
    if entry.first:
        out("    (first run on the branch)")
        out()
        return
    if not entry.config and not entry.code and not entry.datasets:
        out("    (no config, dataset or code change from the previous run)")
        out()
        return
    for change in entry.config:
        out(f"    config {change.describe()}")
    for change in entry.datasets:
        out(f"    dataset {change.describe()}")
    if entry.patch:
        out()
        out(entry.patch.rstrip("\n"), multiline=True, paint=style.patch)
    out()
