"""``rerun-git run``: run the project and capture it as one run."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rerun_git.capture.publish import capture_snapshot
from rerun_git.capture.recorder import CaptureStrategy, ConfigRecorder, new_seed
from rerun_git.store.runs import RefSettings


@dataclass
class RunResult:
    """A finished ``rerun-git run``."""

    name: str
    results_dir: Path
    metrics: dict[str, dict[str, float]]
    tag: str | None = None
    commit: str | None = None
    summary: dict[str, float] = field(default_factory=dict)


def run_project(
    start: Path,
    name: str | None = None,
    message: str = "",
    capture: bool = True,
    seed: int | None = None,
    progress: bool = False,
    name_suffix: str = "never",
) -> RunResult:
    """Run the project containing ``start`` and, unless ``capture`` is false, capture it as a run.

    Everything that can be checked (repository, run name, results folder) is
    checked before training starts. The name and its ``results/<name>`` are
    claimed for this process (see :mod:`rerun_git.capture.names`); with
    ``name_suffix="auto"`` a taken name becomes ``<name>-2``, ``<name>-3``, ...
    """
    from rerun_git.settings import find_project_root, load_project_settings
    from rerun_git.capture.names import claim_run_name
    from rerun_git.store.repo import Repo
    from rerun_git.store.runs import check_name_free

    root = find_project_root(start)
    settings = load_project_settings(root)
    is_free = None
    if capture:
        repo, refs = Repo.open(root), RefSettings.of(settings)
        is_free = lambda candidate: check_name_free(repo, refs, candidate)  # noqa: E731
    claimed = claim_run_name(root, name, name_suffix, is_free)
    try:
        return _run_claimed(root, settings, claimed.name, claimed.results_dir, message, capture, seed, progress)
    finally:
        claimed.release()


def _run_claimed(
    root: Path, settings: Any, name: str, results_dir: Path, message: str, capture: bool, seed: int | None, progress: bool
) -> RunResult:
    from rerun_git.experiment.project import ProjectLoader
    from rerun_git.experiment.runner import run_experiments
    from rerun_git.record.run_record import summarize_metrics

    seed = new_seed() if seed is None else seed
    recorder = ConfigRecorder(name)
    context = recorder.bind_project(root, settings, seed, message)
    loader = ProjectLoader(root, CaptureStrategy(recorder))
    outcome = run_experiments(loader, results_dir, seed=seed, progress=progress)
    result = RunResult(name=name, results_dir=results_dir, metrics=outcome.metrics, summary=summarize_metrics(outcome.metrics))
    if capture:
        recorder.record_outcome(outcome, loader.files)
        published, _record = capture_snapshot(recorder, context, results_dir)
        result.tag, result.commit = published.tag, published.commit
    return result

