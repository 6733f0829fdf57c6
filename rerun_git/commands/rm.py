"""``rerun-git rm``: remove runs (their tags); ``--prune-history`` also drops their commits from the runs branch."""
from __future__ import annotations

import argparse
from pathlib import Path

from rerun_git.commands._output import err, out


def main(args: argparse.Namespace) -> int:
    from rerun_git.browse.manage import remove_runs

    removed = remove_runs(args.runs, Path.cwd(), prune_history=args.prune_history)
    for run in removed.runs:
        out(f"removed {run.tag} (was {run.commit[:12]})")
    if not removed.pruned:
        err("note: the runs branch still holds their commits (`rerun-git log` shows them untagged); "
            "`rerun-git rm --prune-history` drops them")
        return 0
    if removed.rewritten:
        err(f"note: re-committed {len(removed.rewritten)} later run(s) onto the pruned history (new commit ids): "
            + ", ".join(removed.rewritten))
    if removed.branch_deleted:
        err("note: no run is left on the runs branch; it was deleted")
    err("note: the snapshots' objects stay in .git until the reflog expires and `git gc` prunes them")
    return 0
