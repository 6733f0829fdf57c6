"""Run every group x dataset x split x algorithm and collect the metric table."""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rerun_git.errors import RerunError
from rerun_git.experiment.algorithms import AlgorithmCollection, AlgorithmWrapper
from rerun_git.experiment.configuration import ExperimentPlan
from rerun_git.experiment._params import dataset_key
from rerun_git.experiment.evaluators import EvaluatorRegistry
from rerun_git.experiment.guard import project_code
from rerun_git.experiment.metrics import MetricManager
from rerun_git.experiment.project import ProjectLoader
from rerun_git.experiment.seeds import fallback_seed
from rerun_git.experiment.validation import Job, validate_project
from rerun_git.experiment.validation import group_data_manager  # noqa: F401  (its former home)


@dataclass
class RunOutcome:
    """What a run produced, for the service to record."""

    metrics: dict[str, dict[str, float]]
    datasets: list[tuple[str, str | None]]
    dataset_info: dict[str, dict[str, Any]]
    plan: ExperimentPlan
    workflows: dict[str, dict[str, str]]
    #: ``"<group>/<dataset>/split_<i>"`` -> sizes and sha256 of the train/test row indices.
    splits: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: The registered custom evaluators: ``{name: {"func": ..., "kind": ...}}``.
    evaluators: dict[str, dict[str, str]] = field(default_factory=dict)
    #: The run seed used (the one given, else the DataManager's ``random_state``, else the default).
    seed: int = 0


@dataclass
class _Context:
    """The loaded project objects shared by all jobs."""

    loader: ProjectLoader
    plan: ExperimentPlan
    metrics: MetricManager
    evaluators: EvaluatorRegistry
    results_dir: Path
    seed: int
    algorithms: AlgorithmCollection | None = None
    table: dict[str, dict[str, float]] = field(default_factory=dict)
    splits: dict[str, dict[str, Any]] = field(default_factory=dict)


def run_experiments(loader: ProjectLoader, results_dir: Path, seed: int | None, progress: bool = False) -> RunOutcome:
    """Load the project through ``loader`` and run every experiment.

    Parameters
    ----------
    loader : ProjectLoader
        The project's loader (its service sees every load).
    results_dir : Path
        Where outputs go: ``<group>/<dataset>/split_<i>/<algorithm>/``.
    seed : int or None
        The run seed: numpy/random are seeded with it before each workflow run.
        None: the DataManager's ``random_state``, else ``DEFAULT_SEED`` (see ``experiment/seeds.py``).
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    RunOutcome
    """
    with project_code("the run"), loader.importing():
        checked = validate_project(loader, seed=seed)  # raises the first problem: nothing trains
        plan, jobs = checked.plan, checked.jobs
        seed = fallback_seed(checked.base) if seed is None else seed
        assert plan is not None and checked.metrics is not None and checked.evaluators is not None
        ctx = _Context(loader, plan, checked.metrics, checked.evaluators, Path(results_dir), seed, checked.algorithms)
        dataset_info = _run_jobs(ctx, jobs, progress)
    return RunOutcome(
        seed=seed,
        splits=ctx.splits,
        evaluators=checked.evaluators.export_params(),
        metrics=ctx.table,
        datasets=_unique([(j.file, j.table) for j in jobs]),
        dataset_info=dataset_info,
        plan=plan,
        workflows={j.group.name: {"file": f"workflows/{j.group.workflow}.py", "class": j.workflow.__name__}
                   for j in jobs},
    )


def _unique(items: list[tuple[str, str | None]]) -> list[tuple[str, str | None]]:
    return list(dict.fromkeys(items))


# ---------------------------------------------------------------- running
def _progress_bar(total: int, enabled: bool) -> Any:
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="run", desc="rerun-git")


def _run_jobs(ctx: _Context, jobs: list[Job], progress: bool) -> dict[str, dict[str, Any]]:
    total = sum(j.manager.n_splits * len(j.algorithms) for j in jobs)
    bar = _progress_bar(total, progress)
    info: dict[str, dict[str, Any]] = {}
    try:
        for job in jobs:
            splits = job.manager.split(job.data, job.categorical, seed=ctx.seed, algorithms=ctx.algorithms)
            for split in splits:
                ctx.splits[f"{job.group.name}/{job.label}/split_{split.index}"] = {
                    **split.fingerprint(), "feature_names": list(split.feature_names)}
            features = job.manager.feature_columns(job.data)
            info.setdefault(dataset_key(job.file, job.table), {
                "feature_names": features,
                "num_features": len(features),
                "num_samples": int(job.data.shape[0]),
            })
            for split in splits:
                for wrapper in job.algorithms:
                    _run_one(ctx, job, split, wrapper)
                    if bar is not None:
                        bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return info


def _run_one(ctx: _Context, job: Job, split: Any, wrapper: AlgorithmWrapper) -> None:
    prefix = f"{job.group.name}/{job.label}/split_{split.index}/{wrapper.name}"

    def record(filename: str, values: dict[str, float]) -> None:
        ctx.table.setdefault(f"{prefix}/{filename}", {}).update(values)

    np.random.seed(ctx.seed)
    random.seed(ctx.seed)
    try:
        workflow = job.workflow(
            algorithm=wrapper, metric_manager=ctx.metrics, evaluators=ctx.evaluators,
            output_dir=ctx.results_dir / prefix, record=record, seed=ctx.seed,
            workflow_args=job.group.workflow_args, plot_settings=ctx.plan.plot_settings,
        )
        workflow.run(split)
    except RerunError as exc:
        raise RerunError(f"{prefix}: {exc.message}", hint=exc.hint) from exc
    except Exception as exc:
        error = ctx.loader.error_from(exc, f"workflows/{job.group.workflow}.py")
        raise RerunError(error.message, hint=f"raised while running {prefix}") from exc
