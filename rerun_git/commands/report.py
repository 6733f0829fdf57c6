"""``rerun-git report``: write (or update) the static site of the runs; ``--serve`` serves it on 127.0.0.1."""
from __future__ import annotations

import argparse
from pathlib import Path

from rerun_git.commands._output import err, out


def main(args: argparse.Namespace) -> int:
    from rerun_git.report import build_report, serve

    result = build_report(Path.cwd(), args.pattern, args.output)
    for warning in result.warnings:
        err(f"warning: {warning}")
    out(f"wrote {_shown(result.index)} ({result.runs} runs, {len(result.written)} run pages written, "
        f"{result.runs - len(result.written)} unchanged)")
    if args.serve:
        serve(result.directory, args.port)
    return 0


def _shown(path: Path) -> Path:
    """``path`` relative to the current folder when it is below it (as git shows paths), else as it is."""
    try:
        return Path(path).resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return Path(path)
