"""Claiming a run name before training.

A run name is claimed twice: locally, by an exclusive lock file beside its
results folder (two captures in the same project cannot write into the same
``results/<name>``), and finally by the ref transaction's ``create`` of the
tag (the one arbiter across worktrees and clones).
"""
from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from rerun_git.errors import RerunError
from rerun_git.store.worktree import pid_alive

#: ``--name-suffix`` choices: ``never`` fails on a taken name, ``auto`` tries ``<name>-2``, ``<name>-3``, ...
NAME_SUFFIX_CHOICES = ("never", "auto")
MAX_SUFFIX = 99
#: Fresh default names tried when a generated name happens to be taken.
DEFAULT_NAME_ATTEMPTS = 8


# ---------------------------------------------------------------- run names
@dataclass
class ClaimedName:
    """A run name reserved for this process, with its results folder."""

    name: str
    results_dir: Path
    lock: Path

    def release(self) -> None:
        """Drop the lock (the results folder stays)."""
        try:
            self.lock.unlink()
        except FileNotFoundError:
            pass

    def discard(self) -> None:
        """After a failed run: remove what it wrote to ``results/<name>`` (empty or absent when claimed), drop the lock."""
        _remove_tree(self.results_dir)
        self.release()

    @contextlib.contextmanager
    def held(self) -> Iterator[ClaimedName]:
        """Hold the name for a block: released after it, and the results folder discarded when it raises."""
        try:
            yield self
        except BaseException:
            self.discard()
            raise
        self.release()


def _remove_tree(path: Path) -> None:
    import shutil

    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)


def claim_run_name(
    root: Path,
    name: str | None,
    name_suffix: str = "never",
    is_free: Callable[[str], None] | None = None,
    default_name: Callable[[], str] | None = None,
) -> ClaimedName:
    """Reserve a run name and its ``results/<name>`` folder for this process.

    Parameters
    ----------
    root : Path
        The project root.
    name : str or None
        The requested name; ``None`` generates one with ``default_name``
        (another is tried when it happens to be taken).
    name_suffix : {"never", "auto"}
        With ``auto``, a taken name becomes ``<name>-2``, ``<name>-3``, ...
    is_free : callable, optional
        Raises :class:`~rerun_git.store.runs.NameTaken` when the name's tag is
        taken (``None`` when nothing is captured).
    default_name : callable, optional
        Makes a fresh default name.
    """
    from rerun_git.store.runs import NameTaken, default_run_name, validate_run_name

    if name_suffix not in NAME_SUFFIX_CHOICES:
        raise RerunError(f"unknown --name-suffix {name_suffix!r}", hint="use 'never' or 'auto'")
    if name is None:
        make = default_name or default_run_name
        candidates: Iterator[str] = (make() for _ in range(DEFAULT_NAME_ATTEMPTS))
    else:
        validate_run_name(name)
        candidates = _suffixed(name) if name_suffix == "auto" else iter([name])
    taken: NameTaken | None = None
    for candidate in candidates:
        try:
            validate_run_name(candidate)
            if is_free is not None:
                is_free(candidate)
            return _lock_results_dir(root, candidate)
        except NameTaken as exc:
            if name is not None and name_suffix == "never":
                raise
            taken = exc
    assert taken is not None
    raise RerunError(f"no free run name: {taken.message}", hint="choose another --name")


def _suffixed(name: str) -> Iterator[str]:
    yield name
    for i in range(2, MAX_SUFFIX + 1):
        yield f"{name}-{i}"


def _lock_results_dir(root: Path, name: str) -> ClaimedName:
    """Take ``results/<name>`` with an exclusive ``results/.<name>.lock``; it must be absent or empty."""
    from rerun_git.store.runs import NameTaken

    results = root / "results"
    results.mkdir(parents=True, exist_ok=True)
    lock = results / f".{name}.lock"
    try:
        fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        with _take_over_lock(results):  # two claimers seeing the same dead lock: only one may remove it
            if not _take_over_stale(lock, results / name):
                raise _busy(name) from None
            try:
                fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:  # another process took it over first
                raise _busy(name) from None
    with os.fdopen(fd, "w") as handle:
        handle.write(f"{os.getpid()}\n")
    claimed = ClaimedName(name, results / name, lock)
    if claimed.results_dir.exists() and any(claimed.results_dir.iterdir()):
        claimed.release()
        raise NameTaken(f"results/{name} already exists and is not empty",
                        hint="choose another --name (or --name-suffix auto), or remove that folder")
    return claimed


@contextlib.contextmanager
def _take_over_lock(results: Path) -> Iterator[None]:
    """Serialise take-overs of stale name locks in one project (``flock`` on ``results/.claims.lock``).

    Without it, a second claimer that read the dead pid before the first
    took over would remove the first one's fresh lock and results.
    """
    try:
        import fcntl
    except ImportError:  # no flock (Windows): unserialised
        yield
        return
    with open(results / ".claims.lock", "ab") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _lock_owner(lock: Path) -> int:
    try:
        return int(lock.read_text().strip() or 0)
    except (OSError, ValueError):
        return 0


def _take_over_stale(lock: Path, results_dir: Path) -> bool:
    """A lock left by a killed run (its process is gone): remove what that run wrote and the lock; True when done.

    The folder was empty or absent when the dead run claimed it, so everything in it is that run's output.
    """
    pid = _lock_owner(lock)
    if not pid or pid_alive(pid):
        return False
    _remove_tree(results_dir)
    try:
        lock.unlink()
    except FileNotFoundError:
        pass
    return True


def _busy(name: str) -> RerunError:
    from rerun_git.store.runs import NameTaken

    return NameTaken(f"run name {name!r} is taken by another capture running in this project now",
                     hint="choose another --name, or pass --name-suffix auto")
