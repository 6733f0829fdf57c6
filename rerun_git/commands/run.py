"""``rerun-git run``: run the project and capture the run into git."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rerun_git.commands._output import err, out, print_summary


def main(args: argparse.Namespace) -> int:
    from rerun_git.capture.run import run_project
    result = run_project(
        Path.cwd(),
        name=args.name,
        message=args.message,
        capture=not args.no_capture,
        seed=args.seed,
        progress=sys.stderr.isatty(),
        jobs=args.jobs,
        scheduler=args.scheduler,
        name_suffix=args.name_suffix,
        keep_failed=args.keep_failed,
    )
    print_summary(result.lines)
    for failure in result.failures:
        err(f"FAILED {failure}")
    if result.tag:
        out(f"captured {result.tag} ({result.commit[:12]}, seed {result.seed}): {result.headline}")
    elif args.no_capture:
        out(f"ran {result.name} without capture; results in {result.results_dir}")
    if not result.failures:
        return 0
    if result.tag:
        kept = "captured anyway (--keep-failed)"
    elif args.no_capture:
        kept = "not captured (--no-capture)"
    else:
        kept = f"not captured (capture it with --keep-failed); results in {result.results_dir}"
    err(f"{len(result.failures)} of {result.experiments} experiments failed; the run was {kept}")
    return 1
