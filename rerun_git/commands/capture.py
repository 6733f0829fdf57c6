"""``rerun-git capture``: snapshot the project as it is now, with existing results and metrics."""
from __future__ import annotations

import argparse

from rerun_git.commands._output import print_table


def main(args: argparse.Namespace) -> int:
    from rerun_git.record.run_record import headline, summarize_metrics
    from rerun_git.capture.external import capture

    run = capture(
        args.results,
        name=args.name,
        metrics=args.metrics,
        message=args.message,
        project=".",
        imported_modules=False,
    )
    summary = summarize_metrics(run.metrics)
    if summary:
        print_table(["metric", "mean"], list(summary.items()))
    print(f"captured {run.tag} ({run.commit[:12]}): {headline(summary)}")
    return 0
