"""``rerun-git reproduce``: check a run's snapshot out, re-run it and compare every metric."""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rerun_git._version import __version__
from rerun_git.record.compare import MetricComparison, compare_metrics, compare_splits
from rerun_git.errors import RerunError
from rerun_git.record.datasets import check_dataset
from rerun_git.record.environment import capture_environment, compare_environment
from rerun_git.record.run_record import RunRecord
from rerun_git.record.run_record import load_run
from rerun_git.reproduce.coordinator import CoordinatingStrategy
from rerun_git.store.runs import RefSettings

Report = Callable[[str], None]


@dataclass
class Reproduction:
    """The outcome of ``rerun-git reproduce``."""

    record: RunRecord
    comparisons: list[MetricComparison]
    drift: list[str]
    worktree: Path | None
    #: Recorded train/test splits whose rows or features the reproduction did not match.
    split_mismatches: list[str] = field(default_factory=list)

    @property
    def matches(self) -> bool:
        return bool(self.comparisons) and all(c.matches for c in self.comparisons) and not self.split_mismatches


def reproduce_run(
    name: str,
    start: Path,
    rtol: float = 0.0,
    atol: float = 0.0,
    strict: bool = False,
    keep_worktree: bool = False,
    progress: bool = False,
    report: Report = lambda line: None,
) -> Reproduction:
    """Check the run's snapshot out into a locked worktree, re-run it and compare every metric.

    Before anything runs, ``report`` is told the run's author, committer,
    tagger and source (a run is code: the user decides whether to trust it),
    and the snapshot is refused when its record or tree holds anything
    outside the project layout; the checked-out bytes are verified against
    the record.
    """
    from rerun_git.experiment.project import ProjectLoader
    from rerun_git.experiment.runner import run_experiments
    from rerun_git.reproduce.checks import check_recorded_paths, check_snapshot_layout, check_tolerances, describe_provenance, verify_checkout
    from rerun_git.settings import settings_near
    from rerun_git.store.repo import Repo
    from rerun_git.store.runs import list_tree, run_provenance
    from rerun_git.store.worktree import add_worktree, remove_stale_worktrees, remove_worktree

    check_tolerances(rtol, atol)
    run, record, _top = load_run(name, start)
    repo = Repo.open(start)
    for line in describe_provenance(run.tag, run.commit, record, run_provenance(repo, RefSettings.of(settings_near(start)), run)):
        report(line)
    check_recorded_paths(record)
    if not record.command and not record.base_data_manager:
        raise RerunError(f"{run.tag} was captured without a command: it can be shown but not reproduced",
                         hint="capture the script as `rerun-git capture --name N -- python train.py` to make it reproducible")
    check_snapshot_layout(record, list_tree(repo, run.commit), run.tag)
    remove_stale_worktrees(repo)
    worktree = add_worktree(repo, run.commit, label=record.name)
    strategy = CoordinatingStrategy(record.to_dict())
    strategy.add_cleanup(lambda: None if keep_worktree else remove_worktree(repo, worktree))
    try:
        verify_checkout(record, worktree, run.tag)
        drift = _drift(record, worktree, repo.top / record.project_path)
        for line in drift:
            report(f"warning: {line}")
        if drift and strict:
            raise RerunError(f"{len(drift)} difference(s) from the recorded run (--strict)", hint="drop --strict to run anyway")
        if record.command:
            comparisons = compare_metrics(record.results, _rerun_command(record, worktree), rtol=rtol, atol=atol)
            split_mismatches: list[str] = []
        else:
            loader = ProjectLoader(worktree, strategy)
            outcome = run_experiments(loader, worktree / "results" / record.name, seed=record.seed, progress=progress)
            comparisons = compare_metrics(record.results, outcome.metrics, rtol=rtol, atol=atol)
            split_mismatches = compare_splits(record.splits, outcome.splits)
    finally:
        strategy.cleanup_temp_files()
    return Reproduction(record, comparisons, drift, worktree if keep_worktree else None, split_mismatches)


def _rerun_command(record: RunRecord, worktree: Path) -> dict[str, dict[str, float]]:
    """Run the recorded command in the snapshot's worktree; its metrics (metrics file, or what ``recording()`` logs)."""
    import tempfile

    from rerun_git.capture.external import command_environment, load_metrics_file, run_command

    command = record.command
    results_dir = worktree / "results" / record.name
    results_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="rerun-git-metrics-") as scratch:
        out = Path(scratch) / "metrics.json" if command.get("recording") else None
        run_command(command["argv"], worktree / command.get("cwd", ""),
                    command_environment(record.name, results_dir, record.seed, metrics_out=out))
        if out is not None:
            return load_metrics_file(out) if out.is_file() else {}
        return load_metrics_file(worktree / command["metrics"]) if command.get("metrics") else {}


def _drift(record: RunRecord, worktree: Path, project_dir: Path) -> list[str]:
    """Datasets, environment and version differences, all at once; missing non-embedded data is fatal."""
    problems: list[str] = []
    for key, entry in record.datasets.items():
        target = worktree / "datasets" / entry["filename"]
        if not entry.get("embedded"):  # checked where the user keeps it, then linked into the worktree
            source = project_dir / "datasets" / entry["filename"]
            drift = check_dataset(key, entry, source)
            if drift is not None:
                raise RerunError(drift.describe(), hint="restore the original data file; it was too large to embed in the run")
            _link_dataset(source, target)
            continue
        drift = check_dataset(key, entry, target)
        if drift is not None:
            problems.append(drift.describe())
    for diff in compare_environment(record.env, capture_environment()):
        if diff.critical:
            problems.append(f"environment: {diff.describe()}")
    if record.rerun_git_version != __version__:
        problems.append(f"rerun-git version: {record.rerun_git_version} -> {__version__}")
    return problems


def _link_dataset(source: Path, target: Path) -> None:
    if target.exists() or not source.is_file():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    try:  # a hard link, not a symlink: the loader refuses links out of datasets/
        os.link(source, target)
    except OSError:
        import shutil

        shutil.copyfile(source, target)

