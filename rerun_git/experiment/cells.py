"""Experiment cells: the independent units a grid runs, and the one function that runs a cell.

A cell is (group, dataset, split index, algorithm), where the algorithm is one
name or, for a Brisk multi-algorithm experiment (``algorithms=[["a", "b"]]``),
the names joined by ``+`` (``"a+b"``; algorithm names never hold ``+``). What it needs is explicit
(:class:`CellTask` plus its :class:`~rerun_git.experiment.data.DataSplit` and
the project's code), and so is what it gives back (:class:`CellResult`: metric
rows in the order they were recorded, the files it wrote, the project files it
executed). A cell's seed comes from :func:`~rerun_git.experiment.seeds.cell_seed`,
never from the order cells run in.

:func:`execute_cell` runs a cell with a loaded project (the in-process path);
:func:`run_cell` is what a worker process runs: it rebuilds the project from the
shipped bytes (:class:`ProjectCode`, once per worker and sha256) with the same
import hook, never from the worker's disk, and sends the written files back.
"""
from __future__ import annotations

import hashlib
import os
import random
import socket
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rerun_git.errors import RerunError
from rerun_git.experiment.strategy import PassThroughStrategy
from rerun_git.experiment.warnings_once import each_warning_once

if TYPE_CHECKING:
    from rerun_git.experiment.algorithms import AlgorithmCollection, AlgorithmWrapper
    from rerun_git.experiment.configuration import ExperimentPlan
    from rerun_git.experiment.data import DataSplit
    from rerun_git.experiment.evaluators import EvaluatorRegistry
    from rerun_git.experiment.metrics import MetricManager
    from rerun_git.experiment.project import ProjectLoader
    from rerun_git.experiment.workflow import Workflow


#: Joins the algorithm names of a multi-algorithm experiment in its cell's ``algorithm`` (``"linear+ridge"``).
ALGORITHM_JOIN = "+"


@dataclass(frozen=True, order=True)
class Cell:
    """One experiment cell: a group's algorithm (or algorithms) on one split of one dataset."""

    group: str
    dataset: str
    split: int
    #: One algorithm name, or several joined by :data:`ALGORITHM_JOIN`.
    algorithm: str

    @classmethod
    def of(cls, group: str, dataset: str, split: int, algorithms: Sequence[str]) -> Cell:
        """The cell of an experiment with ``algorithms`` (one name, or several for model, model2, ...)."""
        return cls(group, dataset, split, ALGORITHM_JOIN.join(algorithms))

    @property
    def algorithms(self) -> tuple[str, ...]:
        """The experiment's algorithm names: ``self.model``'s first, then ``model2``'s, ..."""
        return tuple(self.algorithm.split(ALGORITHM_JOIN))

    @property
    def key(self) -> str:
        """``"<group>/<dataset>/split_<i>/<algorithm>"``: the cell's name and the input of its seed."""
        return f"{self.group}/{self.dataset}/split_{self.split}/{self.algorithm}"


@dataclass(frozen=True)
class ProjectCode:
    """The project's files as the loader read them, shipped to workers and keyed by sha256.

    ``files`` maps relative POSIX paths to bytes; ``digest`` is the sha256 of
    the sorted ``path NUL sha256(bytes)`` lines (:meth:`of`).
    """

    root: str
    files: dict[str, bytes]
    digest: str

    @classmethod
    def of(cls, root: str | Path, files: dict[str, bytes]) -> ProjectCode:
        """Freeze ``files`` (path -> bytes) of the project at ``root``."""
        lines = "".join(f"{rel}\0{hashlib.sha256(files[rel]).hexdigest()}\n" for rel in sorted(files))
        return cls(str(root), dict(files), hashlib.sha256(lines.encode("utf-8")).hexdigest())


@dataclass(frozen=True)
class CellTask:
    """What a cell needs besides its split and the project's code.

    Parameters
    ----------
    cell : Cell
        Which cell.
    seed : int
        Its seed (numpy, ``random``, the workflow's ``seed`` and the model's ``random_state``).
    workflow : str
        The group's workflow module name (``workflows/<workflow>.py``).
    workflow_args : dict
        The group's workflow arguments.
    output : str
        The cell's results folder, relative to the run's results folder.
    threads : int or None
        BLAS/OpenMP threads allowed inside a worker (threadpoolctl); ``None`` leaves them alone.
    """

    cell: Cell
    seed: int
    workflow: str
    workflow_args: dict[str, Any]
    output: str
    threads: int | None = None


@dataclass
class CellResult:
    """What a cell produced.

    ``rows`` are ``(result file, {metric: value})`` in the order the workflow
    recorded them; ``files`` the bytes of the files it wrote (relative to its
    results folder; empty when it wrote them in place); ``executed`` the project
    files it executed; ``error`` the one-line failure (message, hint), if any.
    """

    cell: Cell
    rows: list[tuple[str, dict[str, float]]] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    executed: list[str] = field(default_factory=list)
    seconds: float = 0.0
    worker: str = ""
    error: tuple[str, str | None] | None = None


@dataclass
class LoadedProject:
    """The project objects a cell runs with."""

    loader: ProjectLoader
    plan: ExperimentPlan
    algorithms: AlgorithmCollection
    metrics: MetricManager
    evaluators: EvaluatorRegistry
    workflows: dict[str, type[Workflow]] = field(default_factory=dict)

    def workflow(self, name: str) -> type[Workflow]:
        """The Workflow class of ``workflows/<name>.py`` (loaded once)."""
        if name not in self.workflows:
            self.workflows[name] = self.loader.load_workflow(name)
        return self.workflows[name]

    def cell_algorithms(self, cell: Cell) -> list[AlgorithmWrapper]:
        """The cell's algorithms, with its group's ``algorithm_config`` grids (``add_experiment_group``)."""
        from rerun_git.experiment.validation import group_algorithm

        group = next((g for g in self.plan.groups if g.name == cell.group), None)
        overrides = group.algorithm_config if group is not None else {}
        return [group_algorithm(self.algorithms, name, overrides.get(name)) for name in cell.algorithms]


