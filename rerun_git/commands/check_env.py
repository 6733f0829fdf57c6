"""``rerun-git check-env``: compare this environment with a run's; exit 1 on a critical difference."""
from __future__ import annotations

import argparse
from pathlib import Path

from rerun_git.commands._output import print_json, print_table, out


def main(args: argparse.Namespace) -> int:
    from rerun_git.browse.env import check_env

    check = check_env(args.run, Path.cwd())
    if args.format == "json":
        print_json(check.to_dict())
        return 0 if check.ok else 1
    others = [d for d in check.differences if not d.critical]
    shown = check.differences if args.verbose else check.critical
    if shown:
        print_table(["package", "recorded", "current", "status"],
                    [(d.package, d.recorded or "absent", d.current or "absent", "CRITICAL" if d.critical else "differs")
                     for d in shown])
    if check.ok:
        out(f"environment matches {check.run}: python {check.current_python} and the critical packages"
              + (f"; {len(others)} other package(s) differ" + ("" if args.verbose else " (-v lists them)") if others else ""))
        return 0
    out(f"{len(check.critical)} critical difference(s) from {check.run}"
          + (f"; {len(others)} other package(s) differ" + ("" if args.verbose else " (-v lists them)") if others else ""))
    return 1
