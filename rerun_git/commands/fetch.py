"""``rerun-git fetch [REMOTE]``: fetch a remote's runs (its run tags and its runs branch)."""
from __future__ import annotations

import argparse
from pathlib import Path

from rerun_git.commands._output import print_json, out
from rerun_git.commands.push import print_updates, short_ref
from rerun_git.errors import RerunError


def main(args: argparse.Namespace) -> int:
    from rerun_git.browse.sharing import fetch

    done = fetch(Path.cwd(), args.remote)
    remote, updates = done.remote, done.updates
    if args.format == "json":
        print_json({"remote": remote, "refs": [u.as_dict() for u in updates]})
    elif not updates:
        out(f"{remote} has no runs")
    else:
        print_updates(updates, "fetched", remote)
    rejected = done.rejected
    if rejected:
        raise RerunError(
            f"{len(rejected)} run tag{'s' if len(rejected) != 1 else ''} of {remote} not fetched: "
            + ", ".join(short_ref(u.ref) for u in rejected),
            hint="a different run has that name here; both are kept apart, see docs/sharing.md",
        )
    return 0
