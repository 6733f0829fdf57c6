"""``checkout``, ``rm`` and ``gc``: a run into a folder, runs removed, rerun-git's worktrees cleaned."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rerun_git.browse.listing import open_runs
from rerun_git.errors import RerunError
from rerun_git.record.run_record import load_record
from rerun_git.store.runs import RunInfo, resolve_run

if TYPE_CHECKING:
    from rerun_git.browse.changes import CheckedOut, RemovedRuns
    from rerun_git.store.repo import Repo
    from rerun_git.store.runs import RefSettings


# ---------------------------------------------------------------- checkout, rm, gc
def checkout_run(name: str, directory: Path | str, path: Path | str = ".") -> CheckedOut:
    """Check run ``name`` out into the new (or empty) folder ``directory`` as a detached git worktree.

    The snapshot passes the checks ``reproduce`` makes before anything is
    written (only listed regular files, no symbolic link, no path out of the
    project, no ``.git*``), and its checked-out bytes are verified. On any
    failure the worktree is removed; an empty folder the user named stays.
    The worktree is not locked: remove it with ``git worktree remove DIR``.
    Datasets too large to be embedded in the run are listed in
    ``missing_datasets`` (they are not in the snapshot).
    """
    from rerun_git.browse.changes import CheckedOut
    from rerun_git.record.provenance import provenance_lines, run_origin
    from rerun_git.record.validation import check_snapshot_layout, check_snapshot_sizes, verify_checkout
    from rerun_git.settings import settings_near
    from rerun_git.store.runs import list_tree
    from rerun_git.store.tree_sizes import tree_blob_sizes
    from rerun_git.store.worktree import add_inspection_worktree, remove_worktree

    repo, refs = open_runs(path)
    run = resolve_run(repo, refs, name)
    target = (Path(path) / directory).resolve() if not Path(directory).is_absolute() else Path(directory)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise RerunError(f"{directory} already exists and is not empty", hint="give a new directory to check the run out into")
    record = load_record(repo, run)
    check_snapshot_layout(record, list_tree(repo, run.commit), run.tag)
    settings = settings_near(path)
    check_snapshot_sizes(tree_blob_sizes(repo, run.commit), run.tag, settings.embed_datasets_max_mb, settings.max_kept_mb)
    provenance = provenance_lines(run_origin(repo, refs, run), record.created, record.dirty)
    users_folder = target.stat().st_mode if target.is_dir() else None
    try:
        checkout = add_inspection_worktree(repo, run.commit, target)
        verify_checkout(record, target, run.tag)
    except BaseException:
        remove_worktree(repo, target)
        if users_folder is not None:  # git removes the folder it checked out into; it was the user's
            target.mkdir(parents=True, exist_ok=True)
            target.chmod(users_folder & 0o7777)
        raise
    missing = [key for key, d in record.datasets.items() if not d.get("embedded")]
    return CheckedOut(run, target, missing, provenance, checkout.filtered)


def remove_runs(names: list[str], path: Path | str = ".", prune_history: bool = False) -> RemovedRuns:
    """Remove the tags of the named runs, all in one ref transaction (nothing is removed if a name is unknown).

    The runs branch keeps their commits unless ``prune_history``: then their
    commits are dropped from the branch and later runs re-committed on top
    (new commit ids, same content; their tags move to the new commits).
    """
    from rerun_git.browse.changes import RemovedRuns
    from rerun_git.store.history import prune_runs
    from rerun_git.store.runs import delete_tags

    repo, refs = open_runs(path)
    runs: dict[str, RunInfo] = {}
    for name in names:
        run = _untagged_run(repo, refs, name) if prune_history else None
        run = run or resolve_run(repo, refs, name)
        runs.setdefault(run.name, run)
    chosen = list(runs.values())
    if not prune_history:
        delete_tags(repo, refs, chosen)
        return RemovedRuns(chosen, False, [], False)
    result = prune_runs(repo, refs, chosen)
    return RemovedRuns(chosen, True, result.rewritten, result.branch_deleted)


def _untagged_run(repo: Repo, refs: RefSettings, name: str) -> RunInfo | None:
    """A run removed by ``rm`` whose commit is still on the runs branch (``log`` shows it untagged), else None."""
    from rerun_git.store.history import runs_branch_log, tagged_runs

    short = name.removeprefix("refs/tags/").removeprefix(refs.tag_prefix)
    if short in {tag for tag, _commit in tagged_runs(repo, refs)}:
        return None
    for entry in runs_branch_log(repo, refs, remote=False):
        if entry.name == short:
            return RunInfo(short, refs.tag_prefix + short, entry.commit, entry.timestamp, entry.subject)
    return None


def gc(path: Path | str = ".", kept: bool = False) -> list[Path]:
    """Remove rerun-git's own stale worktrees (their process is gone), then ``git gc --auto``; return the removed paths.

    Worktrees kept by ``reproduce --keep-worktree`` stay, unless ``kept``.
    """
    from rerun_git.store.history import gc_auto
    from rerun_git.store.repo import Repo
    from rerun_git.store.worktree import remove_kept_worktrees, remove_stale_worktrees

    repo = Repo.open(path)
    removed = remove_stale_worktrees(repo) + (remove_kept_worktrees(repo) if kept else [])
    gc_auto(repo)
    return removed

