"""The post-run hook: rerun.toml's ``[hooks] post_run`` or an installed ``post-run``, after each capture."""
from __future__ import annotations

import io
import os
import shlex
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rerun_git.errors import RerunError
from rerun_git.store.hooks import hooks_dir
from rerun_git.store.repo import Repo, redirecting_variables
#: Set in a post-run hook's environment; a capture started by the hook does not fire it again.
ACTIVE_VARIABLE = "RERUN_GIT_HOOK"


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

