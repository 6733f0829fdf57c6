"""The Python API behind the browse commands: data, not text.

Every function takes the path of any folder inside the repository (default:
the current directory); ``[refs]`` settings come from the nearest
``rerun.toml`` above it.

>>> from rerun_git.runs import list_runs, diff_runs      # doctest: +SKIP
>>> [run.name for run in list_runs(".", sort="-MAE", limit=3)]  # doctest: +SKIP
>>> diff_runs("baseline", "tuned").metrics               # doctest: +SKIP

This module stays import-light (no scikit-learn, pandas or project code) for
``list`` and ``show``; ``diff`` against the working tree loads the project.
"""
from __future__ import annotations

import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rerun_git.errors import RerunError
from rerun_git.store.runs import RefSettings, RunInfo

if TYPE_CHECKING:
    from rerun_git.service.browse import CheckedOut, EnvCheck, LogEntry, MetricDelta, RemovedRuns, RunDiff
    from rerun_git.service.record import RunRecord
    from rerun_git.store.repo import Repo

__all__ = [
    "CheckedOut", "EnvCheck", "LogEntry", "RemovedRuns", "RunDiff", "check_env", "checkout_run", "diff_runs",
    "export_env", "gc", "get_authors", "get_kept_results", "get_record", "get_records", "list_runs", "local_run_commits", "log_runs", "metric_value", "ref_settings_near",
    "read_kept", "remove_runs", "run_as_dict", "show_run", "sort_runs",
]

WORKING_TREE = "(working tree)"
#: Where a snapshot keeps the result files of its run.
KEPT_RESULTS = ".rerun/results"
#: Result types, defined in ``service/browse.py`` and loaded on first use.
_LAZY_TYPES = ("CheckedOut", "ConfigChange", "DatasetChange", "EnvCheck", "LogEntry", "MetricDelta", "RemovedRuns", "RunDiff")


def __getattr__(name: str) -> Any:
    if name in _LAZY_TYPES:
        from rerun_git.service import browse

        return getattr(browse, name)
    raise AttributeError(f"module 'rerun_git.runs' has no attribute {name!r}")


