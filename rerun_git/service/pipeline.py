"""Run a project with capture, and reproduce a captured run: the flows behind ``run`` and ``reproduce``."""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rerun_git import __version__
from rerun_git.compare import MetricComparison, compare_metrics, compare_splits
from rerun_git.errors import RerunError
from rerun_git.service.datasets import check_dataset
from rerun_git.service.environment import capture_environment, compare_environment
from rerun_git.service.record import RunRecord
from rerun_git.service.service import RerunService, new_seed

Report = Callable[[str], None]


@dataclass
class RunResult:
    """A finished ``rerun-git run``."""

    name: str
    results_dir: Path
    metrics: dict[str, dict[str, float]]
    tag: str | None = None
    commit: str | None = None
    summary: dict[str, float] = field(default_factory=dict)
    #: Experiments that failed (the others ran); with failures a run is captured only with ``keep_failed``.
    failures: list[str] = field(default_factory=list)
    experiments: int = 0


def run_project(
    start: Path,
    name: str | None = None,
    message: str = "",
    capture: bool = True,
    seed: int | None = None,
    progress: bool = False,
    name_suffix: str = "never",
    keep_failed: bool = False,
) -> RunResult:
    """Run the project containing ``start`` and, unless ``capture`` is false, capture it as a run.

    Everything that can be checked (repository, run name, results folder) is
    checked before training starts. The name and its ``results/<name>`` are
    claimed for this process (see :mod:`rerun_git.service.safety`); with
    ``name_suffix="auto"`` a taken name becomes ``<name>-2``, ``<name>-3``, ...
    As in Brisk, a failing experiment does not stop the others; a run with
    failures is captured only when ``keep_failed`` is true.
    """
    from rerun_git.experiment.project import find_project_root, load_project_settings
    from rerun_git.service.safety import claim_run_name
    from rerun_git.service.snapshotting import ref_settings
    from rerun_git.store.repo import Repo
    from rerun_git.store.runs import check_name_free

    root = find_project_root(start)
    settings = load_project_settings(root)
    is_free = None
    if capture:
        repo, refs = Repo.open(root), ref_settings(settings)
        is_free = lambda candidate: check_name_free(repo, refs, candidate)  # noqa: E731
    claimed = claim_run_name(root, name, name_suffix, is_free)
    try:
        return _run_claimed(root, settings, claimed.name, claimed.results_dir, message, capture, seed, progress,
                            keep_failed)
    finally:
        claimed.release()


def _run_claimed(
    root: Path, settings: Any, name: str, results_dir: Path, message: str, capture: bool, seed: int | None,
    progress: bool, keep_failed: bool = False,
) -> RunResult:
    from rerun_git.experiment.project import ProjectLoader
    from rerun_git.experiment.runner import run_experiments
    from rerun_git.service.record import summarize_metrics

    seed = new_seed() if seed is None else seed
    service = RerunService(name, mode="capture")
    service.bind_project(root, settings, seed, message)
    loader = ProjectLoader(root, service)
    outcome = run_experiments(loader, results_dir, seed=seed, progress=progress)
    result = RunResult(name=name, results_dir=results_dir, metrics=outcome.metrics, summary=summarize_metrics(outcome.metrics),
                       failures=outcome.failures, experiments=outcome.experiments)
    if capture and (keep_failed or not outcome.failures):
        service.record_outcome(outcome, loader.files)
        result.tag = service.export_and_save(results_dir)
        result.commit = service.commit
    return result


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
    from rerun_git.service.safety import (
        check_recorded_paths, check_snapshot_layout, check_tolerances, describe_provenance, verify_checkout,
    )
    from rerun_git.service.snapshotting import ref_settings, settings_near
    from rerun_git.store.repo import Repo
    from rerun_git.store.runs import list_tree, run_provenance
    from rerun_git.store.worktree import add_worktree, remove_stale_worktrees, remove_worktree

    check_tolerances(rtol, atol)
    service = RerunService.from_tag(name, repo_path=start)
    record = service.record
    repo = Repo.open(start)
    run = service.run_info
    for line in describe_provenance(run.tag, service.commit, record, run_provenance(repo, ref_settings(settings_near(start)), run)):
        report(line)
    check_recorded_paths(record)
    check_snapshot_layout(record, list_tree(repo, service.commit), run.tag)
    remove_stale_worktrees(repo)
    worktree = add_worktree(repo, service.commit, label=record.name)
    strategy = service.strategy
    strategy.add_cleanup(lambda: None if keep_worktree else remove_worktree(repo, worktree))
    try:
        verify_checkout(record, worktree, run.tag)
        drift = _drift(record, worktree, repo.top / record.project_path)
        for line in drift:
            report(f"warning: {line}")
        if drift and strict:
            raise RerunError(f"{len(drift)} difference(s) from the recorded run (--strict)", hint="drop --strict to run anyway")
        loader = ProjectLoader(worktree, service)
        outcome = run_experiments(loader, worktree / "results" / record.name, seed=record.seed, progress=progress)
        comparisons = compare_metrics(record.results, outcome.metrics, rtol=rtol, atol=atol)
        split_mismatches = compare_splits(record.splits, outcome.splits)
    finally:
        strategy.cleanup_temp_files()
    return Reproduction(record, comparisons, drift, worktree if keep_worktree else None, split_mismatches)


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
