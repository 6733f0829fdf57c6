"""``push`` and ``fetch``: runs through any git remote, with explicit refspecs, never forced."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rerun_git.browse.listing import open_runs
from rerun_git.store.remote import RefUpdate, fetch_runs, push_runs, resolve_remote


@dataclass(frozen=True)
class Transfer:
    """What a push or fetch did: the remote used, each ref's update, and the runs branch's ref."""

    remote: str
    updates: list[RefUpdate]
    branch_ref: str
    branch: str

    @property
    def rejected(self) -> list[RefUpdate]:
        return [u for u in self.updates if u.status == "rejected"]


def push(path: Path | str = ".", remote: str | None = None, runs: list[str] | None = None) -> Transfer:
    """Push the runs branch and the run tags (all, or those of ``runs``) to ``remote`` (default: the only/upstream one)."""
    repo, refs = open_runs(path)
    name = resolve_remote(repo, remote)
    return Transfer(name, push_runs(repo, refs, name, runs), refs.branch_ref, refs.branch)


def fetch(path: Path | str = ".", remote: str | None = None) -> Transfer:
    """Fetch ``remote``'s run tags and runs branch (kept as its tracking ref; the local branch fast-forwarded)."""
    repo, refs = open_runs(path)
    name = resolve_remote(repo, remote)
    return Transfer(name, fetch_runs(repo, refs, name), refs.branch_ref, refs.branch)