def worker_name() -> str:
    """``"<host>:<pid>"`` of this process: where a cell ran."""
    return f"{socket.gethostname()}:{os.getpid()}"


def execute_cell(project: LoadedProject, task: CellTask, split: DataSplit, output_dir: Path) -> CellResult:
    """Run one cell with ``project`` into ``output_dir``; a failure is returned, never raised.

    Returns
    -------
    CellResult
        Its metric rows; ``error`` is ``(message, hint)`` when project code failed.
    """
    import numpy as np

    result = CellResult(task.cell, worker=worker_name())
    key = task.cell.key
    start = time.perf_counter()
    np.random.seed(task.seed)
    random.seed(task.seed)
    try:
        with project.loader.importing(), each_warning_once():
            workflow = project.workflow(task.workflow)(
                algorithm=project.cell_algorithms(task.cell),
                metric_manager=project.metrics,
                evaluators=project.evaluators, output_dir=output_dir,
                record=lambda filename, values: result.rows.append((filename, dict(values))),
                seed=task.seed, workflow_args=task.workflow_args, plot_settings=project.plan.plot_settings,
                algorithms=project.algorithms,
            )
            workflow.run(split)
    except RerunError as exc:
        result.error = (f"{key}: {exc.message}", exc.hint)
    except Exception as exc:  # SystemExit goes on: experiment.guard (or a worker's run_cell) makes it a failure
        error = project.loader.error_from(exc, f"workflows/{task.workflow}.py")
        result.error = (f"{key}: {error.message}", f"raised while running {key}")
    result.seconds = time.perf_counter() - start
    result.executed = sorted(project.loader.files)
    return result


#: The BLAS/OpenMP limit this worker process has set (threadpoolctl), once for its lifetime.
_THREADS_SET: list[int] = []


def _limit_threads(threads: int | None) -> None:
    """Limit this worker's BLAS/OpenMP pools to ``threads`` (once per process: it takes milliseconds)."""
    if threads is None or _THREADS_SET == [threads]:
        return
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=threads)
    _THREADS_SET[:] = [threads]


#: Projects a worker process has loaded, by ProjectCode.digest (the last few only).
_LOADED: dict[str, LoadedProject | RerunError] = {}
_LOADED_MAX = 4
#: One cell at a time per process: cells set process-wide state (seeds, the import hook, thread limits).
_CELL_LOCK = threading.Lock()


def run_cell(code: ProjectCode, task: CellTask, split: DataSplit) -> CellResult:
    """Run one cell in a worker process from the shipped project bytes; its files come back as bytes."""
    with _CELL_LOCK:
        return _run_shipped(code, task, split)


def _run_shipped(code: ProjectCode, task: CellTask, split: DataSplit) -> CellResult:
    project = _loaded(code)
    _limit_threads(task.threads)  # after the project's imports loaded their BLAS/OpenMP libraries
    if isinstance(project, RerunError):
        return CellResult(task.cell, worker=worker_name(),
                          error=(f"{task.cell.key}: {project.message}", project.hint))
    import joblib

    # A workflow's own n_jobs runs in threads of this worker: on a Dask worker joblib would otherwise
    # send the nested work back to the cluster, whose workers are all busy with cells (a deadlock).
    with tempfile.TemporaryDirectory(prefix="rerun-git-cell-") as tmp, joblib.parallel_config(backend="threading"):
        try:
            result = execute_cell(project, task, split, Path(tmp))
        except SystemExit as exc:  # project code may not end a worker, not even "successfully"
            return CellResult(task.cell, worker=worker_name(), error=(
                f"project code called sys.exit({exc.code!r}) during the run ({task.cell.key}): that is a failure",
                "a run or reproduction must finish its experiments; remove the exit from the project's code"))
        result.files = {p.relative_to(tmp).as_posix(): p.read_bytes()
                        for p in sorted(Path(tmp).rglob("*")) if p.is_file()}
    return result


def _loaded(code: ProjectCode) -> LoadedProject | RerunError:
    if code.digest not in _LOADED:
        while len(_LOADED) >= _LOADED_MAX:
            _LOADED.pop(next(iter(_LOADED)))
        try:
            _LOADED[code.digest] = load_shipped_project(code)
        except RerunError as exc:
            _LOADED[code.digest] = exc
    return _LOADED[code.digest]


def load_shipped_project(code: ProjectCode) -> LoadedProject:
    """Load the project from ``code``'s bytes only (configuration, algorithms, metrics, evaluators)."""
    from rerun_git.experiment.project import ProjectLoader

    loader = ProjectLoader.from_files(code.root, code.files, PassThroughStrategy())
    with loader.importing():
        plan = loader.load_configuration()
        algorithms = loader.load_algorithms()
        metrics = loader.load_metrics()
        evaluators = loader.load_evaluators(plan.plot_settings)
    return LoadedProject(loader, plan, algorithms, metrics, evaluators)


def write_cell_files(result: CellResult, output_dir: Path) -> None:
    """Write the files a worker sent back into the cell's results folder (paths checked)."""
    base = output_dir.resolve()
    for rel, data in result.files.items():
        target = (base / rel).resolve()
        if not target.is_relative_to(base):
            raise RerunError(f"{result.cell.key}: a worker sent a file outside its results folder: {rel!r}",
                             hint="this is a bug in the worker")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
