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

from rerun_git.store.objects import blob_id_of_file
from rerun_git.store.reader import read_blobs
from rerun_git.store.repo import Repo
from rerun_git.store.runs import NO_HOOKS, list_tree

LOCK_REASON_PREFIX = "rerun-git pid="
#: rerun-git's own worktrees hold every file of the snapshot: no sparse checkout, no line-ending
#: conversion (the few bytes a ``.gitattributes`` rule or filter still changes are put back afterwards).
FULL_CHECKOUT = ("-c", "core.sparseCheckout=false", "-c", "core.sparseCheckoutCone=false",
                 "-c", "core.autocrlf=false", "-c", "core.eol=lf", "-c", "core.safecrlf=false")
_FILE_MODES = {"100644": 0o644, "100755": 0o755}


@dataclass(frozen=True)
class Checkout:
    """A snapshot checked out by rerun-git, byte for byte as stored in git.

    ``restored``: files git's checkout changed (line endings, filters) or left out (sparse
    patterns), written again from their blobs. ``filtered``: those of them with a ``filter``
    attribute (git-lfs and the like), which now hold what git stores, not what the filter makes.
    """

    path: Path
    restored: tuple[str, ...] = ()
    filtered: tuple[str, ...] = ()
#: The lock reason of a worktree kept by ``reproduce --keep-worktree``: never stale, removed by ``gc --kept``.
KEPT_REASON = "rerun-git kept (remove with `rerun-git gc --kept` or `git worktree remove`)"


@dataclass(frozen=True)
class WorktreeEntry:
    """One entry of ``git worktree list --porcelain``."""

    path: Path
    locked_reason: str | None
    #: the branch checked out there (``refs/heads/...``, also when still unborn); None when detached
    branch: str | None = None

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


def add_worktree(repo: Repo, commit: str, label: str, parent: Path | None = None, keep: bool = False) -> Checkout:
    """Check ``commit`` out, detached, locked with our pid (or as kept, with ``keep``) and byte-exact
    (:class:`Checkout`), into a fresh directory.

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
            *NO_HOOKS, *FULL_CHECKOUT,  # the user's post-checkout hook is not ours to run
            "worktree", "add", "--detach", "--lock", "--reason", KEPT_REASON if keep else f"{LOCK_REASON_PREFIX}{os.getpid()}",
            "--", str(path), commit,
        )
    return restore_exact_bytes(repo, path, commit)


def restore_exact_bytes(repo: Repo, path: Path, commit: str) -> Checkout:
    """Make every regular file of ``commit`` under ``path`` hold its blob's bytes, and say which had to be written."""
    wrong = []
    for mode, sha, rel in list_tree(repo, commit):
        if mode in _FILE_MODES:
            file = path / rel
            if file.is_symlink() or not file.is_file() or blob_id_of_file(file, repo.object_format) != sha:
                wrong.append((mode, sha, rel))
    if not wrong:
        return Checkout(path)
    for (mode, _sha, rel), data in zip(wrong, read_blobs(repo, [sha for _mode, sha, _rel in wrong])):
        file = path / rel
        file.parent.mkdir(parents=True, exist_ok=True)
        if file.is_symlink():
            file.unlink()
        file.write_bytes(data or b"")
        file.chmod(_FILE_MODES[mode])
    restored = tuple(rel for _mode, _sha, rel in wrong)
    return Checkout(path, restored, tuple(_with_filter(repo, path, restored)))


def _with_filter(repo: Repo, path: Path, paths: tuple[str, ...]) -> list[str]:
    """Those of ``paths`` that a ``filter`` attribute applies to (``git check-attr``)."""
    payload = b"".join(p.encode("utf-8", "surrogateescape") + b"\0" for p in paths)
    out = repo.git("-C", str(path), "check-attr", "-z", "--stdin", "filter", input=payload).stdout
    fields = out.decode("utf-8", "surrogateescape").split("\0")
    return [fields[i] for i in range(0, len(fields) - 2, 3) if fields[i + 2] not in ("unspecified", "unset")]


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
    branch: str | None = None
    for line in out.split("\0"):
        if line.startswith("worktree "):
            path, reason, branch = Path(line[len("worktree "):]), None, None
        elif line.startswith("branch "):
            branch = line[len("branch "):]
        elif line == "locked" or line.startswith("locked "):
            reason = line[len("locked "):] if line.startswith("locked ") else ""
        elif line == "" and path is not None:
            entries.append(WorktreeEntry(path, reason, branch))
            path = None
    return entries


def checked_out_at(repo: Repo, branch_ref: str) -> Path | None:
    """The worktree (the main one or a linked one) where ``branch_ref`` is checked out, if any."""
    return next((entry.path for entry in list_worktrees(repo) if entry.branch == branch_ref), None)


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


def add_inspection_worktree(repo: Repo, commit: str, path: Path) -> Checkout:
    """Check ``commit`` out, detached, unlocked and byte-exact, at ``path`` for the user to inspect (``rerun-git checkout``).

    Not locked with rerun-git's reason, so ``rerun-git gc`` never removes it;
    the user removes it with ``git worktree remove``.
    """
    with worktree_lock(repo):
        repo.git(*NO_HOOKS, *FULL_CHECKOUT, "worktree", "add", "--detach", "--", str(path), commit)
    return restore_exact_bytes(repo, path, commit)
