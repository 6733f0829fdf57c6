"""``rerun-git show``: one run's record summary, files, datasets and metrics."""
from __future__ import annotations

import argparse
from pathlib import Path

from rerun_git.commands._output import print_json, print_table


def main(args: argparse.Namespace) -> int:
    from rerun_git.runs import show_run

    data = show_run(args.run, Path.cwd())
    if args.format == "json":
        print_json(data)
        return 0
    record = data["record"]
    source = (data["source"] or "none") + (" (dirty)" if data["dirty"] else "")
    print(f"run     {data['tag']}")
    print(f"commit  {data['commit']}")
    print(f"date    {record['created']}")
    print(f"source  {source}")
    print(f"seed    {record['seed']}")
    if record.get("message"):
        print(f"message {record['message']}")
    if record.get("reproduces"):
        print(f"reproduces {record['reproduces']}")
    print(f"\nfiles ({len(record['files'])})")
    for path in record["files"]:
        print(f"  {path}")
    if record["datasets"]:
        print("\ndatasets")
        print_table(["dataset", "sha256", "size", "samples", "embedded"], [
            (key, d["sha256"][:12], d["size"], d.get("num_samples"), "yes" if d["embedded"] else "no")
            for key, d in record["datasets"].items()
        ])
    print("\nmetrics")
    rows = [(row, metric, value) for row, metrics in record["results"].items() for metric, value in metrics.items()]
    print_table(["result", "metric", "value"], rows)
    return 0
