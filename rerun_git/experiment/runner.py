"""Run every group x dataset x split x algorithm and collect the metric table."""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rerun_git.errors import RerunError
from rerun_git.experiment.algorithms import AlgorithmCollection
from rerun_git.experiment.backends import Execution, close_quietly
from rerun_git.experiment.cells import Cell, CellResult, CellTask, LoadedProject, ProjectCode, execute_cell, write_cell_files
from rerun_git.experiment.configuration import ExperimentPlan
from rerun_git.experiment.distribution import FOLDER, write_split_distribution
from rerun_git.experiment._params import dataset_key
from rerun_git.experiment.evaluators import EvaluatorRegistry
from rerun_git.experiment.guard import project_code
from rerun_git.experiment.metrics import MetricManager
from rerun_git.experiment.project import ProjectLoader
from rerun_git.experiment.seeds import cell_seed, fallback_seed
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
    #: Experiments (cells) run, failed ones included.
    experiments: int = 0
    #: Whether the project imported Brisk's names (``import brisk``).
    uses_brisk: bool = False
    #: The run seed used (the one given, else the DataManager's ``random_state``, else the default).
    seed: int = 0
    #: How the cells ran (informational): backend, workers, scheduler, cells, seconds.
    execution: dict[str, Any] = field(default_factory=dict)
    #: Cells that failed (the others ran): ``"<cell key>"`` -> the one-line error, naming the cell.
    failures: dict[str, str] = field(default_factory=dict)


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
    execution: Execution = field(default_factory=Execution)
    continue_on_failure: bool = True
    failures: dict[str, str] = field(default_factory=dict)
    #: The thread starting the worker processes (joined before the first cell is sent).
    warming: Any = None
    #: Draw the split_distribution figures too (``[run] split_plots``).
    split_plots: bool = False


def run_experiments(loader: ProjectLoader, results_dir: Path, seed: int | None, progress: bool = False,
                    execution: Execution | None = None, continue_on_failure: bool = True,
                    split_plots: bool = False) -> RunOutcome:
    """Load the project through ``loader`` and run every experiment cell.

    Parameters
    ----------
    loader : ProjectLoader
        The project's loader (its service sees every load).
    results_dir : Path
        Where outputs go: Brisk's ``<group>/<dataset>/split_<i>/<group>_<algorithm>/``.
    seed : int or None
        The run seed; each cell's seed is ``cell_seed(seed, cell.key)``.
        None: the DataManager's ``random_state``, else ``DEFAULT_SEED`` (see ``experiment/seeds.py``).
    progress : bool
        Show a tqdm progress bar.
    execution : Execution, optional
        Where cells run (default: in this process); the numbers do not depend on it.
    continue_on_failure : bool
        Keep running after a cell fails, as Brisk does (the default; failures go to
        ``RunOutcome.failures``); False cancels the rest and raises the first failure.
    split_plots : bool
        Also draw the split_distribution figures (``[run] split_plots``; the statistics are always written).

    Returns
    -------
    RunOutcome
    """
    from rerun_git.experiment.backends import warm_up

    started = time.perf_counter()
    execution = execution or Execution()
    warming = warm_up(execution)  # worker processes start while this one loads the project
    with project_code("the run"), loader.importing():
        checked = validate_project(loader, seed=seed)  # raises the first problem: nothing trains
        plan, jobs = checked.plan, checked.jobs
        seed = fallback_seed(checked.base) if seed is None else seed
        assert plan is not None and checked.metrics is not None and checked.evaluators is not None
        ctx = _Context(loader, plan, checked.metrics, checked.evaluators, Path(results_dir), seed, checked.algorithms,
                       execution=execution, continue_on_failure=continue_on_failure, warming=warming,
                       split_plots=split_plots)
        dataset_info, cells = _run_jobs(ctx, jobs, progress)
    return RunOutcome(
        experiments=cells,
        uses_brisk=loader.brisk.used,
        seed=seed,
        execution=_describe(ctx.execution, cells, time.perf_counter() - started),
        failures=ctx.failures,
        splits=ctx.splits,
        evaluators=checked.evaluators.export_params(),
        metrics=ctx.table,
        datasets=_unique([(j.file, j.table) for j in jobs]),
        dataset_info=dataset_info,
        plan=plan,
        workflows={j.group.name: {"file": f"workflows/{j.group.workflow}.py", "class": j.workflow.__name__}
                   for j in jobs},
    )


def _describe(execution: Execution, cells: int, seconds: float) -> dict[str, Any]:
    described: dict[str, Any] = {"backend": execution.backend, "jobs": execution.workers, "cells": cells,
                                 "seconds": round(seconds, 3)}
    if execution.scheduler is not None:
        del described["jobs"]
        described["scheduler"] = execution.scheduler
    return described


def _unique(items: list[tuple[str, str | None]]) -> list[tuple[str, str | None]]:
    return list(dict.fromkeys(items))


