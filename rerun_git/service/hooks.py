"""rerun-git's hooks: the pre-commit and post-run scripts, installing them, and running
the post-run hook after a capture.

The scripts in the repository's ``hooks/`` folder are :func:`hook_script` rendered
with ``python3``; ``rerun-git install-hooks`` renders them with the running
interpreter (``sys.executable``) so a hook started from a GUI without the
virtualenv on ``PATH`` still finds rerun-git.
"""
from __future__ import annotations

import io
import os
import shlex
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rerun_git.errors import RerunError
from rerun_git.store.hooks import MARKER, HookChange, hooks_dir, install_hook_file, uninstall_hook_file
from rerun_git.store.repo import Repo, redirecting_variables

HOOK_NAMES = ("pre-commit", "post-run")
#: Set in a post-run hook's environment; a capture started by the hook does not fire it again.
ACTIVE_VARIABLE = "RERUN_GIT_HOOK"

_CHAIN = """hook_dir=$(dirname -- "$0")
if [ -x "$hook_dir/{name}.legacy" ]; then
    "$hook_dir/{name}.legacy" "$@" || exit $?
fi
"""

_PRE_COMMIT = """#!/bin/sh
{marker} pre-commit: blocks a commit when `rerun-git check` finds a problem in a
# rerun-git project (a folder holding rerun.toml) that the commit touches.
# `git commit --no-verify` skips it. Installed by `rerun-git install-hooks`;
# `rerun-git install-hooks --uninstall` removes it and restores pre-commit.legacy.
RERUN_GIT_PYTHON=${{RERUN_GIT_PYTHON:-{python}}}
{chain}exec "$RERUN_GIT_PYTHON" -m rerun_git check --staged
"""

_POST_RUN = """#!/bin/sh
{marker} post-run: runs after each successful capture, in the project folder, with
# RERUN_RUN, RERUN_TAG, RERUN_COMMIT, RERUN_RESULTS, RERUN_SUMMARY and RERUN_PROJECT
# set. A failure is reported; the run stays captured. Replace it with your own
# command in rerun.toml:  [hooks] post_run = "..."   (post_run = "" turns it off).
{chain}printf 'post-run: %s %.12s %s (results: %s)\\n' "$RERUN_TAG" "$RERUN_COMMIT" "$RERUN_SUMMARY" "${{RERUN_RESULTS:-none}}"
"""

_TEMPLATES = {"pre-commit": _PRE_COMMIT, "post-run": _POST_RUN}


def hook_script(name: str, python: str = "python3") -> str:
    """The text of hook ``name`` (``pre-commit`` or ``post-run``) calling ``python``."""
    if name not in _TEMPLATES:
        raise RerunError(f"unknown hook {name!r}", hint=f"hooks: {', '.join(HOOK_NAMES)}")
    return _TEMPLATES[name].format(marker=MARKER, python=shlex.quote(python), chain=_CHAIN.format(name=name))


def install_hooks(start: Path, names: Sequence[str] = HOOK_NAMES, python: str | None = None) -> list[HookChange]:
    """Install rerun-git's hooks into the hooks folder of the repository containing ``start``.

    Parameters
    ----------
    start : Path
        Any folder of the repository (a linked worktree shares the main hooks folder).
    names : sequence of str
        Which hooks (default: both).
    python : str, optional
        The interpreter the pre-commit hook runs (default: ``sys.executable``).

    Returns
    -------
    list of HookChange
        One per hook; an existing foreign hook is kept as ``<name>.legacy`` and still called.
    """
    folder = hooks_dir(Repo.open(start))
    python = python or sys.executable
    return [install_hook_file(folder, name, hook_script(name, python)) for name in _checked(names)]


def uninstall_hooks(start: Path, names: Sequence[str] = HOOK_NAMES) -> list[HookChange]:
    """Remove rerun-git's hooks and restore the ``.legacy`` hooks they replaced."""
    folder = hooks_dir(Repo.open(start))
    return [uninstall_hook_file(folder, name) for name in _checked(names)]


