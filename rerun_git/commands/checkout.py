"""``rerun-git checkout``: materialise a run as a new git worktree, for inspection."""
from __future__ import annotations

import argparse
from pathlib import Path

from rerun_git.commands._output import err, out


def main(args: argparse.Namespace) -> int:
    from rerun_git.browse.manage import checkout_run

    done = checkout_run(args.run, args.target, Path.cwd())
    out(f"checked out {done.run.tag} ({done.run.commit[:12]}) into {done.path}")
    for line in done.provenance:
        out(line)
    for key in done.missing_datasets:
        err(f"warning: dataset {key} was too large to embed in the run; it is not in the worktree")
    for path in done.filtered:
        err(f"note: {path} has a git filter attribute; it holds the bytes stored in the run, unfiltered")
    err(f"hint: it is a detached git worktree; remove it with `git worktree remove {done.path}`")
    return 0
