"""What is checked before anything trains: one implementation for ``run`` and ``check``.

:func:`validate_project` loads a project (configuration, base data manager,
algorithms, metrics, evaluators, the groups' workflows) and checks every group:
its data manager and preprocessors, workflow arguments, algorithms, datasets
(readable, results labels distinct, columns, and with ``load_data`` the rows),
then the literal metric and evaluator names of the workflows. Each problem goes
to a :class:`Problems`: by default the first is raised (what the runner wants);
``Problems(collect=True)`` keeps going and collects all of them (``rerun-git
check``), each as ``"<where>: <what>"``.

This module imports neither pandas nor scikit-learn itself until a group is
checked (the project's modules have imported them by then).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rerun_git.errors import RerunError
from rerun_git.experiment.static_checks import check_workflow_names

if TYPE_CHECKING:
    from rerun_git.experiment.algorithms import AlgorithmCollection, AlgorithmWrapper
    from rerun_git.experiment.configuration import ExperimentGroup, ExperimentPlan
    from rerun_git.experiment.data import DataManager
    from rerun_git.experiment.evaluators import EvaluatorRegistry
    from rerun_git.experiment.metrics import MetricManager
    from rerun_git.experiment.project import ProjectLoader
    from rerun_git.experiment.workflow import Workflow


@dataclass(frozen=True)
class Problem:
    """One thing that would break a run: ``"<where>: <what>"`` plus a hint."""

    text: str
    hint: str | None = None


class Problems:
    """Where validation problems go: the first is raised, or (``collect=True``) all are kept.

    Parameters
    ----------
    collect : bool
        Keep every problem in :attr:`found` (each once) instead of raising the first.
    """

    def __init__(self, collect: bool = False) -> None:
        self.collect = collect
        self.found: list[Problem] = []

    def add(self, error: RerunError, where: str = "") -> None:
        """Report ``error``, prefixed with ``"<where>: "`` when given."""
        text = f"{where}: {error.message}" if where else error.message
        if not self.collect:
            if not where:
                raise error
            raise RerunError(text, hint=error.hint) from error
        problem = Problem(text, error.hint)
        if problem not in self.found:
            self.found.append(problem)

    def call(self, func: Callable[..., Any], *args: Any, where: str = "") -> Any:
        """Return ``func(*args)``; a RerunError it raises is reported, and ``None`` returned."""
        try:
            return func(*args)
        except RerunError as exc:
            self.add(exc, where)
        return None

    def passes(self, func: Callable[..., Any], *args: Any, where: str = "") -> bool:
        """Run the check ``func(*args)``; return whether it passed (a failure is reported)."""
        try:
            func(*args)
        except RerunError as exc:
            self.add(exc, where)
            return False
        return True

    def load(self, func: Callable[..., Any], *args: Any, where: str = "") -> Any:
        """Like :meth:`call`, for a call that loads or runs project code (subclasses may time it)."""
        return self.call(func, *args, where=where)


@dataclass
class Job:
    """One group x dataset, validated and ready to run (``data`` is ``None`` unless loaded)."""

    group: ExperimentGroup
    file: str
    table: str | None
    label: str
    data: Any
    manager: DataManager
    categorical: list[str]
    workflow: type[Workflow]
    #: The group's experiments: one algorithm each, or several (Brisk's ``[["a", "b"]]``: model, model2, ...).
    algorithms: list[tuple[AlgorithmWrapper, ...]] = field(default_factory=list)


@dataclass
class Validation:
    """What :func:`validate_project` loaded and checked.

    With ``Problems(collect=True)`` an object that failed to load is ``None`` and
    ``jobs`` holds only the group x datasets that passed every check.
    """

    plan: ExperimentPlan | None = None
    base: DataManager | None = None
    algorithms: AlgorithmCollection | None = None
    metrics: MetricManager | None = None
    evaluators: EvaluatorRegistry | None = None
    jobs: list[Job] = field(default_factory=list)
    #: workflow name -> its class (``None`` when it failed to load), in order of first use.
    workflows: dict[str, type[Workflow] | None] = field(default_factory=dict)
    #: How many literal metric / evaluator names of the workflows were looked up.
    metric_names: int = 0


def group_data_manager(base: DataManager, data_config: dict[str, Any]) -> DataManager:
    """Return a DataManager with the group's ``data_config`` overriding ``base``'s params."""
    from rerun_git.experiment.data import DataManager

    manager = DataManager.from_params({**base.get_params(), **data_config})
    manager.validate()
    return manager


def validate_project(loader: ProjectLoader, problems: Problems | None = None, *, seed: int | None = None,
                     load_data: bool = True) -> Validation:
    """Load the project through ``loader`` and check everything that can be checked before training.

    Parameters
    ----------
    loader : ProjectLoader
        The project's loader.
    problems : Problems, optional
        Where problems go; by default the first one is raised as a RerunError.
    seed : int, optional
        The run's seed, for the preprocessors' fit context.
    load_data : bool
        Load every dataset and check its rows too (``Job.data`` is the DataFrame);
        when false only headers are read (CSV/TSV header, SQLite table columns).

    Returns
    -------
    Validation
    """
    from rerun_git.experiment.plot_settings import PlotSettings

    problems = problems if problems is not None else Problems()
    with loader.importing():
        result = Validation(plan=problems.load(loader.load_configuration))
        result.base = problems.load(loader.load_base_data_manager)
        result.algorithms = problems.load(loader.load_algorithms)
        result.metrics = problems.load(loader.load_metrics)
        plot_settings = result.plan.plot_settings if result.plan is not None else PlotSettings()
        result.evaluators = problems.load(loader.load_evaluators, plot_settings)
        if result.metrics is not None:
            for wrapper in result.metrics:
                problems.load(wrapper.resolve_func, where="metrics.py")
        if result.plan is None:
            return result
        opened: dict[str, Any] = {}
        for group in result.plan.groups:
            result.jobs.extend(_group_jobs(loader, result.plan, group, result, problems, seed, load_data, opened))
        for name, workflow in result.workflows.items():
            if workflow is not None:
                rel = f"workflows/{name}.py"
                result.metric_names += check_workflow_names(
                    loader.read_bytes(rel), rel, result.metrics, result.evaluators, problems.add)
    return result


def _group_jobs(loader: ProjectLoader, plan: ExperimentPlan, group: ExperimentGroup, result: Validation,
                problems: Problems, seed: int | None, load_data: bool, opened: dict[str, Any]) -> list[Job]:
    """Check one group (workflow, data manager, workflow args, algorithms, datasets); return its jobs."""
    from rerun_git.experiment.workflow import check_workflow_arg

    where = f"group {group.name!r}"
    if group.workflow not in result.workflows:
        result.workflows[group.workflow] = problems.load(loader.load_workflow, group.workflow, where=where)
    workflow = result.workflows[group.workflow]
    manager = None
    if result.base is not None:
        manager = problems.call(group_data_manager, result.base, group.data_config, where=where)
        if manager is not None and result.algorithms is not None:
            problems.passes(manager.check_context, result.algorithms, seed, where=where)
    if workflow is not None:
        for name in group.workflow_args:
            problems.passes(check_workflow_arg, workflow, name, where=where)
    experiments: list[tuple[Any, ...]] = []
    if result.algorithms is not None:
        experiments = [tuple(problems.call(group_algorithm, result.algorithms, name, group.algorithm_config.get(name),
                                           where=where) for name in names)
                       for names in group.experiment_algorithms()]
    jobs = []
    for file, table, label, content in _group_datasets(loader.root, group, problems, load_data, opened):
        categorical = plan.categorical_for(file, table)
        if manager is None or not _dataset_passes(manager, group, file, table, content, categorical, problems):
            continue
        if workflow is not None and all(w is not None for experiment in experiments for w in experiment):
            jobs.append(Job(group, file, table, label, content if load_data else None, manager, categorical,
                            workflow, list(experiments)))
    return jobs


def group_algorithm(algorithms: AlgorithmCollection, name: str, grid: dict[str, Any] | None = None) -> AlgorithmWrapper:
    """The named algorithm, with the group's ``algorithm_config`` grid overrides applied (as Brisk does)."""
    wrapper = algorithms[name]
    if grid:
        params = wrapper.get_params()
        wrapper = type(wrapper)(**{**params, "hyperparam_grid": {**(params["hyperparam_grid"] or {}), **grid}})
    wrapper.validate()
    return wrapper


