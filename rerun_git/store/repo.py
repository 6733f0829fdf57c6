"""Open a repository from a path, and the one place that starts git processes.

Every git process rerun-git starts goes through :func:`start_git` (or
:func:`run_git`, which waits for it): one environment, cleaned by git's own
list of the variables that redirect it (``git rev-parse --local-env-vars``),
and one error path whose message names the git subcommand.
"""
from __future__ import annotations

import functools
import os
import stat
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import IO, Any

from rerun_git.errors import RerunError

#: Variables from git's ``--local-env-vars`` that are passed through: the user's
#: ``git -c`` settings when rerun-git is run as ``git rerun``.
ALLOWED_GIT_VARIABLES = frozenset({"GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT"})
#: ``core.sharedRepository`` values (``git init --shared``) and the permission bits they add.
_SHARED_NAMES = {"group": 0o660, "true": 0o660, "1": 0o660, "all": 0o664, "world": 0o664, "everybody": 0o664, "2": 0o664}
_NOT_INSTALLED = "git is not installed or not on PATH"


@functools.cache
def local_env_vars() -> frozenset[str]:
    """The variables git itself lists as redirecting a repository (read once per process)."""
    bare = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    try:
        proc = subprocess.run(["git", "rev-parse", "--local-env-vars"], capture_output=True, env=bare)
    except FileNotFoundError as exc:
        raise RerunError(_NOT_INSTALLED, hint="install git 2.30 or newer") from exc
    if proc.returncode != 0:
        raise GitFailed(["rev-parse", "--local-env-vars"], proc)
    return frozenset(proc.stdout.decode().split())


def redirecting_variables() -> frozenset[str]:
    """What is stripped from every git process's (and the post-run hook's) environment."""
    return local_env_vars() - ALLOWED_GIT_VARIABLES


def clean_environment(overrides: Mapping[str, str] = (), prompt: bool = False) -> dict[str, str]:
    """``os.environ`` without git's redirecting variables, plus ``overrides``.

    ``prompt`` keeps git's credential prompt as the user has it (push, fetch).
    """
    drop = redirecting_variables()
    env = {k: v for k, v in os.environ.items() if k not in drop}
    if not prompt:
        env["GIT_TERMINAL_PROMPT"] = "0"
    env.setdefault("LC_ALL", "C")
    env.update(overrides)
    return env


