"""``log``: the runs branch, newest first, with per-run patches on request."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rerun_git.browse.listing import open_runs

if TYPE_CHECKING:
    from rerun_git.browse.changes import LogEntry
    from rerun_git.store.repo import Repo


# ---------------------------------------------------------------- log
def log_runs(path: Path | str = ".", patch: bool = False, limit: int | None = None) -> list[LogEntry]:
    """The runs branch, first parents only, newest first (one ``git log``; ``patch`` adds per-run diffs).

    A run whose tag was removed (``rerun-git rm``) but whose commit is still
    on the branch has ``tag=None``.
    """
    from datetime import datetime, timezone

    from rerun_git.browse.changes import LogEntry
    from rerun_git.store.history import runs_branch_log, tagged_runs

    repo, refs = open_runs(path)
    commits = runs_branch_log(repo, refs, limit=None if limit is None else limit + 1 if patch else limit)
    names = {commit: name for name, commit in tagged_runs(repo, refs)}
    entries = []
    for item in commits:
        name = names.get(item.commit)
        entries.append(LogEntry(
            name=name or item.name, tag=refs.tag_prefix + name if name else None, commit=item.commit,
            date=datetime.fromtimestamp(item.timestamp, tz=timezone.utc), subject=item.subject,
            source=item.source, dirty=item.dirty,
        ))
    if patch:
        _fill_patches(repo, entries, [c.commit for c in commits], commits)
    return entries[:limit] if limit is not None else entries


def _fill_patches(repo: Repo, entries: list[LogEntry], shas: list[str], commits: list) -> None:
    from rerun_git.browse.changes import config_changes, dataset_changes
    from rerun_git.record.run_record import RECORD_PATH, RunRecord, record_paths
    from rerun_git.store.history import diff_code
    from rerun_git.store.reader import read_blobs

    paths = record_paths()
    blobs = read_blobs(repo, [f"{sha}:{path}" for sha in shas for path in paths])
    records = []
    for i, entry in enumerate(entries):
        parts = dict(zip(paths, blobs[i * len(paths):(i + 1) * len(paths)]))
        records.append(None if parts[RECORD_PATH] is None else RunRecord.from_blobs(parts, entry.tag or entry.commit[:12]))
    for i, entry in enumerate(entries):
        if i + 1 >= len(entries):
            entry.first = True
            continue
        entry.code, entry.patch = diff_code(repo, shas[i + 1], shas[i])
        if records[i] is not None and records[i + 1] is not None:
            entry.config = config_changes(records[i + 1].to_dict(), records[i].to_dict())
            entry.datasets = dataset_changes(records[i + 1].datasets, records[i].datasets)

