"""Command-line wiring: argparse and dispatch only, plus the one error handler.

Command modules are imported only when their command runs, so ``--help``,
``list`` and ``show`` start without scikit-learn or pandas.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence

from rerun_git._version import __version__
from rerun_git.commands._help import HELP, LOOP, MORE, SUMMARY, examples_epilog
from rerun_git.errors import RerunError

TYPE_CHECKING = False  # typing costs --help's start-up more than all of argparse
if TYPE_CHECKING:
    from typing import Any

PROG = "rerun-git"
#: Commands whose module name differs from the command (a Python builtin or a dash).
COMMAND_MODULES = {"list": "list_", "check-env": "check_env", "export-env": "export_env", "install-hooks": "install_hooks"}
#: Commands whose output is coloured on a terminal: they also take --color/--no-color after the command.
COLOURED = ("diff", "log", "compare")


class Parser(argparse.ArgumentParser):
    """``ArgumentParser`` that shows descriptions as written and suggests the nearest valid choice.

    ``commands`` maps each subcommand to its parser (the man page is generated from them).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(*args, **kwargs)
        self.commands: dict[str, argparse.ArgumentParser] = {}

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        # argparse's one hook for choices (commands included); Python 3.14's suggest_on_error does the same.
        if action.choices is not None and value not in action.choices:
            is_command = action.dest == "command"  # then the message needs no "argument COMMAND:" prefix
            raise argparse.ArgumentError(None if is_command else action, _invalid_choice(action, value))


def _invalid_choice(action: argparse.Action, value: Any) -> str:
    import difflib  # here: only a usage error needs it

    choices = [str(c) for c in action.choices]
    close = difflib.get_close_matches(str(value), choices, n=3, cutoff=0.6)
    what = f"{value!r} is not a {PROG} command" if action.dest == "command" else f"invalid choice: {value!r}"
    if close:
        return f"{what}; did you mean {' or '.join(repr(c) for c in close)}?"
    return f"{what} (choose from {', '.join(choices)})"


def _add_format(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("table", "json"), default="table", help="output format (default: table)")


def _add_run_ref(parser: argparse.ArgumentParser, help: str = "the run: NAME, run/NAME or refs/tags/run/NAME") -> None:
    parser.add_argument("run", help=help)


