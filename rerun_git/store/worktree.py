"""Snapshot worktrees that rerun-git owns: create, lock, remove, garbage-collect."""
from __future__ import annotations

import os
import re
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from rerun_git.store.repo import Repo

LOCK_REASON_PREFIX = "rerun-git pid="
#: The lock reason of a worktree kept by ``reproduce --keep-worktree``: never stale, removed by ``gc --kept``.
KEPT_REASON = "rerun-git kept (remove with `rerun-git gc --kept` or `git worktree remove`)"


@dataclass(frozen=True)
class WorktreeEntry:
    """One entry of ``git worktree list --porcelain``."""

    path: Path
    locked_reason: str | None

    @property
    def owner_pid(self) -> int | None:
        """The pid of the rerun-git process that owns it, if rerun-git created it."""
        reason = self.locked_reason or ""
        if not reason.startswith(LOCK_REASON_PREFIX):
            return None
        try:
            return int(reason[len(LOCK_REASON_PREFIX):])
        except ValueError:
            return None


def worktrees_root(repo: Repo) -> Path:
    return repo.rerun_dir / "worktrees"


@contextmanager
def worktree_lock(repo: Repo) -> Iterator[None]:
    """Serialise rerun-git's own ``git worktree`` calls in one repository.

    ``git worktree add`` writes a new worktree's admin files non-atomically;
    any ``git worktree`` command reading them in that moment dies ("failed to
    read .../commondir"), which concurrent reproductions hit. The lock is an
    ``flock``: the kernel releases it when its holder dies, so it never goes stale.
    """
    try:
        import fcntl
    except ImportError:  # no flock (Windows): unserialised
        yield
        return
    repo.rerun_dir.mkdir(parents=True, exist_ok=True)
    with open(repo.rerun_dir / "worktrees.lock", "ab") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def add_worktree(repo: Repo, commit: str, label: str, parent: Path | None = None, keep: bool = False) -> Path:
    """Check ``commit`` out, detached and locked with our pid (or as kept, with ``keep``), into a fresh directory.

    ``label`` (a run name) only names the folder: it is reduced to safe
    characters, so it can never point outside ``parent``. A kept worktree is
    never stale: only ``gc --kept`` (:func:`remove_kept_worktrees`) or the
    user's ``git worktree remove`` removes it.
    """
    base = parent if parent is not None else worktrees_root(repo)
    base.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9._+-]", "_", label).lstrip(".-")[:60] or "run"
    path = base / f"{safe}-{secrets.token_hex(3)}"
    with worktree_lock(repo):
        repo.git(
            "-c", "core.hooksPath=/dev/null",  # the user's post-checkout hook is not ours to run
            "worktree", "add", "--detach", "--lock", "--reason", KEPT_REASON if keep else f"{LOCK_REASON_PREFIX}{os.getpid()}",
            "--", str(path), commit,
        )
    return path


def remove_worktree(repo: Repo, path: Path) -> None:
    """Remove one worktree of ours (locked or not, present or already deleted)."""
    with worktree_lock(repo):
        repo.git("worktree", "remove", "--force", "--force", "--", str(path), check=False)
    if path.exists():
        shutil.rmtree(path, ignore_errors=True)


def list_worktrees(repo: Repo) -> list[WorktreeEntry]:
    with worktree_lock(repo):
        out = repo.git("worktree", "list", "--porcelain", "-z").stdout.decode("utf-8", "surrogateescape")
    entries: list[WorktreeEntry] = []
    path: Path | None = None
    reason: str | None = None
    for line in out.split("\0"):
        if line.startswith("worktree "):
            path, reason = Path(line[len("worktree "):]), None
        elif line == "locked" or line.startswith("locked "):
            reason = line[len("locked "):] if line.startswith("locked ") else ""
        elif line == "" and path is not None:
            entries.append(WorktreeEntry(path, reason))
            path = None
    return entries


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists on this machine."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stale_worktrees(repo: Repo) -> list[WorktreeEntry]:
    """rerun-git's own worktrees whose owning process is gone; never anyone else's."""
    return [
        entry for entry in list_worktrees(repo)
        if entry.owner_pid is not None and entry.owner_pid != os.getpid() and not pid_alive(entry.owner_pid)
    ]


def remove_stale_worktrees(repo: Repo) -> list[Path]:
    return _remove_each(repo, stale_worktrees(repo))


def kept_worktrees(repo: Repo) -> list[WorktreeEntry]:
    """Worktrees kept by ``reproduce --keep-worktree`` (still registered with git)."""
    return [entry for entry in list_worktrees(repo) if entry.locked_reason == KEPT_REASON]


def remove_kept_worktrees(repo: Repo) -> list[Path]:
    return _remove_each(repo, kept_worktrees(repo))


def _remove_each(repo: Repo, entries: list[WorktreeEntry]) -> list[Path]:
    """Remove each of ``entries`` by its own path (never ``git worktree prune``); return the paths."""
    for entry in entries:
        remove_worktree(repo, entry.path)
    return [entry.path for entry in entries]


def add_inspection_worktree(repo: Repo, commit: str, path: Path) -> Path:
    """Check ``commit`` out, detached and unlocked, at ``path`` for the user to inspect (``rerun-git checkout``).

    Not locked with rerun-git's reason, so ``rerun-git gc`` never removes it;
    the user removes it with ``git worktree remove``.
    """
    with worktree_lock(repo):
        repo.git("-c", "core.hooksPath=/dev/null", "worktree", "add", "--detach", "--", str(path), commit)
    return path
