"""The Python API behind the browse commands: data, not text.

>>> from rerun_git.runs import list_runs           # doctest: +SKIP
>>> [run.name for run in list_runs(".")]            # doctest: +SKIP
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from rerun_git.store.runs import RunInfo


def _open(path: Path | str):
    from rerun_git.service.snapshotting import ref_settings, settings_near
    from rerun_git.store.repo import Repo

    return Repo.open(path), ref_settings(settings_near(Path(path)))


def list_runs(path: Path | str = ".", pattern: str | None = None, with_warnings: bool = False):
    """Every run of the repository at ``path``, oldest first (``pattern``: a glob on the name)."""
    from rerun_git.store import runs as store_runs

    repo, refs = _open(path)
    runs, warnings = store_runs.list_runs(repo, refs, pattern)
    return (runs, warnings) if with_warnings else runs


def run_as_dict(run: RunInfo) -> dict[str, Any]:
    return {
        "name": run.name, "tag": run.tag, "commit": run.commit, "date": run.date.isoformat(),
        "source": run.source, "dirty": run.dirty, "metrics": run.metrics, "subject": run.subject,
    }


def show_run(name: str, path: Path | str = ".") -> dict[str, Any]:
    """One run: its tag's summary plus the full record."""
    from rerun_git.service.snapshotting import load_record
    from rerun_git.store.runs import resolve_run

    repo, refs = _open(path)
    run = resolve_run(repo, refs, name)
    record = load_record(repo, run)
    return {**run_as_dict(run), "record": record.to_dict()}
