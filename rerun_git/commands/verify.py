"""``rerun-git verify``: each run's tag, commit, record and files agree; exit 1 when one does not."""
from __future__ import annotations

import argparse
from pathlib import Path

from rerun_git.commands._output import err, out, print_json


def main(args: argparse.Namespace) -> int:
    from rerun_git.browse.verify import verify_runs

    verdicts = verify_runs(None if args.all else args.runs, Path.cwd())
    bad = [v for v in verdicts if not v.ok]
    if args.format == "json":
        print_json([v.to_dict() for v in verdicts])
        return 1 if bad else 0
    for verdict in verdicts:
        out(f"{'ok  ' if verdict.ok else 'FAIL'}  {verdict.tag}")
        for problem in verdict.problems:
            out(f"      {problem}")
    if bad:
        err(f"{len(bad)} of {len(verdicts)} run(s) disagree with themselves; do not trust their numbers")
        return 1
    err(f"all {len(verdicts)} run(s) verified: tag, commit, record and files agree")
    return 0
