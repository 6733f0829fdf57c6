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
    #: Recorded train/test splits whose rows, features or kept split_distribution statistics the reproduction
    #: did not match.
    split_mismatches: list[str] = field(default_factory=list)
    #: The run's name as its tag says (validated); the record's own ``name`` field is never used for paths or output.
    name: str = ""

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
    trust: bool = False,
    verify_signature: bool = False,
    jobs: int | None = None,
    scheduler: str | None = None,
) -> Reproduction:
    """Check the run's snapshot out into a locked worktree, re-run it and compare every metric.

    Before anything runs, ``report`` is told the run's provenance (whether
    this clone captured it, its author, committer, tagger and source); the
    snapshot is refused when its tree holds anything outside the project
    layout. A run this clone did not capture runs its code only with
    ``trust`` (or a trusted remote or signer in the settings); otherwise
    ``report`` is told what would run and a :class:`RerunError` raised. The
    checked-out bytes are verified against the record; results go to
    ``<worktree>/results/<tag name>``. ``jobs`` / ``scheduler`` choose where
    the cells run (default: this project's ``[run] jobs`` / ``[run]
    scheduler``); workers run the snapshot's bytes.
    """
    from rerun_git.experiment.backends import resolve_execution, warm_up
    from rerun_git.experiment.project import ProjectLoader
    from rerun_git.experiment.runner import run_experiments
    from rerun_git.record.provenance import provenance_lines, run_origin, trust_reason
    from rerun_git.record.validation import check_snapshot_layout, check_snapshot_sizes, verify_checkout
    from rerun_git.reproduce.checks import check_tolerances, compare_split_distributions
    from rerun_git.settings import settings_near
    from rerun_git.store.repo import Repo
    from rerun_git.store.runs import list_tree, validate_run_name
    from rerun_git.store.tree_sizes import tree_blob_sizes
    from rerun_git.store.worktree import add_worktree, remove_stale_worktrees, remove_worktree

    check_tolerances(rtol, atol)
    here = settings_near(start)
    execution = resolve_execution(jobs, scheduler, here.jobs, here.scheduler)
    warm_up(execution)  # worker processes start while the snapshot is checked out and loaded
    run, record, _top = load_run(name, start)
    validate_run_name(run.name)
    repo, settings = Repo.open(start), here
    origin = run_origin(repo, RefSettings.of(settings), run, check_signature=verify_signature)
    report(f"reproducing {run.tag} ({run.commit[:12]}), captured {record.created}")
    for line in provenance_lines(origin, record.created, record.dirty):
        report(line)
    if verify_signature and not (origin.signature and origin.signature.good):
        raise RerunError(f"{run.tag} has no good signature ({origin.signature.detail if origin.signature else 'unchecked'})",
                         hint=f"`git verify-tag {run.tag}` shows git's verdict; drop --verify-signature to skip the check")
    if not record.command and not record.base_data_manager:
        raise RerunError(f"{run.tag} was captured without a command: it can be shown but not reproduced",
                         hint="capture the script as `rerun-git capture --name N -- python train.py` to make it reproducible")
    check_snapshot_layout(record, list_tree(repo, run.commit), run.tag)
    check_snapshot_sizes(tree_blob_sizes(repo, run.commit), run.tag, settings.embed_datasets_max_mb, settings.max_kept_mb)
    if trust_reason(repo, origin, settings, trust) is None:
        for line in _what_would_run(record):
            report(line)
        raise RerunError(
            f"{run.tag} was not captured in this clone; refusing to run its code without --trust",
            hint=f"inspect it (`rerun-git checkout {run.name} DIR`), then `rerun-git reproduce {run.name} --trust`; "
                 "or name its remote in rerun.toml [trust] remotes",
        )
    remove_stale_worktrees(repo)
    checkout = add_worktree(repo, run.commit, label=run.name, keep=keep_worktree)
    worktree = checkout.path
    for path in checkout.filtered:
        report(f"note: {path} has a git filter attribute; the run uses the bytes it stored, unfiltered")
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
            comparisons = compare_metrics(record.results, _rerun_command(record, run.name, worktree), rtol=rtol, atol=atol)
            split_mismatches: list[str] = []
        else:
            loader = ProjectLoader(worktree, strategy)
            outcome = run_experiments(loader, worktree / "results" / run.name, seed=record.seed, progress=progress,
                                      execution=execution, split_plots=settings_near(worktree).split_plots)
            comparisons = compare_metrics(record.results, outcome.metrics, rtol=rtol, atol=atol)
            split_mismatches = compare_splits(record.splits, outcome.splits) or compare_split_distributions(
                worktree / ".rerun" / "results", worktree / "results" / run.name, rtol, atol)
    finally:
        strategy.cleanup_temp_files()
    return Reproduction(record, comparisons, drift, worktree if keep_worktree else None, split_mismatches, run.name)


def _what_would_run(record: RunRecord) -> list[str]:
    """The code the snapshot would execute (its command, its Python files), for the user deciding whether to trust it."""
    import shlex

    code = sorted(path for path in record.files if path.endswith(".py"))
    shown = ", ".join(code[:8]) + (f", ... ({len(code) - 8} more)" if len(code) > 8 else "")
    lines = [f"  would run  {len(code)} Python file(s) of the snapshot: {shown or 'none'}"]
    if record.command:
        lines.insert(0, f"  would run  the command {shlex.join(record.command['argv'])}")
    return lines


def _rerun_command(record: RunRecord, name: str, worktree: Path) -> dict[str, dict[str, float]]:
    """Run the recorded command in the snapshot's worktree; its metrics (metrics file, or what ``recording()`` logs).

    ``name`` is the run's (validated) tag name: the record's own ``name`` never builds a path.
    """
    import tempfile

    from rerun_git.capture.external import command_environment, load_metrics_file, run_command

    command = record.command
    results_dir = worktree / "results" / name
    results_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="rerun-git-metrics-") as scratch:
        out = Path(scratch) / "metrics.json" if command.get("recording") else None
        run_command(command["argv"], worktree / command.get("cwd", ""),
                    command_environment(name, results_dir, record.seed, metrics_out=out))
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