def _group_datasets(root: Path, group: ExperimentGroup, problems: Problems, load_data: bool,
                    opened: dict[str, Any]) -> Iterator[tuple[str, str | None, str, Any]]:
    """Yield the group's readable datasets as ``(file, table, label, frame or columns)``; labels must differ.

    ``opened`` keeps each dataset's content (or the error reading it) across groups.
    """
    from rerun_git.experiment.configuration import split_dataset
    from rerun_git.experiment._params import dataset_key
    from rerun_git.experiment.data import dataset_label

    where = f"group {group.name!r}"
    labels: dict[str, str] = {}
    for dataset in group.datasets:
        file, table = split_dataset(dataset)
        key, label = dataset_key(file, table), dataset_label(file, table)
        if label in labels:
            problems.add(RerunError(f"datasets {labels[label]!r} and {key!r} share the label {label!r}",
                                    hint="rename one of the files so their results folders differ"), where)
            continue
        labels[label] = key
        if key not in opened:
            try:
                opened[key] = _open_dataset(root, file, table, load_data)
            except RerunError as exc:
                opened[key] = exc
        if isinstance(opened[key], RerunError):
            problems.add(opened[key], where)
            continue
        yield file, table, label, opened[key]


def _open_dataset(root: Path, file: str, table: str | None, load_data: bool) -> Any:
    """The dataset's DataFrame, or (``load_data`` false) its column names (``None``: not cheaply known)."""
    from rerun_git.experiment.data import dataset_columns, load_dataset
    from rerun_git.experiment.project import dataset_path

    path = dataset_path(root, file)
    return load_dataset(path, table) if load_data else dataset_columns(path, table)


def _dataset_passes(manager: DataManager, group: ExperimentGroup, file: str, table: str | None, content: Any,
                    categorical: list[str], problems: Problems) -> bool:
    """Check a loaded dataset (a DataFrame) or, from its header, its column names (``None``: unknown)."""
    from rerun_git.experiment._params import dataset_key

    if content is None:
        return True
    check = manager.check_columns if isinstance(content, list) else manager.check_dataset
    where = f"group {group.name!r}, dataset {dataset_key(file, table)!r}"
    return problems.passes(check, content, categorical, where=where)
