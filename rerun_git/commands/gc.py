"""``rerun-git gc``: remove rerun-git's own stale worktrees, then ``git gc --auto``."""
from __future__ import annotations

import argparse
from pathlib import Path

from rerun_git.commands._output import out


def main(args: argparse.Namespace) -> int:
    from rerun_git.browse.manage import gc

    removed = gc(Path.cwd(), kept=args.kept)
    kind = "stale or kept" if args.kept else "stale"
    for path in removed:
        out(f"removed {kind} worktree {path}")
    out(f"removed {len(removed)} {kind} rerun-git worktree(s); ran git gc --auto")
    return 0
