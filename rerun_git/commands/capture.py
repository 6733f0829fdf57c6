"""``rerun-git capture``: run an external command and capture it; or snapshot the project with existing results."""
from __future__ import annotations

import argparse

from rerun_git.commands._output import err, print_summary, out


def main(args: argparse.Namespace) -> int:
    from rerun_git.capture.external import capture, capture_command
    from rerun_git.errors import RerunError
    from rerun_git.record.summary import best_of, headline, summarize

    command = args.argv[1:] if args.argv[:1] == ["--"] else list(args.argv)
    if command:
        if args.results:
            raise RerunError("--results is for a capture without a command",
                             hint="a command writes to $RERUN_GIT_RESULTS_DIR (results/NAME)")
        run = capture_command(command, name=args.name, metrics=args.metrics, datasets=args.dataset or [],
                              message=args.message, project=".", seed=args.seed)
    else:
        if args.dataset or args.seed is not None:
            raise RerunError("--dataset and --seed need a command", hint="rerun-git capture --name N -- python train.py")
        run = capture(args.results, name=args.name, metrics=args.metrics, message=args.message, project=".",
                      imported_modules=False)
        err("note: captured without a command: this run can be shown and compared but not reproduced "
            "(`rerun-git capture --name N -- CMD ARGS...` records one)")
    if run.metrics:
        print_summary(summarize(run.metrics))
    out(f"captured {run.tag} ({run.commit[:12]}): {headline(best_of(run.metrics, []))}")
    return 0
