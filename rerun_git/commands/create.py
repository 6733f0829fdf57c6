"""``rerun-git create``: a working experiment project from a template."""
from __future__ import annotations

import argparse
from pathlib import Path

from rerun_git.commands._output import err, out


def main(args: argparse.Namespace) -> int:
    from rerun_git.scaffold import NOTES, create_project

    created = create_project(Path(args.name), template=args.template)
    if created.initialised_repo:
        err(f"initialised an empty git repository in {created.root}")
    out(f"created project {created.root} ({args.template} template, {len(created.files)} files)")
    if args.template in NOTES:
        err(f"note: {NOTES[args.template]}")
    out(f"next: cd {args.name} && rerun-git run --name first")
    return 0