# ---------------------------------------------------------------- running
def _run_jobs(ctx: _Context, jobs: list[Job], progress: bool) -> tuple[dict[str, dict[str, Any]], int]:
    """Split every group x dataset, run every cell, merge the outputs in grid order."""
    items: list[tuple[CellTask, Any]] = []
    info: dict[str, dict[str, Any]] = {}
    threads = ctx.execution.worker_threads()
    for job in jobs:
        splits = job.manager.split(job.data, job.categorical, seed=ctx.seed, algorithms=ctx.algorithms)
        for split in splits:
            ctx.splits[f"{job.group.name}/{job.label}/split_{split.index}"] = {
                **split.fingerprint(), "feature_names": list(split.feature_names)}
            write_split_distribution(split, job.group.name, job.label,
                                     ctx.results_dir / split_folder(job.group.name, job.label, split.index) / FOLDER,
                                     ctx.plan.plot_settings, plots=ctx.split_plots)
        features = job.manager.feature_columns(job.data)
        info.setdefault(dataset_key(job.file, job.table), {
            "feature_names": features,
            "num_features": len(features),
            "num_samples": int(job.data.shape[0]),
            "columns": [str(c) for c in job.data.columns],  # every column as loaded (Brisk's feature_names)
        })
        for split in splits:
            for experiment in job.algorithms:
                cell = Cell.of(job.group.name, job.label, split.index, [w.name for w in experiment])
                items.append((CellTask(cell, cell_seed(ctx.seed, cell.key), job.group.workflow,
                                       dict(job.group.workflow_args), output=experiment_dir(cell), threads=threads), split))
    experiments = sum(len(job.algorithms) for job in jobs)
    ctx.loader.freeze()  # from here on every cell runs the bytes read now, wherever it runs
    results = _collect(ctx, items, _progress_bar(len(items), experiments, progress, ctx.execution))
    for task, _split in items:  # grid order, whatever order the cells finished in
        _merge(ctx, task, results.get(task.cell))
    order = [task.cell.key for task, _split in items]
    ctx.failures = {key: ctx.failures[key] for key in order if key in ctx.failures}  # reported in grid order too
    return info, len(items)


def split_folder(group: str, dataset: str, split: int) -> str:
    """Brisk's results folder of one split: ``<group>/<dataset>/split_<i>``."""
    return f"{group}/{dataset}/split_{split}"


def experiment_dir(cell: Cell) -> str:
    """Brisk's results folder of one experiment: ``<group>/<dataset>/split_<i>/<group>_<algorithm>[_<algorithm2>...]``."""
    return f"{split_folder(cell.group, cell.dataset, cell.split)}/{cell.group}_{'_'.join(cell.algorithms)}"


def _collect(ctx: _Context, items: list[tuple[CellTask, Any]], bar: Any) -> dict[Cell, CellResult]:
    """Run the cells (in this process or on workers); each result as it finishes."""
    results: dict[Cell, CellResult] = {}
    tasks = {task.cell: task for task, _split in items}
    stream = _remote_results(ctx, items) if ctx.execution.parallel else _local_results(ctx, items)
    try:
        for result in stream:
            task = tasks[result.cell]
            if result.files:
                write_cell_files(result, ctx.results_dir / task.output)
            if result.error is not None:
                message, hint = result.error
                if not ctx.continue_on_failure:
                    raise RerunError(message, hint=hint)
                useful = hint and not hint.startswith("raised while running")
                ctx.failures[result.cell.key] = f"{message} (hint: {hint})" if useful else message
            results[result.cell] = result
            bar.set_postfix_str(result.cell.key, refresh=False)
            bar.update(1)
    finally:
        close_quietly(stream)
        _close_bar(bar)
    return results


def _local_results(ctx: _Context, items: list[tuple[CellTask, Any]]) -> Any:
    assert ctx.algorithms is not None
    project = LoadedProject(ctx.loader, ctx.plan, ctx.algorithms, ctx.metrics, ctx.evaluators)
    for task, split in items:
        yield execute_cell(project, task, split, ctx.results_dir / task.output)


def _remote_results(ctx: _Context, items: list[tuple[CellTask, Any]]) -> Any:
    from rerun_git.experiment.backends import run_remote

    code = ProjectCode.of(ctx.loader.root, ctx.loader.freeze())  # the bytes every worker runs
    if ctx.warming is not None:
        ctx.warming.join()
    yield from run_remote(code, items, ctx.execution)


def _merge(ctx: _Context, task: CellTask, result: CellResult | None) -> None:
    """Add a cell's metric rows to the table and the project files it executed to the loader's."""
    if result is None or result.error is not None:
        return
    for filename, values in result.rows:
        ctx.table.setdefault(f"{task.cell.key}/{filename}", {}).update(values)
    for rel in result.executed:
        ctx.loader.read_bytes(rel)


def _progress_bar(total: int, experiments: int, enabled: bool, execution: Execution) -> Any:
    from tqdm import tqdm

    where = {"serial": "in this process", "loky": f"{execution.workers} processes",
             "dask": f"Dask at {execution.scheduler}"}[execution.backend]
    bar = tqdm(total=total, unit="cell", desc=f"rerun-git: {experiments} experiments, {where}",
               disable=not enabled, leave=False)
    bar.started = time.perf_counter()
    return bar


def _close_bar(bar: Any) -> None:
    done, total = bar.n, bar.total
    bar.close()
    if not bar.disable:
        print(f"rerun-git: {done} of {total} cells in {time.perf_counter() - bar.started:.1f} s", file=sys.stderr)
