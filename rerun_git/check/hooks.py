"""rerun-git's hook scripts (pre-commit, post-run) and installing them.

The scripts in the repository's ``hooks/`` folder are :func:`hook_script` rendered
with ``python3``; ``rerun-git install-hooks`` renders them with the running
interpreter (``sys.executable``) so a hook started from a GUI without the
virtualenv on ``PATH`` still finds rerun-git.
"""
from __future__ import annotations

import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from rerun_git.errors import RerunError
from rerun_git.store.hooks import MARKER, HookChange, hooks_dir, install_hook_file, uninstall_hook_file
from rerun_git.store.repo import Repo

HOOK_NAMES = ("pre-commit", "post-run")

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

