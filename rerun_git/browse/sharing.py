"""``push`` and ``fetch``: runs through any git remote, with explicit refspecs, never forced."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from rerun_git.browse.listing import open_runs
from rerun_git.store.remote import RefUpdate, delete_remote_runs, fetch_runs, push_runs, resolve_remote


@dataclass(frozen=True)
class Transfer:
    """What a push or fetch did: the remote used, each ref's update, and the runs branch's ref."""

    remote: str
    updates: list[RefUpdate]
    branch_ref: str
    branch: str
    #: Runs dropped and re-committed by ``rm --prune-history`` since the last clean push (``push`` explains them).
    pruned: dict[str, list[str]] = field(default_factory=dict)

    @property
    def rejected(self) -> list[RefUpdate]:
        return [u for u in self.updates if u.status == "rejected"]


def push(path: Path | str = ".", remote: str | None = None, runs: list[str] | None = None, delete: bool = False) -> Transfer:
    """Push the runs branch and the run tags (all, or those of ``runs``) to ``remote`` (default: the only/upstream one).

    ``delete``: delete the tags of ``runs`` on ``remote`` instead. After ``rm --prune-history`` a
    rejected push carries ``pruned`` (what was rewritten here) so that it can be explained.
    """
    from rerun_git.store.history import clear_pruned, pruned_notes

    from rerun_git.store.remote import remote_names

    repo, refs = open_runs(path)
    if delete and remote is not None and remote not in remote_names(repo):  # `push --delete RUN`: the default remote
        remote, runs = None, [remote, *(runs or [])]
    name = resolve_remote(repo, remote)
    if delete:
        return Transfer(name, delete_remote_runs(repo, refs, name, runs or []), refs.branch_ref, refs.branch)
    done = Transfer(name, push_runs(repo, refs, name, runs), refs.branch_ref, refs.branch)
    notes = pruned_notes(repo)
    if done.rejected and (notes["removed"] or notes["rewritten"]):
        done = replace(done, pruned=notes)
    elif not done.rejected and not runs:
        clear_pruned(repo)
    return done


def fetch(path: Path | str = ".", remote: str | None = None) -> Transfer:
    """Fetch ``remote``'s run tags and runs branch (kept as its tracking ref; the local branch fast-forwarded)."""
    repo, refs = open_runs(path)
    name = resolve_remote(repo, remote)
    return Transfer(name, fetch_runs(repo, refs, name), refs.branch_ref, refs.branch)