# ---------------------------------------------------------------- opening
def ref_settings_near(path: Path | str) -> RefSettings:
    """``[refs]`` of the nearest ``rerun.toml`` at or above ``path``; the defaults outside any project.

    Reads only that table (stdlib ``tomllib``), so the read-only commands
    never import the project model.
    """
    start = Path(path).resolve()
    for folder in (start, *start.parents):
        marker = folder / "rerun.toml"
        if marker.is_file():
            try:
                doc = tomllib.loads(marker.read_bytes().decode("utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
                raise RerunError(f"rerun.toml: malformed TOML: {exc}", hint=f"fix the syntax of {marker}") from None
            table = doc.get("refs", {})
            if not isinstance(table, dict):
                raise RerunError("rerun.toml: [refs] must be a table", hint=f"fix {marker}")
            values = {key: table[key] for key in ("tag_prefix", "branch") if key in table}
            for key, value in values.items():
                if not isinstance(value, str):
                    raise RerunError(f"rerun.toml: refs.{key} must be a string", hint=f"got {value!r}")
            return RefSettings(**values)
    return RefSettings()


def _open(path: Path | str) -> tuple[Repo, RefSettings]:
    from rerun_git.store.repo import Repo

    return Repo.open(path), ref_settings_near(path)


def _find(repo: Repo, refs: RefSettings, name: str) -> RunInfo:
    from rerun_git.store.runs import resolve_run

    return resolve_run(repo, refs, name)


def _load_record(repo: Repo, run: RunInfo) -> RunRecord:
    from rerun_git.service.record import load_record

    return load_record(repo, run)


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

    repo, refs = _open(path)
    runs, warnings = store_runs.list_runs(repo, refs, pattern)
    runs = sort_runs(runs, sort)
    if limit is not None:
        runs = runs[:max(limit, 0)]
    return (runs, warnings) if with_warnings else runs


def local_run_commits(path: Path | str = ".") -> set[str]:
    """Commits on the local runs branch; a listed run whose commit is not among them was fetched."""
    from rerun_git.store.history import branch_commits

    repo, refs = _open(path)
    return branch_commits(repo, refs)


def metric_value(run: RunInfo, metric: str) -> float | None:
    """The headline value of ``metric`` carried by the run's tag, or None."""
    return run.metrics.get(metric)


def sort_runs(runs: list[RunInfo], key: str = "date") -> list[RunInfo]:
    """Sort by ``date``, ``name`` or a metric; ``-KEY`` for descending. Unknown metric: :class:`RerunError`."""
    descending = key.startswith("-")
    field_name = key.lstrip("-+")
    if field_name == "date":
        ordered = runs if _by_date(runs) else sorted(runs, key=lambda r: r.timestamp)  # stable: ties keep git's order
        return ordered[::-1] if descending else list(ordered)
    if field_name == "name":
        return sorted(runs, key=lambda r: r.name, reverse=descending)
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

    repo, refs = _open(path)
    run = _find(repo, refs, name)
    return run, _load_record(repo, run)


def show_run(name: str, path: Path | str = ".") -> dict[str, Any]:
    """One run: its tag's summary plus the full record (``record``), as plain data."""
    run, record = get_record(name, path)
    return {**run_as_dict(run), "record": record.to_dict()}


# ---------------------------------------------------------------- many runs at once (report)
def get_records(runs: list[RunInfo], path: Path | str = ".") -> tuple[list[RunRecord | None], list[str]]:
    """The records of ``runs`` (one ``git cat-file --batch``), and a warning for each absent or corrupt one (then None)."""
    from rerun_git.service.record import RECORD_PATH, RunRecord
    from rerun_git.store.history import read_blobs

    repo, _refs = _open(path)
    records: list[RunRecord | None] = []
    warnings: list[str] = []
    for run, blob in zip(runs, read_blobs(repo, [f"{run.commit}:{RECORD_PATH}" for run in runs])):
        try:
            if blob is None:
                raise RerunError(f"{run.tag} has no {RECORD_PATH}", hint="it is not a complete rerun-git run")
            records.append(RunRecord.from_toml(blob, origin=f"{run.tag}:{RECORD_PATH}"))
        except RerunError as exc:
            records.append(None)
            warnings.append(exc.message)
    return records, warnings


def get_authors(runs: list[RunInfo], path: Path | str = ".") -> list[str | None]:
    """The author (``Name <mail>``) of each run's snapshot commit, in one git call."""
    from rerun_git.store.history import commit_authors

    repo, _refs = _open(path)
    return commit_authors(repo, [run.commit for run in runs])


def get_kept_results(runs: list[RunInfo], path: Path | str = ".") -> list[list[tuple[str, str]]]:
    """``(path under .rerun/results/, blob id)`` of the files each run kept; read them with :func:`read_kept`."""
    from rerun_git.store.history import files_under

    repo, _refs = _open(path)
    return files_under(repo, [run.commit for run in runs], KEPT_RESULTS)


def read_kept(blob_ids: list[str], path: Path | str = ".") -> list[bytes | None]:
    """The bytes of kept files by blob id (from :func:`get_kept_results`), in one git call."""
    from rerun_git.store.history import read_objects

    repo, _refs = _open(path)
    return [found[2] if found is not None and found[1] == "blob" else None for found in read_objects(repo, blob_ids)]


# ---------------------------------------------------------------- log
def log_runs(path: Path | str = ".", patch: bool = False, limit: int | None = None) -> list[LogEntry]:
    """The runs branch, first parents only, newest first (one ``git log``; ``patch`` adds per-run diffs).

    A run whose tag was removed (``rerun-git rm``) but whose commit is still
    on the branch has ``tag=None``.
    """
    from datetime import datetime, timezone

    from rerun_git.service.browse import LogEntry
    from rerun_git.store.history import runs_branch_log, tagged_runs

    repo, refs = _open(path)
    commits = runs_branch_log(repo, refs, limit=None if limit is None else limit + 1 if patch else limit)
    names = {commit: name for name, commit in tagged_runs(repo, refs)}
    entries = []
    for item in commits:
        name = names.get(item.commit)
        source = (item.trailers.get("Rerun-Source") or [None])[-1]
        entries.append(LogEntry(
            name=name or item.name, tag=refs.tag_prefix + name if name else None, commit=item.commit,
            date=datetime.fromtimestamp(item.timestamp, tz=timezone.utc), subject=item.subject,
            source=None if source in (None, "none") else source,
            dirty=(item.trailers.get("Rerun-Dirty") or ["no"])[-1] == "yes",
        ))
    if patch:
        _fill_patches(repo, entries, [c.commit for c in commits], commits)
    return entries[:limit] if limit is not None else entries


def _fill_patches(repo: Repo, entries: list[LogEntry], shas: list[str], commits: list) -> None:
    from rerun_git.service.browse import config_changes
    from rerun_git.service.record import RECORD_PATH, RunRecord
    from rerun_git.store.history import diff_code, read_blobs

    blobs = read_blobs(repo, [f"{sha}:{RECORD_PATH}" for sha in shas])
    records = []
    for entry, blob in zip(entries, blobs):
        records.append(None if blob is None else RunRecord.from_toml(blob, origin=f"{entry.tag or entry.commit[:12]}:{RECORD_PATH}"))
    for i, entry in enumerate(entries):
        if i + 1 >= len(entries):
            entry.first = True
            continue
        entry.code, entry.patch = diff_code(repo, shas[i + 1], shas[i])
        if records[i] is not None and records[i + 1] is not None:
            entry.config = config_changes(records[i + 1].to_dict(), records[i].to_dict())


# ---------------------------------------------------------------- diff
def diff_runs(a: str, b: str | None = None, path: Path | str = ".") -> RunDiff:
    """Compare run ``a`` with run ``b``, or with the project's working tree when ``b`` is None.

    Sections: code (``git diff`` of the two snapshot trees; for the working
    tree, the run's files against the files on disk), config, datasets,
    environment (critical packages marked) and metrics (both values).
    """
    from rerun_git.service.browse import RunDiff

    repo, refs = _open(path)
    run_a = _find(repo, refs, a)
    record_a = _load_record(repo, run_a)
    if b is None:
        return _diff_working_tree(repo, run_a, record_a, Path(path))
    run_b = _find(repo, refs, b)
    result = RunDiff(run_a.tag, run_b.tag, run_a.commit, run_b.commit)
    if run_a.commit == run_b.commit:
        return result
    record_b = _load_record(repo, run_b)
    from rerun_git.store.history import diff_code

    result.code, result.patch = diff_code(repo, run_a.commit, run_b.commit)
    _compare_records(result, record_a, record_b, with_seed=True)
    result.metrics = _metric_changes(record_a, record_b)
    return result


def _compare_records(result: RunDiff, old: RunRecord, new: RunRecord, with_seed: bool) -> None:
    from rerun_git.service.browse import config_changes, dataset_changes
    from rerun_git.service.environment import compare_environment

    result.config = config_changes(old.to_dict(), new.to_dict(), with_seed=with_seed)
    result.datasets = dataset_changes(old.datasets, new.datasets)
    result.env = compare_environment(old.env, new.env)


def _metric_changes(old: RunRecord, new: RunRecord) -> list[MetricDelta]:
    from rerun_git.service.browse import metric_changes

    return metric_changes(old.results, new.results)


def _diff_working_tree(repo: Repo, run: RunInfo, record: RunRecord, start: Path) -> RunDiff:
    from rerun_git.service.browse import RunDiff, load_working_tree, unified_diff
    from rerun_git.store.history import NON_CODE_PATHS, FileStat, read_blobs
    from rerun_git.store.objects import object_id
    from rerun_git.store.runs import list_tree

    tree = {path: sha for _mode, sha, path in list_tree(repo, run.commit) if path.split("/", 1)[0] not in NON_CODE_PATHS}
    work = load_working_tree(_project_dir(repo, record, start), record, list(tree))
    result = RunDiff(run.tag, WORKING_TREE, run.commit, None, metrics_compared=False)
    changed = sorted(p for p in set(tree) | set(work.files)
                     if tree.get(p) != (object_id("blob", work.files[p], repo.object_format) if p in work.files else None))
    old_bytes = read_blobs(repo, [f"{run.commit}:{p}" for p in changed if p in tree])
    old_by_path = dict(zip([p for p in changed if p in tree], old_bytes))
    patches = []
    for path in changed:
        text, added, removed = unified_diff(path, old_by_path.get(path), work.files.get(path))
        status = "added" if path not in tree else "deleted" if path not in work.files else "modified"
        result.code.append(FileStat(path, status, added, removed))
        patches.append(text)
    result.patch = "".join(patches)
    if work.config_error:
        result.notes.append(f"config: the working tree's configuration could not be loaded: {work.config_error}")
        saved = work.record
        saved.base_data_manager, saved.configuration = record.base_data_manager, record.configuration
        saved.experiment_groups, saved.algorithms, saved.metrics = record.experiment_groups, record.algorithms, record.metrics
        saved.evaluators, saved.workflows, saved.plot_settings = record.evaluators, record.workflows, record.plot_settings
    _compare_records(result, record, work.record, with_seed=False)
    result.notes.append("metrics: the working tree has no metrics until it is run (`rerun-git run`)")
    return result


def _project_dir(repo: Repo, record: RunRecord, start: Path) -> Path:
    """The run's project folder in this working tree (from any folder of the repository); else ``start``."""
    home = (repo.top / record.project_path).resolve()
    if home.is_relative_to(repo.top) and (home / "rerun.toml").is_file():
        return home
    return start


# ---------------------------------------------------------------- checkout, rm, gc
def checkout_run(name: str, directory: Path | str, path: Path | str = ".") -> CheckedOut:
    """Check run ``name`` out into the new (or empty) folder ``directory`` as a detached git worktree.

    The worktree is not locked: remove it with ``git worktree remove DIR``.
    Datasets too large to be embedded in the run are listed in
    ``missing_datasets`` (they are not in the snapshot).
    """
    from rerun_git.service.browse import CheckedOut
    from rerun_git.store.worktree import add_inspection_worktree

    repo, refs = _open(path)
    run = _find(repo, refs, name)
    target = (Path(path) / directory).resolve() if not Path(directory).is_absolute() else Path(directory)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise RerunError(f"{directory} already exists and is not empty", hint="give a new directory to check the run out into")
    record = _load_record(repo, run)
    add_inspection_worktree(repo, run.commit, target)
    missing = [key for key, d in record.datasets.items() if not d.get("embedded")]
    return CheckedOut(run, target, missing)


def remove_runs(names: list[str], path: Path | str = ".", prune_history: bool = False) -> RemovedRuns:
    """Remove the tags of the named runs, all in one ref transaction (nothing is removed if a name is unknown).

    The runs branch keeps their commits unless ``prune_history``: then their
    commits are dropped from the branch and later runs re-committed on top
    (new commit ids, same content; their tags move to the new commits).
    """
    from rerun_git.service.browse import RemovedRuns
    from rerun_git.store.history import prune_runs
    from rerun_git.store.runs import delete_tags

    repo, refs = _open(path)
    runs: dict[str, RunInfo] = {}
    for name in names:
        run = _find(repo, refs, name)
        runs.setdefault(run.name, run)
    chosen = list(runs.values())
    if not prune_history:
        delete_tags(repo, refs, chosen)
        return RemovedRuns(chosen, False, [], False)
    result = prune_runs(repo, refs, chosen)
    return RemovedRuns(chosen, True, result.rewritten, result.branch_deleted)


def gc(path: Path | str = ".") -> list[Path]:
    """Remove rerun-git's own stale worktrees (their process is gone), then ``git gc --auto``; return the removed paths."""
    from rerun_git.store.history import gc_auto
    from rerun_git.store.repo import Repo
    from rerun_git.store.worktree import remove_stale_worktrees

    repo = Repo.open(path)
    removed = remove_stale_worktrees(repo)
    gc_auto(repo)
    return removed


# ---------------------------------------------------------------- environment
def check_env(name: str, path: Path | str = ".") -> EnvCheck:
    """Compare this interpreter's environment with the one run ``name`` recorded.

    Python's and the critical packages' (numpy, pandas, scikit-learn, scipy,
    joblib) major.minor must match; other version changes are reported as
    non-critical.
    """
    from rerun_git.service.browse import EnvCheck
    from rerun_git.service.environment import capture_environment, compare_environment

    run, record = get_record(name, path)
    current = capture_environment()
    return EnvCheck(run.tag, record.env.get("python"), current.get("python"), compare_environment(record.env, current))


def export_env(name: str, path: Path | str = ".", include_all: bool = False) -> str:
    """A pinned requirements file for run ``name``: its critical packages, or every package with ``include_all``."""
    from rerun_git.service.environment import requirements_text

    _run, record = get_record(name, path)
    if not record.env.get("packages"):
        raise RerunError(f"run {record.name} recorded no packages", hint="its record has an empty [env.packages] table")
    return requirements_text(record.env, include_all=include_all)
