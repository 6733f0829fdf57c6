"""Run every group x dataset x split x algorithm and collect the metric table."""
from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rerun_git.errors import RerunError
from rerun_git.experiment.algorithms import AlgorithmCollection, AlgorithmWrapper
from rerun_git.experiment.configuration import ExperimentGroup, ExperimentPlan, split_dataset
from rerun_git.experiment.data import DataManager, dataset_key, dataset_label, load_dataset
from rerun_git.experiment.evaluators import EvaluatorRegistry
from rerun_git.experiment.metrics import MetricManager
from rerun_git.experiment.project import ProjectLoader, dataset_path
from rerun_git.experiment.static_checks import check_workflow_names
from rerun_git.experiment.workflow import Workflow, check_workflow_arg


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


@dataclass
class _Job:
    """One group x dataset, validated and ready to run."""

    group: ExperimentGroup
    file: str
    table: str | None
    label: str
    data: pd.DataFrame
    manager: DataManager
    categorical: list[str]
    workflow: type[Workflow]
    algorithms: list[AlgorithmWrapper] = field(default_factory=list)


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


def group_data_manager(base: DataManager, data_config: dict[str, Any]) -> DataManager:
    """Return a DataManager with the group's ``data_config`` overriding ``base``'s params."""
    manager = DataManager.from_params({**base.get_params(), **data_config})
    manager.validate()
    return manager


def run_experiments(loader: ProjectLoader, results_dir: Path, seed: int, progress: bool = False) -> RunOutcome:
    """Load the project through ``loader`` and run every experiment.

    Parameters
    ----------
    loader : ProjectLoader
        The project's loader (its service sees every load).
    results_dir : Path
        Where outputs go: ``<group>/<dataset>/split_<i>/<algorithm>/``.
    seed : int
        Global seed: numpy/random are seeded with it before each workflow run.
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    RunOutcome
    """
    with loader.importing():
        plan = loader.load_configuration()
        base = loader.load_base_data_manager()
        algorithms = loader.load_algorithms()
        metrics = loader.load_metrics()
        evaluators = loader.load_evaluators(plan.plot_settings)
        jobs = _prepare_jobs(loader, plan, base, algorithms, seed)
        _check_workflow_sources(loader, jobs, metrics, evaluators)
        ctx = _Context(loader, plan, metrics, evaluators, Path(results_dir), seed, algorithms)
        dataset_info = _run_jobs(ctx, jobs, progress)
    return RunOutcome(
        splits=ctx.splits,
        evaluators=evaluators.export_params(),
        metrics=ctx.table,
        datasets=_unique([(j.file, j.table) for j in jobs]),
        dataset_info=dataset_info,
        plan=plan,
        workflows={j.group.name: {"file": f"workflows/{j.group.workflow}.py", "class": j.workflow.__name__}
                   for j in jobs},
    )


def _unique(items: list[tuple[str, str | None]]) -> list[tuple[str, str | None]]:
    return list(dict.fromkeys(items))


# ---------------------------------------------------------------- validation
def _prepare_jobs(loader: ProjectLoader, plan: ExperimentPlan, base: DataManager,
                  algorithms: AlgorithmCollection, seed: int | None = None) -> list[_Job]:
    """Validate everything that can be checked before training; return the jobs."""
    frames: dict[str, pd.DataFrame] = {}
    workflows: dict[str, type[Workflow]] = {}
    jobs: list[_Job] = []
    for group in plan.groups:
        manager = _group_manager(base, group, algorithms, seed)
        if group.workflow not in workflows:
            workflows[group.workflow] = loader.load_workflow(group.workflow)
        workflow = workflows[group.workflow]
        for name in group.workflow_args:
            check_workflow_arg(workflow, name)
        wrappers = [_algorithm(algorithms, name, group) for name in group.algorithms]
        jobs.extend(_group_jobs(loader, plan, group, manager, workflow, wrappers, frames))
    return jobs


def _check_workflow_sources(loader: ProjectLoader, jobs: list[_Job], metrics: MetricManager,
                            evaluators: EvaluatorRegistry) -> None:
    """Literal metric and evaluator names in the workflow files must exist (before training)."""
    for name in dict.fromkeys(j.group.workflow for j in jobs):
        rel = f"workflows/{name}.py"
        check_workflow_names(loader.read_bytes(rel), rel, metrics, evaluators)


def _group_manager(base: DataManager, group: ExperimentGroup, algorithms: AlgorithmCollection | None = None,
                   seed: int | None = None) -> DataManager:
    try:
        manager = group_data_manager(base, group.data_config)
        manager.check_context(algorithms, seed)
        return manager
    except RerunError as exc:
        raise RerunError(f"group {group.name!r}: {exc.message}", hint=exc.hint) from exc


def _algorithm(algorithms: AlgorithmCollection, name: str, group: ExperimentGroup) -> AlgorithmWrapper:
    try:
        wrapper = algorithms[name]
        wrapper.validate()
    except RerunError as exc:
        raise RerunError(f"group {group.name!r}: {exc.message}", hint=exc.hint) from exc
    return wrapper


def _group_jobs(loader: ProjectLoader, plan: ExperimentPlan, group: ExperimentGroup, manager: DataManager,
                workflow: type[Workflow], wrappers: list[AlgorithmWrapper],
                frames: dict[str, pd.DataFrame]) -> Iterator[_Job]:
    labels: dict[str, str] = {}
    for dataset in group.datasets:
        file, table = split_dataset(dataset)
        key, label = dataset_key(file, table), dataset_label(file, table)
        if label in labels:
            raise RerunError(f"group {group.name!r}: datasets {labels[label]!r} and {key!r} share the label {label!r}",
                             hint="rename one of the files so their results folders differ")
        labels[label] = key
        if key not in frames:
            frames[key] = load_dataset(dataset_path(loader.root, file), table)
        categorical = plan.categorical_for(file, table)
        try:
            manager.check_dataset(frames[key], categorical)
        except RerunError as exc:
            raise RerunError(f"group {group.name!r}, dataset {key!r}: {exc.message}", hint=exc.hint) from exc
        yield _Job(group, file, table, label, frames[key], manager, categorical, workflow, wrappers)


# ---------------------------------------------------------------- running
def _progress_bar(total: int, enabled: bool) -> Any:
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="run", desc="rerun-git")


def _run_jobs(ctx: _Context, jobs: list[_Job], progress: bool) -> dict[str, dict[str, Any]]:
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


def _run_one(ctx: _Context, job: _Job, split: Any, wrapper: AlgorithmWrapper) -> None:
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
