"""Command-line wiring: argparse and dispatch only, plus the one error handler.

Command modules are imported only when their command runs, so ``--help``,
``list`` and ``show`` start without scikit-learn or pandas.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from rerun_git import __version__
from rerun_git.errors import RerunError

PROG = "rerun-git"
#: Commands whose module name differs from the command (a Python builtin or a dash).
COMMAND_MODULES = {"list": "list_", "check-env": "check_env", "export-env": "export_env", "install-hooks": "install_hooks"}


def _add_format(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("table", "json"), default="table", help="output format (default: table)")


def _add_run_ref(parser: argparse.ArgumentParser, help: str = "the run: NAME, run/NAME or refs/tags/run/NAME") -> None:
    parser.add_argument("run", help=help)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Capture every scikit-learn experiment run into git; reproduce any run from its tag.",
        epilog="`rerun-git COMMAND --help` tells more about a command. Docs: docs/cli.md",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_argument("-C", dest="directory", metavar="DIR", help="run as if started in DIR (like git -C)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("demo", help="the whole loop on a bundled dataset, in a temporary repository")
    p.add_argument("--keep", action="store_true", help="keep the temporary repository and print its path")

    p = sub.add_parser("create", help="create a new experiment project")
    p.add_argument("name", help="folder to create (must not exist or be empty)")
    p.add_argument("--template", choices=("regression",), default="regression", help="project template (default: regression)")

    p = sub.add_parser("run", help="run the project's experiments and capture the run into git")
    p.add_argument("--name", help="run name (default: YYYYMMDD-HHMMSS-xxxx, UTC)")
    p.add_argument("--name-suffix", choices=("never", "auto"), default="never",
                   help="when the name is taken: fail (never, the default) or use NAME-2, NAME-3, ... (auto)")
    p.add_argument("-m", "--message", default="", help="a note stored with the run")
    p.add_argument("--no-capture", action="store_true", help="run without capturing (nothing is written to git)")
    p.add_argument("--seed", type=int, help="seed for runs whose DataManager leaves random_state unset")

    p = sub.add_parser("list", help="list runs (like `git tag -l`)")
    p.add_argument("pattern", nargs="?", help="glob on the run name, e.g. 'run/2026-11-*' or 'base*'")
    _add_format(p)

    p = sub.add_parser("show", help="show one run: record summary, files and metrics")
    _add_run_ref(p)
    _add_format(p)

    p = sub.add_parser("reproduce", help="re-run a captured run from its snapshot and verify every metric")
    _add_run_ref(p)
    p.add_argument("--rtol", type=float, default=0.0, help="relative tolerance for metric comparison (default: exact)")
    p.add_argument("--atol", type=float, default=0.0, help="absolute tolerance for metric comparison (default: exact)")
    p.add_argument("--strict", action="store_true", help="fail before running when datasets or the environment drifted")
    p.add_argument("--keep-worktree", action="store_true", help="keep the snapshot worktree and print its path")
    _add_format(p)

    p = sub.add_parser("check", help="validate projects without running them (what the pre-commit hook runs)")
    p.add_argument("paths", nargs="*", metavar="PATH", help="files or folders; their projects are checked (default: the current project)")
    p.add_argument("--staged", action="store_true", help="check the projects touched by the commit being made (git hooks)")
    _add_format(p)

    p = sub.add_parser("capture", help="capture the project as it is now, with an existing results folder and metrics")
    p.add_argument("--results", metavar="DIR", help="results folder to keep files from (default: results/NAME)")
    p.add_argument("--name", help="run name (default: YYYYMMDD-HHMMSS-xxxx, UTC)")
    p.add_argument("--metrics", metavar="FILE", help="metrics as JSON or TOML: flat name = value, or a run metric table")
    p.add_argument("-m", "--message", default="", help="a note stored with the run")

    p = sub.add_parser("install-hooks", help="install the pre-commit and post-run hooks into the repository's hooks folder")
    p.add_argument("--uninstall", action="store_true", help="remove rerun-git's hooks and restore the ones they replaced")
    p.add_argument("--hook", action="append", choices=("pre-commit", "post-run"), help="only this hook (repeatable; default: both)")

    p = sub.add_parser("push", help="push the runs branch and run tags to a remote (never forced)")
    p.add_argument("remote", nargs="?", help="a configured remote (default: origin)")
    p.add_argument("runs", nargs="*", metavar="RUN", help="push only these runs' tags (default: all)")
    _add_format(p)

    p = sub.add_parser("fetch", help="fetch a remote's runs: its run tags and its runs branch")
    p.add_argument("remote", nargs="?", help="a configured remote (default: origin)")
    _add_format(p)

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``rerun-git`` and ``git-rerun``; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        if args.directory:
            import os

            os.chdir(args.directory)
        module = importlib.import_module(f"rerun_git.commands.{COMMAND_MODULES.get(args.command, args.command)}")
        return int(module.main(args) or 0)
    except RerunError as exc:
        print(f"{PROG}: error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"hint: {exc.hint}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 141
    except OSError as exc:
        print(f"{PROG}: error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        print("hint: check the path and its permissions", file=sys.stderr)
        return 1
