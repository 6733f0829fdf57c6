"""``rerun-git gc``: remove rerun-git's own stale worktrees, then ``git gc --auto``."""
from __future__ import annotations

import argparse
from pathlib import Path


def main(args: argparse.Namespace) -> int:
    from rerun_git.browse.manage import gc

    removed = gc(Path.cwd())
    for path in removed:
        print(f"removed stale worktree {path}")
    print(f"removed {len(removed)} stale rerun-git worktree(s); ran git gc --auto")
    return 0
