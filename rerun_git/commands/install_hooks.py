"""``rerun-git install-hooks``: install (or ``--uninstall``) the pre-commit and post-run hooks."""
from __future__ import annotations

import argparse
from pathlib import Path

from rerun_git.commands._output import out

_DONE = {
    "installed": "installed", "updated": "updated", "unchanged": "up to date",
    "removed": "removed", "absent": "not installed", "foreign": "not rerun-git's; left alone",
}


def main(args: argparse.Namespace) -> int:
    from rerun_git.check.hooks import HOOK_NAMES, install_hooks, uninstall_hooks

    names = args.hook or list(HOOK_NAMES)
    changes = uninstall_hooks(Path.cwd(), names) if args.uninstall else install_hooks(Path.cwd(), names)
    for change in changes:
        if args.uninstall and change.action == "removed" and change.legacy:
            note = f"; restored the previous {change.name} hook"
        elif change.legacy and not args.uninstall:
            note = f"; calls the previous hook kept as {change.name}.legacy"
        else:
            note = ""
        out(f"{change.name:<10}  {_DONE[change.action]}: {change.path}{note}")
    return 0
