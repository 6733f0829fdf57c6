"""``rerun-git run``: run the project and capture it as one run."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rerun_git.capture.publish import capture_snapshot
from rerun_git.capture.recorder import CaptureStrategy, ConfigRecorder, choose_seed
from rerun_git.store.runs import RefSettings

if TYPE_CHECKING:
    from rerun_git.experiment.backends import Execution
    from rerun_git.record.summary import SummaryLine


@dataclass
class RunResult:
    """A finished ``rerun-git run``."""

    name: str
    results_dir: Path
    metrics: dict[str, dict[str, float]]
    tag: str | None = None
    commit: str | None = None
    #: Mean +- std over splits per group / dataset / algorithm / file and metric.
    lines: list[SummaryLine] = field(default_factory=list)
    #: ``ridge MAE=43.2 R2=0.41``: the best algorithm on the primary metric.
    headline: str = "no metrics"
    seed: int = 0
    #: Experiments that failed (the others ran); with failures a run is captured only with ``keep_failed``.
    failures: list[str] = field(default_factory=list)
    experiments: int = 0


def run_project(
    start: Path,
    name: str | None = None,
    message: str = "",
    capture: bool = True,
    seed: int | str | None = None,
    progress: bool = False,
    name_suffix: str = "never",
    jobs: int | None = None,
    scheduler: str | None = None,
    keep_failed: bool = False,
) -> RunResult:
    """Run the project containing ``start`` and, unless ``capture`` is false, capture it as a run.

    Everything that can be checked (repository, run name, results folder) is
    checked before training starts. The name and its ``results/<name>`` are
    claimed for this process (see :mod:`rerun_git.capture.names`); with
    ``name_suffix="auto"`` a taken name becomes ``<name>-2``, ``<name>-3``, ...
    ``jobs`` / ``scheduler`` choose where the cells run (default: ``[run] jobs``
    / ``[run] scheduler``, see :func:`~rerun_git.experiment.backends.resolve_execution`);
    the numbers do not depend on it.

    ``seed``: an int, ``"random"``, or None for ``[run] seed``, else the
    DataManager's ``random_state``, else the default (docs/guide.md, "Seeds").

    As in Brisk, a failing experiment does not stop the others; a run with
    failures is captured only when ``keep_failed`` is true.
    """
    from rerun_git.experiment.backends import resolve_execution, warm_up
    from rerun_git.settings import find_project_root, load_project_settings
    from rerun_git.capture.names import claim_run_name
    from rerun_git.store.repo import Repo
    from rerun_git.store.runs import check_name_free

    root = find_project_root(start)
    settings = load_project_settings(root)
    execution = resolve_execution(jobs, scheduler, settings.jobs, settings.scheduler)
    seed = choose_seed(seed, settings.seed)
    is_free = None
    if capture:
        repo, refs = Repo.open(root), RefSettings.of(settings)
        is_free = lambda candidate: check_name_free(repo, refs, candidate)  # noqa: E731
    claimed = claim_run_name(root, name, name_suffix, is_free)
    warm_up(execution, root)  # worker processes start while this one loads the project
    with claimed.held():  # a failed run leaves no results/<name> behind: its name stays free
        return _run_claimed(root, settings, claimed.name, claimed.results_dir, message, capture, seed, progress,
                            execution, keep_failed)


def _run_claimed(
    root: Path, settings: Any, name: str, results_dir: Path, message: str, capture: bool, seed: int | None, progress: bool,
    execution: Execution, keep_failed: bool = False,
) -> RunResult:
    from rerun_git.experiment.project import ProjectLoader
    from rerun_git.experiment.runner import run_experiments
    from rerun_git.record.summary import best_of, headline, summarize

    recorder = ConfigRecorder(name)
    context = recorder.bind_project(root, settings, 0 if seed is None else seed, message)
    loader = ProjectLoader(root, CaptureStrategy(recorder))
    recorder.sources = loader.files  # Brisk's file sections take the bytes the loader executes, as it loads them
    # As in Brisk, a failing experiment does not stop the others (the runner keeps going); the run is
    # captured with failures only under --keep-failed.
    outcome = run_experiments(loader, results_dir, seed=seed, progress=progress, execution=execution,
                              split_plots=settings.split_plots)
    if outcome.failures and len(outcome.failures) == outcome.experiments:  # as Brisk: nothing to report
        from rerun_git.errors import RerunError

        first = next(iter(outcome.failures.values()))
        raise RerunError(f"all {outcome.experiments} experiments failed: {first}",
                         hint="nothing was captured and results/<name> is not kept; fix the error and run again")
    context.seed = outcome.seed
    best = best_of(outcome.metrics, recorder.sections.get("metrics", []))
    result = RunResult(name=name, results_dir=results_dir, metrics=outcome.metrics, lines=summarize(outcome.metrics),
                       headline=headline(best), seed=outcome.seed, failures=list(outcome.failures.values()),
                       experiments=outcome.experiments)
    if capture and (keep_failed or not outcome.failures):
        recorder.record_outcome(outcome, loader.files)
        published, _record = capture_snapshot(recorder, context, results_dir)
        result.tag, result.commit = published.tag, published.commit
    return result

