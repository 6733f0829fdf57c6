"""``rerun-git reproduce``: re-run a run from its snapshot and verify every metric."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rerun_git.commands._output import err, print_json, print_table


def main(args: argparse.Namespace) -> int:
    from rerun_git.reproduce.run import reproduce_run

    result = reproduce_run(
        args.run,
        Path.cwd(),
        rtol=args.rtol,
        atol=args.atol,
        strict=args.strict,
        keep_worktree=args.keep_worktree,
        progress=sys.stderr.isatty(),
        jobs=args.jobs,
        scheduler=args.scheduler,
        report=err,
        trust=args.trust,
        verify_signature=args.verify_signature,
    )
    rows = [
        (c.row, c.metric, c.recorded, c.reproduced, "ok" if c.matches else "MISMATCH") for c in result.comparisons
    ]
    if args.format == "json":
        print_json({
            "run": result.name,
            "matches": result.matches,
            "drift": result.drift,
            "split_mismatches": result.split_mismatches,
            "metrics": [dict(zip(("row", "metric", "recorded", "reproduced", "status"), row)) for row in rows],
        })
    else:
        print_table(["result", "metric", "recorded", "reproduced", "status"], rows)
    if result.worktree is not None:
        err(f"worktree kept at {result.worktree}")
    mismatches = sum(1 for c in result.comparisons if not c.matches)
    for line in result.split_mismatches:
        err(f"MISMATCH {line}")
    if not result.comparisons:
        err(f"no metric was compared: run {result.name} recorded none, or the reproduction produced none; that is a failure")
        return 1
    if mismatches or result.split_mismatches:
        err(f"{mismatches} of {len(result.comparisons)} metrics differ from run {result.name}"
            + (f"; {len(result.split_mismatches)} split(s) used other rows or gave other statistics" if result.split_mismatches else ""))
        return 1
    err(f"all {len(result.comparisons)} metrics match run {result.name}")
    return 0
