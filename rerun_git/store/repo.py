"""Open a repository from a path and run git in a clean environment."""
from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from rerun_git.errors import RerunError

#: Variables a calling git hook (or the user) may set that would redirect
#: our reads and writes; git is always run without them.
REDIRECTING_VARIABLES = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
    "GIT_PREFIX",
    "GIT_QUARANTINE_PATH",
)

ZERO_SHA = "0" * 40


def clean_environment() -> dict[str, str]:
    """Return ``os.environ`` without the variables that redirect git."""
    env = {k: v for k, v in os.environ.items() if k not in REDIRECTING_VARIABLES}
    env["GIT_TERMINAL_PROMPT"] = "0"
    env.setdefault("LC_ALL", "C")
    return env


def run_git(
    args: list[str],
    cwd: Path,
    *,
    input: bytes | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[bytes]:
    """Run ``git <args>`` in ``cwd``; a failure becomes a :class:`RerunError`."""
    try:
        proc = subprocess.run(
            ["git", *args],
            cwd=cwd,
            input=input,
            capture_output=True,
            env=clean_environment(),
        )
    except FileNotFoundError as exc:
        raise RerunError("git is not installed or not on PATH", hint="install git 2.30 or newer") from exc
    if check and proc.returncode != 0:
        raise GitFailed(args, proc)
    return proc


class PendingGit:
    """A git process started by :meth:`Repo.start`, running while the caller does other work."""

    def __init__(self, args: list[str], cwd: Path, input: bytes | None = None) -> None:
        self.args = args
        self._input = input
        self._done: subprocess.CompletedProcess[bytes] | None = None
        try:
            self._proc = subprocess.Popen(
                ["git", *args],
                cwd=cwd,
                stdin=subprocess.PIPE if input is not None else None,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=clean_environment(),
            )
        except FileNotFoundError as exc:
            raise RerunError("git is not installed or not on PATH", hint="install git 2.30 or newer") from exc

    def result(self, check: bool = True) -> subprocess.CompletedProcess[bytes]:
        """Wait for the process; like :func:`run_git`, a failure becomes a :class:`RerunError`."""
        if self._done is None:
            out, err = self._proc.communicate(self._input)
            self._done = subprocess.CompletedProcess(["git", *self.args], self._proc.returncode, out, err)
        if check and self._done.returncode != 0:
            raise GitFailed(self.args, self._done)
        return self._done


class GitFailed(RerunError):
    """A git command exited non-zero."""

    def __init__(self, args: list[str], proc: subprocess.CompletedProcess[bytes]) -> None:
        stderr = proc.stderr.decode("utf-8", "replace").strip()
        last = stderr.splitlines()[-1] if stderr else f"exit code {proc.returncode}"
        super().__init__(f"git {args[0]} failed: {last}", hint="run the same git command by hand to see all of its output")
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
    """

    top: Path
    git_dir: Path
    common_dir: Path
    object_format: str
    hooks: Path

    @classmethod
    def open(cls, path: Path | str = ".") -> Repo:
        """Open the repository containing ``path``."""
        path = Path(path).resolve()
        if not path.is_dir():
            raise RerunError(f"no such directory: {path}")
        proc = run_git(
            ["rev-parse", "--absolute-git-dir", "--git-common-dir", "--show-object-format", "--show-toplevel",
             "--git-path", "hooks"],
            path,
            check=False,
        )
        if proc.returncode != 0:
            raise _not_a_work_tree(path)
        git_dir, common_dir, object_format, top, hooks = proc.stdout.decode().splitlines()[:5]
        return cls(
            top=Path(top).resolve(),
            git_dir=Path(git_dir),
            common_dir=(path / common_dir).resolve(),
            object_format=object_format,
            hooks=Path(hooks) if Path(hooks).is_absolute() else (path / hooks).resolve(),  # relative to ``path``
        )

    def git(self, *args: str, input: bytes | None = None, check: bool = True) -> subprocess.CompletedProcess[bytes]:
        """Run git in this repository's top level."""
        return run_git(list(args), self.top, input=input, check=check)

    def start(self, *args: str, input: bytes | None = None) -> PendingGit:
        """Start git in this repository's top level without waiting for it (see :meth:`PendingGit.result`)."""
        return PendingGit(list(args), self.top, input=input)

    def text(self, *args: str, input: bytes | None = None) -> str:
        """Run git and return its stdout, decoded and stripped."""
        return self.git(*args, input=input).stdout.decode("utf-8", "replace").strip()

    def resolve_revisions(self, *revisions: str) -> list[str | None]:
        """Resolve several revisions in one git call; ``None`` for a missing one."""
        payload = "".join(f"{rev}\n" for rev in revisions).encode()
        out = self.git("cat-file", "--batch-check=%(objectname) %(objecttype)", input=payload).stdout.decode()
        resolved: list[str | None] = []
        for line in out.splitlines():
            parts = line.split()
            resolved.append(parts[0] if len(parts) == 2 and parts[1] != "missing" else None)
        return resolved

    @cached_property
    def rerun_dir(self) -> Path:
        """rerun-git's private folder inside the common git dir."""
        return self.common_dir / "rerun-git"

    def relative_to_top(self, path: Path) -> str:
        """POSIX path of ``path`` relative to the top level ('' for the top)."""
        rel = path.resolve().relative_to(self.top)
        return "" if str(rel) == "." else rel.as_posix()


def init_repo(path: Path) -> None:
    """``git init`` a new repository at ``path``."""
    run_git(["init", "--quiet", "--", str(path)], path)
