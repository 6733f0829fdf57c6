"""``diff``: two runs, or a run and the project's working tree, section by section."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rerun_git.browse.listing import open_runs
from rerun_git.record.run_record import load_record
from rerun_git.store.runs import RunInfo, resolve_run

if TYPE_CHECKING:
    from rerun_git.browse.changes import MetricDelta, RunDiff
    from rerun_git.record.run_record import RunRecord
    from rerun_git.store.repo import Repo

WORKING_TREE = "(working tree)"


# ---------------------------------------------------------------- diff
def diff_runs(a: str, b: str | None = None, path: Path | str = ".") -> RunDiff:
    """Compare run ``a`` with run ``b``, or with the project's working tree when ``b`` is None.

    Sections: code (``git diff`` of the two snapshot trees; for the working
    tree, the run's files against the files on disk), config, datasets,
    environment (critical packages marked) and metrics (both values).
    """
    from rerun_git.browse.changes import RunDiff

    repo, refs = open_runs(path)
    run_a = resolve_run(repo, refs, a)
    record_a = load_record(repo, run_a)
    if b is None:
        return _diff_working_tree(repo, run_a, record_a, Path(path))
    run_b = resolve_run(repo, refs, b)
    result = RunDiff(run_a.tag, run_b.tag, run_a.commit, run_b.commit)
    if run_a.commit == run_b.commit:
        return result
    record_b = load_record(repo, run_b)
    from rerun_git.store.history import diff_code

    result.code, result.patch = diff_code(repo, run_a.commit, run_b.commit)
    _compare_records(result, record_a, record_b, with_seed=True)
    result.metrics = _metric_changes(record_a, record_b)
    if result.metrics:
        from rerun_git.browse.changes import summary_changes

        result.summary = summary_changes(record_a, record_b)
    return result


def _compare_records(result: RunDiff, old: RunRecord, new: RunRecord, with_seed: bool) -> None:
    from rerun_git.browse.changes import config_changes, dataset_changes
    from rerun_git.record.environment import compare_environment

    result.config = config_changes(old.to_dict(), new.to_dict(), with_seed=with_seed)
    result.datasets = dataset_changes(old.datasets, new.datasets)
    result.env = compare_environment(old.env, new.env)


def _metric_changes(old: RunRecord, new: RunRecord) -> list[MetricDelta]:
    from rerun_git.browse.changes import metric_changes

    return metric_changes(old.results, new.results)


def _diff_working_tree(repo: Repo, run: RunInfo, record: RunRecord, start: Path) -> RunDiff:
    from rerun_git.browse.changes import RunDiff, load_working_tree, unified_diff
    from rerun_git.store.history import NON_CODE_PATHS, FileStat
    from rerun_git.store.reader import read_blobs
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
        work.record.set_config_sections(record.config_sections())
    _compare_records(result, record, work.record, with_seed=False)
    result.notes.append("metrics: the working tree has no metrics until it is run (`rerun-git run`)")
    return result


def _project_dir(repo: Repo, record: RunRecord, start: Path) -> Path:
    """The run's project folder in this working tree (from any folder of the repository); else ``start``."""
    home = (repo.top / record.project_path).resolve()
    if home.is_relative_to(repo.top) and (home / "rerun.toml").is_file():
        return home
    return start

