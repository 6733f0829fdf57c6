"""``rerun-git demo``: create, run, list, show and reproduce a project in a temporary repository."""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from rerun_git.commands._output import err, out


def _step(title: str) -> None:
    out()
    out(f"$ {title}")


def cli(argv: list[str]) -> int:
    """Run ``rerun-git ARGV`` as a user would, in its own process; return its exit code."""
    sys.stdout.flush()
    return subprocess.run([sys.executable, "-m", "rerun_git", *argv], check=False).returncode


def main(args: argparse.Namespace) -> int:
    base = Path(tempfile.mkdtemp(prefix="rerun-git-demo-"))
    previous = Path.cwd()
    try:
        project = base / "demo-project"
        _step("rerun-git create demo-project")
        os.chdir(base)
        code = cli(["create", "demo-project"])
        os.chdir(project)
        _commit_project(project)
        for title, argv in (
            ("rerun-git run --name first", ["run", "--name", "first"]),
            ("rerun-git list", ["list"]),
            ("rerun-git show run/first", ["show", "run/first"]),
            ("rerun-git reproduce run/first", ["reproduce", "run/first"]),
        ):
            if code:
                break
            _step(title)
            code = cli(argv)
        if code == 0:
            out()
            out("demo passed: the run was captured as run/first and reproduced with every metric identical")
    finally:
        os.chdir(previous)
        if args.keep:
            err(f"demo repository kept at {base / 'demo-project'}")
        else:
            shutil.rmtree(base, ignore_errors=True)
    return code


def _commit_project(project: Path) -> None:
    """Commit the new project so the run has a source commit, as in a real repository."""
    from rerun_git.scaffold import commit_project

    commit_project(project, "Start the demo project")
    out("$ git add . && git commit -m 'Start the demo project'")
