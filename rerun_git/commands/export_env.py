"""``rerun-git export-env``: a pinned requirements file for a run's environment."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rerun_git.commands._output import err
from rerun_git.errors import RerunError


def main(args: argparse.Namespace) -> int:
    from rerun_git.browse.env import export_env

    text = export_env(args.run, Path.cwd(), include_all=args.include_all)
    if args.output in (None, "-"):
        sys.stdout.write(text)
        return 0
    target = Path(args.output)
    if target.exists() and not args.yes:
        raise RerunError(f"{args.output} already exists", hint="pass --yes to overwrite it, or choose another -o FILE")
    target.write_text(text)
    count = sum(1 for line in text.splitlines() if line and not line.startswith("#"))
    err(f"wrote {count} pinned package(s) to {args.output}")
    return 0