def _checked(names: Sequence[str]) -> list[str]:
    for name in names:
        hook_script(name)
    return list(dict.fromkeys(names))


# -- post-run -------------------------------------------------------------------------------


@dataclass(frozen=True)
class HookOutcome:
    """How a post-run hook ended: ``returncode`` None when it could not be started."""

    argv: list[str]
    returncode: int | None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def post_run_command(repo: Repo, settings: Any) -> list[str] | None:
    """The post-run hook to run: rerun.toml's ``[hooks] post_run``, else an installed ``post-run``.

    ``post_run = ""`` turns the hook off. The command is split like a shell
    would (``shlex.split``) but never run by a shell.
    """
    command = getattr(settings, "post_run_hook", None)
    if command is not None:
        try:
            return shlex.split(command) or None
        except ValueError as exc:
            raise RerunError(f"rerun.toml: [hooks] post_run cannot be split: {exc}", hint="fix its quoting") from None
    installed = hooks_dir(repo) / "post-run"
    if installed.is_file() and os.access(installed, os.X_OK):
        return [str(installed)]
    return None


def hook_environment(variables: Mapping[str, str]) -> dict[str, str]:
    """The environment of a post-run hook: ours without git's redirecting variables, plus ``variables``."""
    drop = redirecting_variables()
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(variables)
    env[ACTIVE_VARIABLE] = "post-run"
    return env


def run_post_run_hook(
    repo: Repo,
    root: Path,
    settings: Any,
    variables: Mapping[str, str],
    report: Callable[[str], None] | None = None,
) -> HookOutcome | None:
    """Run the post-run hook (if any) in ``root``; a failure is reported, never raised.

    Parameters
    ----------
    repo : Repo
        The repository the run was captured in.
    root : Path
        The project folder (the hook's working directory).
    settings : ProjectSettings
        The project's settings (``post_run_hook``).
    variables : mapping
        ``RERUN_RUN``, ``RERUN_TAG``, ``RERUN_COMMIT``, ``RERUN_RESULTS``, ...
    report : callable, optional
        Receives warning lines (default: printed to stderr).
    """
    report = report or _stderr_line
    if os.environ.get(ACTIVE_VARIABLE):
        return None
    try:
        argv = post_run_command(repo, settings)
    except RerunError as exc:
        report(f"rerun-git: warning: post-run hook not run: {exc.message}")
        return None
    if argv is None:
        return None
    outcome = _spawn(argv, root, hook_environment(variables))
    if not outcome.ok:
        why = outcome.error or f"exit code {outcome.returncode}"
        report(f"rerun-git: warning: post-run hook {shlex.join(argv)} failed ({why}); "
               f"{variables.get('RERUN_TAG', 'the run')} is captured all the same")
    return outcome


def _spawn(argv: list[str], cwd: Path, env: dict[str, str]) -> HookOutcome:
    """Run ``argv`` without a shell; its output goes to our stderr, as git does for hooks."""
    try:
        try:
            fd = sys.stderr.fileno()
        except (AttributeError, io.UnsupportedOperation, ValueError):
            proc = subprocess.run(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            sys.stderr.write(proc.stdout.decode("utf-8", "replace"))
        else:
            sys.stderr.flush()
            proc = subprocess.run(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=fd, stderr=fd)
    except OSError as exc:
        return HookOutcome(argv, None, f"{exc.strerror or exc}: {argv[0]}")
    return HookOutcome(argv, proc.returncode)


def _stderr_line(line: str) -> None:
    print(line, file=sys.stderr)


def after_capture(repo: Repo, root: Path, settings: Any, published: Any, results_dir: Path, summary: str) -> HookOutcome | None:
    """Fire the post-run hook for a run that passed its commit point (``published``)."""
    return run_post_run_hook(repo, root, settings, {
        "RERUN_RUN": published.name,
        "RERUN_TAG": published.tag,
        "RERUN_COMMIT": published.commit,
        "RERUN_RESULTS": str(Path(results_dir).resolve()),
        "RERUN_SUMMARY": summary,
        "RERUN_PROJECT": str(root),
    })
