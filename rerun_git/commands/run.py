"""``rerun-git run``: run the project and capture the run into git."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rerun_git.commands._output import print_summary, out


def main(args: argparse.Namespace) -> int:
    from rerun_git.capture.run import run_project
    result = run_project(
        Path.cwd(),
        name=args.name,
        message=args.message,
        capture=not args.no_capture,
        seed=args.seed,
        progress=sys.stderr.isatty(),
        name_suffix=args.name_suffix,
    )
    print_summary(result.lines)
    if result.tag:
        out(f"captured {result.tag} ({result.commit[:12]}, seed {result.seed}): {result.headline}")
    else:
        out(f"ran {result.name} without capture; results in {result.results_dir}")
    return 0
