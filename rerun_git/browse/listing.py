"""``list`` and ``show``: the runs of a repository read from their tags, and one run's record.

Import-light (no scikit-learn, pandas or project code).
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from rerun_git.errors import RerunError
from rerun_git.record.run_record import load_record
from rerun_git.settings import settings_near
from rerun_git.store.runs import RefSettings, RunInfo, resolve_run

#: Where a snapshot keeps the result files of its run.
KEPT_RESULTS = ".rerun/results"

if TYPE_CHECKING:
    from rerun_git.record.run_record import RunRecord
    from rerun_git.store.repo import Repo


def open_runs(path: Path | str) -> tuple[Repo, RefSettings]:
    """The repository at ``path`` and the ``[refs]`` of the project there (defaults outside one)."""
    from rerun_git.store.repo import Repo

    return Repo.open(path), RefSettings.of(settings_near(path))


# ---------------------------------------------------------------- list
def list_runs(
    path: Path | str = ".",
    pattern: str | None = None,
    with_warnings: bool = False,
    *,
    sort: str = "date",
    limit: int | None = None,
):
    """Every run of the repository at ``path``, read from its tag objects alone (``for-each-ref | cat-file --batch``).

    Parameters
    ----------
    path : path-like
        Any folder in the repository.
    pattern : str, optional
        A glob on the run name or its tag (``'2026-11-*'``, ``'run/base*'``).
    with_warnings : bool
        Also return the warnings about tags under the prefix that are not runs.
    sort : str
        ``date`` (default, oldest first), ``name`` or a metric name; a leading
        ``-`` sorts descending. Runs without the metric come last.
    limit : int, optional
        Keep the first ``limit`` runs after sorting.

    Returns
    -------
    list of RunInfo, or (list of RunInfo, list of str) with ``with_warnings``.
    """
    from rerun_git.store import runs as store_runs

    repo, refs = open_runs(path)
    runs, warnings = store_runs.list_runs(repo, refs, pattern)
    runs = sort_runs(runs, sort)
    if limit is not None:
        runs = runs[:max(limit, 0)]
    return (runs, warnings) if with_warnings else runs


def local_run_commits(path: Path | str = ".") -> set[str]:
    """Commits of the runs this clone captured; a listed run whose commit is not among them was fetched.

    Read from the clone's ledger (``.git/rerun-git/runs.log``), so a fetch that
    fast-forwards the local runs branch does not make fetched runs look local.
    A clone without a ledger (nothing captured by a rerun-git that keeps one)
    falls back to the commits on the local runs branch.
    """
    from rerun_git.store.history import branch_commits
    from rerun_git.store.provenance import read_ledger

    repo, refs = open_runs(path)
    ledger = read_ledger(repo)
    return ledger.captured_commits if ledger.exists else branch_commits(repo, refs)


def sort_runs(runs: list[RunInfo], key: str = "date") -> list[RunInfo]:
    """Sort by ``date``, ``name``, ``best`` or a metric; ``-KEY`` for descending. Unknown metric: :class:`RerunError`.

    ``best``: by the newest run's primary metric, best first in that metric's own direction.
    """
    descending = key.startswith("-")
    field_name = key.lstrip("-+")
    if field_name == "date":
        ordered = runs if _by_date(runs) else sorted(runs, key=lambda r: r.timestamp)  # stable: ties keep git's order
        return ordered[::-1] if descending else list(ordered)
    if field_name == "name":
        return sorted(runs, key=lambda r: r.name, reverse=descending)
    if field_name == "best":
        primary = next((run.primary for run in reversed(runs) if run.primary), None)
        if primary is None:
            if runs:
                raise RerunError("no run records its primary metric", hint="sort by date, name or a metric")
            return []
        field_name, higher = primary
        descending = higher != descending  # best first
    values = [(run.metrics.get(field_name), run) for run in runs]
    have = [(v, r) for v, r in values if v is not None]
    if runs and not have:
        known = sorted({m for run in runs for m in run.metrics})
        raise RerunError(
            f"no run has a metric named {field_name!r}",
            hint=("sort by date, name or one of: " + ", ".join(known)) if known else "sort by date or name",
        )
    have.sort(key=lambda item: (item[0], item[1].timestamp), reverse=descending)
    return [r for _, r in have] + [r for v, r in values if v is None]


def _by_date(runs: list[RunInfo]) -> bool:
    """Whether ``runs`` is already oldest first (as the store lists them)."""
    return all(a.timestamp <= b.timestamp for a, b in zip(runs, runs[1:]))


def run_as_dict(run: RunInfo) -> dict[str, Any]:
    """A run of :func:`list_runs` as plain data (JSON-ready)."""
    return {
        "name": run.name, "tag": run.tag, "commit": run.commit, "date": run.date.isoformat(),
        "source": run.source, "dirty": run.dirty, "metrics": run.metrics, "subject": run.subject,
    }


# ---------------------------------------------------------------- show
def get_record(name: str, path: Path | str = ".") -> tuple[RunInfo, RunRecord]:
    """The run named ``name`` and its parsed ``.rerun/run.toml``.

    A corrupt or hand-edited record raises one :class:`RerunError` naming
    the run and the key.
    """

    repo, refs = open_runs(path)
    run = resolve_run(repo, refs, name)
    return run, load_record(repo, run)


def show_run(name: str, path: Path | str = ".") -> dict[str, Any]:
    """One run: its tag's summary, the full record (``record``) and its provenance (``provenance``), as plain data.

    ``provenance_lines`` are the lines ``show`` prints (unescaped: the command escapes them).
    """
    from rerun_git.record.provenance import provenance_lines, run_origin

    repo, refs = open_runs(path)
    run = resolve_run(repo, refs, name)
    record = load_record(repo, run)
    origin = run_origin(repo, refs, run)
    return {**run_as_dict(run), "record": record.to_dict(), "provenance": origin.to_dict(),
            "provenance_lines": provenance_lines(origin, record.created, record.dirty)}


# ---------------------------------------------------------------- many runs at once (report)
def get_records(runs: list[RunInfo], path: Path | str = ".") -> tuple[list[RunRecord | None], list[str]]:
    """The records of ``runs`` (all their blobs in one ``git cat-file --batch``), and a warning for each absent or
    corrupt one (then None)."""
    from rerun_git.record.run_record import RECORD_PATH, RunRecord, record_paths
    from rerun_git.store.reader import read_blobs

    repo, _refs = open_runs(path)
    paths = record_paths()
    blobs = read_blobs(repo, [f"{run.commit}:{p}" for run in runs for p in paths])
    records: list[RunRecord | None] = []
    warnings: list[str] = []
    for index, run in enumerate(runs):
        parts = dict(zip(paths, blobs[index * len(paths):(index + 1) * len(paths)]))
        try:
            if parts[RECORD_PATH] is None:
                raise RerunError(f"{run.tag} has no {RECORD_PATH}", hint="it is not a complete rerun-git run")
            records.append(RunRecord.from_blobs(parts, run.tag))
        except RerunError as exc:
            records.append(None)
            warnings.append(exc.message)
    return records, warnings


def get_authors(runs: list[RunInfo], path: Path | str = ".") -> list[str | None]:
    """The author name of each run's snapshot commit, in one git call (None when git does not know the commit)."""
    from rerun_git.store.history import commit_authors

    repo, _refs = open_runs(path)
    authors = commit_authors(repo, [run.commit for run in runs])
    return [authors.get(run.commit) for run in runs]


def get_kept_results(runs: list[RunInfo], path: Path | str = ".") -> list[list[tuple[str, str]]]:
    """``(path under .rerun/results/, blob id)`` of the files each run kept; read them with :func:`read_kept`."""
    from rerun_git.store.history import files_under

    repo, _refs = open_runs(path)
    return files_under(repo, [run.commit for run in runs], KEPT_RESULTS)


def read_kept(blob_ids: list[str], path: Path | str = ".") -> list[bytes | None]:
    """The bytes of kept files by blob id (from :func:`get_kept_results`), in one git call."""
    from rerun_git.store.reader import read_blobs

    repo, _refs = open_runs(path)
    return read_blobs(repo, blob_ids)