def start_git(
    args: Sequence[str],
    cwd: Path,
    *,
    stdin: int | IO[bytes] | None = None,
    stdout: int | IO[bytes] | None = subprocess.PIPE,
    stderr: int | IO[bytes] | None = subprocess.PIPE,
    env: Mapping[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """Start ``git <args>`` in ``cwd`` (default: the clean environment) without waiting for it."""
    try:
        return subprocess.Popen(["git", *args], cwd=cwd, stdin=stdin, stdout=stdout, stderr=stderr,
                                env=dict(env) if env is not None else clean_environment())
    except FileNotFoundError as exc:
        raise RerunError(_NOT_INSTALLED, hint="install git 2.30 or newer") from exc


def run_git(
    args: Sequence[str],
    cwd: Path,
    *,
    input: bytes | None = None,
    check: bool = True,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run ``git <args>`` in ``cwd`` and wait; a failure becomes a :class:`GitFailed` (when ``check``)."""
    proc = start_git(args, cwd, stdin=subprocess.PIPE if input is not None else None, env=env)
    return finish(proc, args, input, check)


def finish(proc: subprocess.Popen[bytes], args: Sequence[str], input: bytes | None = None,
           check: bool = True) -> subprocess.CompletedProcess[bytes]:
    """Wait for a git process of :func:`start_git`; a failure becomes a :class:`GitFailed` (when ``check``)."""
    out, err = proc.communicate(input)
    done = subprocess.CompletedProcess(["git", *args], proc.returncode, out or b"", err or b"")
    if check and done.returncode != 0:
        raise GitFailed(args, done)
    return done


class PendingGit:
    """A git process started by :meth:`Repo.start`, running while the caller does other work."""

    def __init__(self, args: Sequence[str], cwd: Path, input: bytes | None = None,
                 env: Mapping[str, str] | None = None) -> None:
        self.args = list(args)
        self._input = input
        self._done: subprocess.CompletedProcess[bytes] | None = None
        self._proc = start_git(self.args, cwd, stdin=subprocess.PIPE if input is not None else None, env=env)

    def result(self, check: bool = True) -> subprocess.CompletedProcess[bytes]:
        """Wait for the process; like :func:`run_git`, a failure becomes a :class:`GitFailed`."""
        if self._done is None:
            self._done = finish(self._proc, self.args, self._input, check=False)
        if check and self._done.returncode != 0:
            raise GitFailed(self.args, self._done)
        return self._done


def subcommand(args: Sequence[str]) -> str:
    """The git subcommand in ``args``, past global options such as ``-c key=value``."""
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in ("-c", "-C", "--git-dir", "--work-tree"):
            skip = True
        elif not arg.startswith("-"):
            return arg
    return args[0] if args else "(none)"


class GitFailed(RerunError):
    """A git command exited non-zero; the message names its subcommand and git's last line."""

    def __init__(self, args: Sequence[str], proc: subprocess.CompletedProcess[bytes]) -> None:
        stderr = (proc.stderr or b"").decode("utf-8", "replace").strip()
        last = stderr.splitlines()[-1] if stderr else f"exit code {proc.returncode}"
        super().__init__(f"git {subcommand(args)} failed: {last}",
                         hint="run the same git command by hand to see all of its output")
        self.stderr = stderr
        self.returncode = proc.returncode


def _not_a_work_tree(path: Path) -> RerunError:
    bare = run_git(["rev-parse", "--is-bare-repository"], path, check=False)
    if bare.returncode == 0 and bare.stdout.strip() == b"true":
        return RerunError(
            f"{path} is a bare repository; rerun-git needs a working tree",
            hint="clone it (`git clone <bare> <dir>`) and run rerun-git in the clone",
        )
    return RerunError(
        f"not inside a git repository: {path}",
        hint="run `git init` there first, or `rerun-git create NAME` to start a project",
    )


_OPEN_ARGS = ["rev-parse", "--absolute-git-dir", "--git-common-dir", "--show-object-format", "--show-toplevel",
              "--git-path", "hooks"]


@dataclass(frozen=True)
class Repo:
    """A non-bare git repository with a working tree.

    Attributes
    ----------
    top : Path
        The working tree's top level.
    git_dir : Path
        This working tree's git dir (differs from ``common_dir`` in a linked worktree).
    common_dir : Path
        The shared git dir holding objects and refs.
    object_format : str
        ``sha1`` or ``sha256``.
    hooks : Path
        The folder git runs hooks from (``core.hooksPath`` honoured), as read by :meth:`open`.
    env : tuple
        ``(name, value)`` pairs every git call of this repository gets: ``GIT_DIR`` and
        ``GIT_WORK_TREE`` when the user set them for a repository with a separate git dir.
    """

    top: Path
    git_dir: Path
    common_dir: Path
    object_format: str
    hooks: Path
    env: tuple[tuple[str, str], ...] = field(default=())

    @classmethod
    def open(cls, path: Path | str = ".") -> Repo:
        """Open the repository containing ``path``.

        ``GIT_DIR`` / ``GIT_WORK_TREE`` of the caller's environment are ignored
        where ``path`` is inside a repository of its own (a git hook's
        variables never redirect rerun-git); they are used when ``path`` is in
        no repository but inside ``GIT_WORK_TREE``; otherwise refused.
        """
        path = Path(path).resolve()
        if not path.is_dir():
            raise RerunError(f"no such directory: {path}")
        proc = run_git(_OPEN_ARGS, path, check=False)
        if proc.returncode == 0:
            return cls._from_rev_parse(path, proc.stdout, ())
        explicit = users_git_dir()
        if explicit is None:
            raise _not_a_work_tree(path)
        return cls._open_explicit(path, *explicit)

    @classmethod
    def _open_explicit(cls, path: Path, git_dir: Path, work_tree: Path | None) -> Repo:
        if work_tree is None or not path.is_relative_to(work_tree):
            where = f"GIT_WORK_TREE={work_tree}" if work_tree else "no GIT_WORK_TREE"
            raise RerunError(f"GIT_DIR={git_dir} is set, with {where}, and {path} is in no repository of its own",
                             hint="set GIT_WORK_TREE to the working tree holding this folder too, or unset GIT_DIR")
        env = (("GIT_DIR", str(git_dir)), ("GIT_WORK_TREE", str(work_tree)))
        proc = run_git(_OPEN_ARGS, path, check=False, env=clean_environment(dict(env)))
        if proc.returncode != 0:
            raise RerunError(f"GIT_DIR={git_dir} is not a git repository", hint="fix or unset GIT_DIR")
        return cls._from_rev_parse(path, proc.stdout, env)

    @classmethod
    def _from_rev_parse(cls, path: Path, out: bytes, env: tuple[tuple[str, str], ...]) -> Repo:
        git_dir, common_dir, object_format, top, hooks, *_ = out.decode().splitlines()
        return cls(
            top=Path(top).resolve(),
            git_dir=Path(git_dir),
            common_dir=(path / common_dir).resolve(),
            object_format=object_format,
            hooks=Path(hooks) if Path(hooks).is_absolute() else (path / hooks).resolve(),  # relative to ``path``
            env=env,
        )

    @cached_property
    def _env(self) -> dict[str, str] | None:
        return clean_environment(dict(self.env)) if self.env else None

    def environment(self, prompt: bool = False) -> dict[str, str]:
        """The environment git runs with for this repository."""
        return clean_environment(dict(self.env), prompt=prompt)

    def git(self, *args: str, input: bytes | None = None, check: bool = True) -> subprocess.CompletedProcess[bytes]:
        """Run git in this repository's top level."""
        return run_git(args, self.top, input=input, check=check, env=self._env)

    def start(self, *args: str, input: bytes | None = None) -> PendingGit:
        """Start git in this repository's top level without waiting for it (see :meth:`PendingGit.result`)."""
        return PendingGit(args, self.top, input=input, env=self._env)

    def popen(self, *args: str, **streams: Any) -> subprocess.Popen[bytes]:
        """Start git in the top level with the given ``stdin`` / ``stdout`` / ``stderr``."""
        return start_git(args, self.top, env=self._env, **streams)

    def text(self, *args: str, input: bytes | None = None) -> str:
        """Run git and return its stdout, decoded and stripped."""
        return self.git(*args, input=input).stdout.decode("utf-8", "replace").strip()

    @property
    def hash_length(self) -> int:
        """Hex digits of an object id in this repository (40 for SHA-1, 64 for SHA-256)."""
        return 40 if self.object_format == "sha1" else 64

    @property
    def zero_id(self) -> str:
        """The all-zero object id (``update-ref``'s "must not exist") in this repository's length."""
        return "0" * self.hash_length

    def resolve_revisions(self, *revisions: str) -> list[str | None]:
        """Resolve several revisions in one git call; ``None`` for a missing one."""
        payload = "".join(f"{rev}\n" for rev in revisions).encode()
        out = self.git("cat-file", "--batch-check=%(objectname) %(objecttype)", input=payload).stdout.decode()
        resolved: list[str | None] = []
        for line in out.splitlines():
            parts = line.split()
            resolved.append(parts[0] if len(parts) == 2 and parts[1] != "missing" else None)
        return resolved

    def start_config(self, key: str) -> PendingGit:
        """Start reading one git config value (``git config --get``); see :func:`config_value`."""
        return self.start("config", "--get", key)

    @cached_property
    def rerun_dir(self) -> Path:
        """rerun-git's private folder inside the common git dir."""
        return self.common_dir / "rerun-git"

    def relative_to_top(self, path: Path) -> str:
        """POSIX path of ``path`` relative to the top level ('' for the top)."""
        rel = path.resolve().relative_to(self.top)
        return "" if str(rel) == "." else rel.as_posix()


def shared_permissions(value: str | None) -> tuple[int, bool] | None:
    """``(bits, exact)`` for a ``core.sharedRepository`` value, as git reads it; ``None``: the umask alone.

    ``group``/``true`` add 0o660, ``all``/``world``/``everybody`` 0o664; an octal
    ``0xxx`` is exactly those bits (``exact``).
    """
    value = (value or "").strip().lower()
    if value in _SHARED_NAMES:
        return _SHARED_NAMES[value], False
    if len(value) > 1 and value.startswith("0") and all(c in "01234567" for c in value):
        return int(value, 8), True
    return None  # umask, false, 0, unset


def shared_mode(mode: int, shared: tuple[int, bool], directory: bool = False) -> int:
    """The mode git gives a file or folder of ``mode`` in a shared repository (git's ``adjust_shared_perm``)."""
    bits, exact = shared
    if not mode & stat.S_IWUSR:
        bits &= ~0o222
    if mode & stat.S_IXUSR:
        bits |= (bits & 0o444) >> 2
    new = (mode & ~0o777) | bits if exact else mode | bits
    return new | stat.S_ISGID if directory else new


def config_value(pending: PendingGit) -> str | None:
    """The value a :meth:`Repo.start_config` read, ``None`` when unset."""
    proc = pending.result(check=False)
    return proc.stdout.decode("utf-8", "replace").strip() if proc.returncode == 0 else None


def users_git_dir() -> tuple[Path, Path | None] | None:
    """``(GIT_DIR, GIT_WORK_TREE or None)`` from the caller's environment, absolute; ``None`` when unset."""
    git_dir = os.environ.get("GIT_DIR")
    if not git_dir:
        return None
    work_tree = os.environ.get("GIT_WORK_TREE")
    return Path(git_dir).resolve(), Path(work_tree).resolve() if work_tree else None


def init_repo(path: Path) -> None:
    """``git init`` a new repository at ``path``; refused while ``GIT_DIR`` points elsewhere.

    A repository started under a user's ``GIT_DIR`` would be nested and
    unseen by their git: never made silently.
    """
    explicit = users_git_dir()
    if explicit is not None:
        raise RerunError(f"GIT_DIR={explicit[0]} is set, so a new repository at {path} would be hidden from it",
                         hint="unset GIT_DIR and GIT_WORK_TREE to start a new repository, "
                              "or create the project inside GIT_WORK_TREE")
    run_git(["init", "--quiet", "--", str(path)], path)
