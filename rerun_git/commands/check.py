"""``rerun-git check``: validate projects without running them (what the pre-commit hook runs)."""
from __future__ import annotations

import argparse
import os
from pathlib import Path

from rerun_git.commands._output import print_json, out
from rerun_git.errors import RerunError


def main(args: argparse.Namespace) -> int:
    from rerun_git.check.project import check_paths, check_staged

    cwd = Path.cwd()
    reports = check_staged(cwd) if args.staged else check_paths(args.paths, cwd)
    if args.format == "json":
        print_json([r.as_dict(timings=args.timings) for r in reports])
        return 0 if all(r.ok for r in reports) else 1
    for report in reports:
        _print_report(report, cwd)
        if args.timings:
            out(f"      time: project code {report.import_seconds * 1000:.0f} ms, check {report.own_seconds * 1000:.0f} ms")
    failed = [r for r in reports if not r.ok]
    if failed:
        count = sum(len(r.problems) for r in failed)
        raise RerunError(
            f"check found {count} problem{'s' if count != 1 else ''} in {len(failed)} project{'s' if len(failed) != 1 else ''}",
            hint="fix them; `git commit --no-verify` skips the pre-commit hook",
        )
    return 0


def _print_report(report, cwd: Path) -> None:
    where = _display(report.root, cwd)
    if report.ok:
        counts = ", ".join(f"{v} {k.replace('_', ' ')[:-1]}{'s' if v != 1 else ''}" for k, v in report.checked.items())
        kind = " (scripts: syntax only)" if report.script_project else ""
        out(f"ok    {where}: {counts}{kind}")
        return
    out(f"FAIL  {where}: {len(report.problems)} problem{'s' if len(report.problems) != 1 else ''}")
    for problem in report.problems:
        out(f"  {problem.text}")
        if problem.hint:
            out(f"      hint: {problem.hint}")


def _display(root: Path, cwd: Path) -> str:
    try:
        rel = os.path.relpath(root, cwd)
    except ValueError:
        return str(root)
    return str(root) if rel.startswith("..") else rel