def build_parser() -> Parser:
    parser = Parser(
        prog=PROG,
        description=SUMMARY,
        epilog=f"{examples_epilog(LOOP)}\n\n{MORE}",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_argument("-C", dest="directory", metavar="DIR", help="run as if started in DIR (like git -C)")
    _add_color(parser, default="auto")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    p = sub.add_parser("demo", help="the whole loop on a bundled dataset, in a temporary repository")
    p.add_argument("--keep", action="store_true", help="keep the temporary repository and print its path")

    p = sub.add_parser("create", help="create a new experiment project")
    p.add_argument("name", help="folder to create (must not exist or be empty)")
    p.add_argument("--template", choices=("regression", "classification", "grouped", "brisk-regression",
                                          "brisk-classification"), default="regression",
                   help="project template: regression (diabetes), classification (breast cancer), "
                        "grouped (iris, grouped + categorical), or Brisk's `brisk create` layout "
                        "(.brisk/, `import brisk`): brisk-regression, brisk-classification (default: regression)")

    p = sub.add_parser("run", help="run the project's experiments and capture the run into git")
    p.add_argument("--name", help="run name (default: YYYYMMDD-HHMMSS-xxxx, UTC)")
    p.add_argument("--name-suffix", choices=("never", "auto"), default="never",
                   help="when the name is taken: fail (never, the default) or use NAME-2, NAME-3, ... (auto)")
    p.add_argument("-m", "--message", default="", help="a note stored with the run")
    p.add_argument("--no-capture", action="store_true", help="run without capturing (nothing is written to git)")
    p.add_argument("--seed", metavar="N|random",
                   help="the run seed (default: [run] seed, else the DataManager's random_state, else 0); "
                        "'random' draws a fresh one")
    _add_execution(p)
    p.add_argument("--keep-failed", action="store_true",
                   help="capture the run even when some experiments failed (it still exits non-zero)")

    p = sub.add_parser("list", help="list runs (like `git tag -l`)")
    p.add_argument("pattern", nargs="?", help="glob on the run name, e.g. 'run/2026-11-*' or 'base*'")
    p.add_argument("--sort", default="date", metavar="KEY",
                   help="date (default), name, best (the primary metric, in its own direction) or a metric such as MAE; "
                        "a leading '-' sorts descending (--sort -R2)")
    p.add_argument("--limit", type=int, metavar="N", help="show the first N runs after sorting")
    p.add_argument("--metric", action="append", metavar="NAME", help="metric column(s) to show (repeatable or comma-separated)")
    p.add_argument("--all", action="store_true",
                   help="add a FROM column: 'local' for runs on the local runs branch, 'fetched' for runs from a remote")
    _add_format(p)

    p = sub.add_parser("show", help="show one run: record summary, files and metrics")
    _add_run_ref(p)
    for section, text in (("files", "the captured files and their sha256"), ("env", "the recorded environment"),
                          ("datasets", "the datasets' identity and shape"), ("metrics", "the full metric table"),
                          ("config", "the configuration, one dotted key per line")):
        p.add_argument(f"--{section}", action="store_true", help=f"only {text}")
    _add_format(p)

    p = sub.add_parser("reproduce", help="re-run a captured run from its snapshot and verify every metric")
    _add_run_ref(p)
    p.add_argument("--rtol", type=float, default=0.0, help="relative tolerance for metric comparison (default: exact)")
    p.add_argument("--atol", type=float, default=0.0, help="absolute tolerance for metric comparison (default: exact)")
    p.add_argument("--strict", action="store_true", help="fail before running when datasets or the environment drifted")
    p.add_argument("--keep-worktree", action="store_true",
                   help="keep the snapshot worktree and print its path (kept until `rerun-git gc --kept`)")
    p.add_argument("--trust", action="store_true",
                   help="run the code of a run this clone did not capture (after reading its provenance)")
    p.add_argument("--verify-signature", action="store_true", help="require a good signature on the run's tag (git verify-tag)")
    _add_execution(p)
    _add_format(p)

    p = sub.add_parser("check", help="validate projects without running them (what the pre-commit hook runs)")
    p.add_argument("paths", nargs="*", metavar="PATH", help="files or folders; their projects are checked (default: the current project)")
    p.add_argument("--staged", action="store_true", help="check the projects touched by the commit being made (git hooks)")
    p.add_argument("--timings", action="store_true", help="also report the time spent in project code and in the check itself")
    _add_format(p)

    p = sub.add_parser("capture", help="run an external command and capture it as a reproducible run "
                                       "(without a command: capture the project as it is now)",
                       usage="%(prog)s [--name N] [--metrics FILE] [--dataset PATH ...] [-m MSG] -- CMD [ARGS ...]")
    p.add_argument("--results", metavar="DIR", help="without a command: results folder to keep files from (default: results/NAME)")
    p.add_argument("--name", help="run name (default: YYYYMMDD-HHMMSS-xxxx, UTC)")
    p.add_argument("--metrics", metavar="FILE", help="metrics as JSON or TOML: flat name = value, or a run metric table "
                                                     "(with a command: the file it writes, read after it ran)")
    p.add_argument("--dataset", action="append", metavar="PATH", help="a data file (under datasets/) the command reads; repeatable")
    p.add_argument("--seed", metavar="N|random", help="the seed passed as RERUN_GIT_SEED (default: [run] seed, else 0)")
    p.add_argument("-m", "--message", default="", help="a note stored with the run")
    p.add_argument("argv", nargs=argparse.REMAINDER, metavar="-- CMD ARGS", help="the command to run (no shell)")

    p = sub.add_parser("install-hooks", help="install the pre-commit and post-run hooks into the repository's hooks folder")
    p.add_argument("--uninstall", action="store_true", help="remove rerun-git's hooks and restore the ones they replaced")
    p.add_argument("--hook", action="append", choices=("pre-commit", "post-run"), help="only this hook (repeatable; default: both)")

    p = sub.add_parser("push", help="push the runs branch and run tags to a remote (never forced)")
    p.add_argument("remote", nargs="?", help="a configured remote (default: origin)")
    p.add_argument("runs", nargs="*", metavar="RUN", help="push only these runs' tags (default: all)")
    p.add_argument("--delete", action="store_true",
                   help="delete these runs' tags on the remote (`push --delete [REMOTE] RUN...`); their commits stay "
                        "on its runs branch, as after a local `rm`")
    _add_format(p)

    p = sub.add_parser("fetch", help="fetch a remote's runs: its run tags and its runs branch")
    p.add_argument("remote", nargs="?", help="a configured remote (default: origin)")
    _add_format(p)

    p = sub.add_parser("log", help="the runs branch, one line per run (first parents only, newest first)")
    p.add_argument("-p", "--patch", action="store_true", help="show what changed in config and code since the previous run")
    p.add_argument("-n", "--max-count", type=int, metavar="N", help="show only the newest N runs")
    _add_format(p)

    p = sub.add_parser("diff", help="compare two runs, or a run and the working tree (exit 1 when they differ)")
    p.add_argument("run_a", metavar="RUN_A", help="a run: NAME, run/NAME or refs/tags/run/NAME")
    p.add_argument("run_b", metavar="RUN_B", nargs="?", help="another run (default: the project's working tree)")
    p.add_argument("more", nargs="*", metavar="RUN", help=argparse.SUPPRESS)
    p.add_argument("--stat", action="store_true", help="only a summary of each section")
    _add_format(p)

    p = sub.add_parser("compare", help="compare many runs side by side: per-algorithm metrics and the parameters that differ")
    p.add_argument("runs", nargs="*", metavar="RUN|PATTERN", help="runs or globs on the name (default: every run)")
    p.add_argument("--all-params", action="store_true", help="show every parameter, not only those that differ")
    p.add_argument("--metric", action="append", metavar="NAME", help="only this metric (MAE) or column (ridge.MAE); repeatable")
    p.add_argument("--sort", default="date", metavar="KEY",
                   help="date (default), name, best (the primary metric, in its own direction), or a metric; "
                        "a leading '-' reverses (--sort -MAE)")
    p.add_argument("--format", choices=("table", "json", "csv"), default="table", help="output format (default: table)")

    p = sub.add_parser("report", help="write the runs as a static site that opens offline (index, run pages, compare)")
    p.add_argument("pattern", nargs="?", help="glob on the run name, e.g. 'base*' (default: every run)")
    p.add_argument("-o", "--output", metavar="DIR",
                   help="report folder (default: results/report of the project, else a new temporary folder)")
    p.add_argument("--serve", action="store_true", help="then serve it on http://127.0.0.1:PORT/ until Ctrl-C")
    p.add_argument("--port", type=int, default=8000, metavar="N", help="port for --serve (default: 8000; 0: any free port)")

    p = sub.add_parser("checkout", help="materialise a run as a new git worktree for inspection")
    _add_run_ref(p)
    p.add_argument("target", metavar="DIR", help="a new (or empty) directory")

    p = sub.add_parser("rm", help="remove runs (their tags)")
    p.add_argument("runs", nargs="+", metavar="RUN", help="runs to remove")
    p.add_argument("--prune-history", action="store_true",
                   help="also drop their commits from the runs branch: later runs are re-committed on top with NEW "
                        "commit ids (same content) and their tags moved; runs already pushed keep their old commits "
                        "on the remote (push never forces); the objects stay in .git until git gc prunes them after "
                        "the reflog expires")

    p = sub.add_parser("gc", help="remove rerun-git's stale worktrees (their process is gone), then git gc --auto")
    p.add_argument("--kept", action="store_true", help="also remove the worktrees kept by `reproduce --keep-worktree`")

    p = sub.add_parser("verify", help="check runs' tag, commit, record and files agree (forged metric lines included)")
    p.add_argument("runs", nargs="*", metavar="RUN", help="runs to verify (default: all)")
    p.add_argument("--all", action="store_true", help="verify every run (the default when no RUN is given)")
    _add_format(p)

    p = sub.add_parser("check-env", help="compare this environment with a run's (exit 1 on a critical difference)")
    _add_run_ref(p)
    p.add_argument("-v", "--verbose", action="store_true", help="also list the non-critical package differences")
    _add_format(p)

    p = sub.add_parser("export-env", help="write a pinned requirements file for a run's environment")
    _add_run_ref(p)
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE (default: standard output)")
    p.add_argument("--include-all", action="store_true", help="pin every recorded package, not only the critical ones")
    p.add_argument("--yes", action="store_true", help="overwrite FILE if it exists")

    _finish_subcommands(sub.choices)
    parser.commands = dict(sub.choices)
    return parser


def _add_color(parser: argparse.ArgumentParser, default: Any) -> None:
    parser.add_argument("--color", default=default, choices=("auto", "always", "never"),
                        metavar="WHEN", help="colour the output: auto (on a terminal, unless NO_COLOR is set; the "
                                             "default), always or never")
    parser.add_argument("--no-color", dest="color", action="store_const", const="never", default=default,
                        help="same as --color=never")


def _finish_subcommands(parsers: dict[str, argparse.ArgumentParser]) -> None:
    """Give every subcommand its description, examples and own usage for errors; colour options where used."""
    for name, p in parsers.items():
        description, examples = HELP.get(name, ("", ()))
        p.description = p.description or description or None
        p.epilog = p.epilog or (examples_epilog(examples) if examples else None)
        p.set_defaults(command_parser=p)
        if name in COLOURED:
            _add_color(p, default=argparse.SUPPRESS)  # SUPPRESS: the global --color stays when not given here


def _add_execution(p: argparse.ArgumentParser) -> None:
    p.add_argument("-j", "--jobs", type=int, metavar="N",
                   help="run N experiment cells at once in worker processes (-1: one per core; "
                        "default: [run] jobs, else 1 = in this process); the numbers do not change")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run the cells on the Dask cluster of this scheduler, e.g. tcp://scheduler-host:8786 "
                        "(default: DASK_SCHEDULER_ADDRESS, else [run] scheduler; needs rerun-git[dask])")


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program is, so every cleanup Ctrl-C runs also runs for it."""


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated()


def _handle_sigterm() -> Callable[[], None]:
    """Make SIGTERM unwind like SIGINT (locks released, worktrees removed), ending with exit code 143.

    Returns what restores the previous handler (``main`` may run inside another program, e.g. the tests).
    """
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    return lambda: signal.signal(signal.SIGTERM, previous)


def _sort_values_joined(argv: list[str]) -> list[str]:
    """``--sort -R2`` as ``--sort=-R2``: argparse would read ``-R2`` as an option."""
    out: list[str] = []
    words = iter(argv)
    for word in words:
        if word == "--":
            out += [word, *words]
            break
        if word == "--sort":
            value = next(words, None)
            out.append(word if value is None else f"--sort={value}")
            continue
        out.append(word)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``rerun-git`` and ``git-rerun``; returns the exit code."""
    restore = _handle_sigterm()
    try:
        return _main(argv)
    finally:
        restore()


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(_sort_values_joined(sys.argv[1:] if argv is None else list(argv)))
    if unknown:  # argparse reports them with the top-level usage; the subcommand's usage helps more
        getattr(args, "command_parser", parser).error(f"unrecognized arguments: {' '.join(unknown)}")
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
        from rerun_git.commands._output import err

        err(f"{PROG}: error: {exc.message}")
        if exc.hint:
            err(f"hint: {exc.hint}")
        return 1
    except Terminated:
        print(f"{PROG}: terminated", file=sys.stderr)
        return 143
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 141
    except OSError as exc:
        print(f"{PROG}: error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        print("hint: check the path and its permissions", file=sys.stderr)
        return 1
