"""``Configuration``: experiment groups built in the project's settings.py."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

from rerun_git.errors import RerunError
from rerun_git.experiment._params import check_safe_name, to_plain
from rerun_git.experiment._params import dataset_key
from rerun_git.experiment.data import DATA_MANAGER_PARAMS
from rerun_git.experiment.plot_settings import PlotSettings

Dataset = str | tuple[str, str]


def split_dataset(dataset: Dataset) -> tuple[str, str | None]:
    """Return ``(file, table)`` for ``"file"`` or ``("file", "table")``."""
    if isinstance(dataset, str):
        return dataset, None
    return dataset[0], dataset[1]


def _check_dataset(item: Any) -> Dataset:
    if isinstance(item, (list, tuple)) and len(item) == 2 and all(isinstance(s, str) and s for s in item):
        file, table = item
    elif isinstance(item, str) and item:
        file, table = item, None
    else:
        raise RerunError(f"invalid dataset {item!r}", hint='use "file.csv" or ("file.db", "table")')
    pure = PurePosixPath(file.replace("\\", "/"))
    if pure.is_absolute() or PureWindowsPath(file).is_absolute() or ".." in pure.parts:
        raise RerunError(f"dataset path {file!r} must be relative to the datasets/ folder",
                         hint="no absolute paths and no '..'")
    return file if table is None else (file, table)


def _check_algorithms(value: Any, what: str) -> list[str | list[str]]:
    """Brisk's algorithm list: names, or lists of names run as one experiment (model, model2, ...)."""
    if not isinstance(value, (list, tuple)) or not value:
        raise RerunError(f"{what} must be a non-empty list of names", hint=f"got {value!r}")
    checked: list[str | list[str]] = []
    for item in value:
        if isinstance(item, str) and item:
            checked.append(item)
        elif isinstance(item, (list, tuple)) and item and all(isinstance(v, str) and v for v in item):
            checked.append(list(item))
        else:
            raise RerunError(f"{what}: {item!r} is neither an algorithm name nor a non-empty list of names",
                             hint='e.g. ["linear", "ridge"] (two experiments) or [["linear", "ridge"]] (one '
                                  "experiment with self.model and self.model2)")
    experiments = experiments_of(checked)
    twice = sorted({"+".join(e) for e in experiments if experiments.count(e) > 1})
    if twice:
        raise RerunError(f"{what}: experiment {twice[0]!r} listed twice", hint="list each algorithm (or list) once")
    return checked


def experiments_of(algorithms: list[str | list[str]]) -> list[tuple[str, ...]]:
    """The algorithm names of each experiment of a checked algorithm list (one name, or several)."""
    return [(item,) if isinstance(item, str) else tuple(item) for item in algorithms]


def _flat_names(algorithms: Any) -> list[str]:
    return [name for item in algorithms or [] for name in ([item] if isinstance(item, str) else item)]


def _check_workflow(name: Any) -> str:
    if not isinstance(name, str) or not name.isidentifier():
        raise RerunError(f"invalid workflow name {name!r}",
                         hint="name the module in workflows/ without '.py', e.g. 'basic'")
    return name


def _check_dict(value: Any, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise RerunError(f"{what} must be a dict", hint=f"got {type(value).__name__}")
    return dict(value)


@dataclass
class ExperimentGroup:
    """One experiment group: datasets x algorithms run by one workflow."""

    name: str
    datasets: list[Dataset]
    workflow: str
    #: Algorithm names; a list of names is one experiment with ``self.model``, ``self.model2``, ...
    algorithms: list[str | list[str]]
    data_config: dict[str, Any] = field(default_factory=dict)
    workflow_args: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    #: Brisk's per-group grid overrides: ``{algorithm: {param: [values]}}``.
    algorithm_config: dict[str, dict[str, Any]] = field(default_factory=dict)

    def experiment_algorithms(self) -> list[tuple[str, ...]]:
        """The algorithm names of each of the group's experiments (one name, or several)."""
        return experiments_of(self.algorithms)

    def export_params(self) -> dict[str, Any]:
        """Return TOML-safe params; datasets as strings or ``[file, table]`` lists."""
        data_config = dict(self.data_config)
        if data_config.get("preprocessors") is not None:
            data_config["preprocessors"] = [
                p if isinstance(p, dict) else p.export_params() for p in data_config["preprocessors"]
            ]
        return to_plain({
            "name": self.name,
            "datasets": [d if isinstance(d, str) else list(d) for d in self.datasets],
            "workflow": self.workflow,
            "algorithms": [a if isinstance(a, str) else list(a) for a in self.algorithms],
            "data_config": data_config,
            "workflow_args": self.workflow_args,
            "description": self.description,
            "algorithm_config": self.algorithm_config,
        }, f"experiment group {self.name}")


def _lookup_categorical(mapping: dict[Any, list[str]], file: str, table: str | None) -> list[str]:
    for key in ((file, table), dataset_key(file, table)) if table is not None else (file,):
        if key in mapping:
            return list(mapping[key])
    return []


@dataclass
class ExperimentPlan:
    """The built configuration the runner executes."""

    groups: list[ExperimentGroup]
    categorical_features: dict[Any, list[str]]
    plot_settings: PlotSettings
    #: The Configuration's defaults the groups were built from (Brisk's run_config.json keeps them).
    default_workflow: str | None = None
    default_algorithms: list[str] = field(default_factory=list)
    default_workflow_args: dict[str, Any] = field(default_factory=dict)

    def categorical_for(self, file: str, table: str | None = None) -> list[str]:
        """Return the categorical features of a dataset (empty when none)."""
        return _lookup_categorical(self.categorical_features, file, table)

    def export_params(self) -> dict[str, Any]:
        """Return TOML-safe defaults, groups, categorical features (by ``dataset_key``) and plot settings."""
        categorical = {dataset_key(*split_dataset(k)): v for k, v in self.categorical_features.items()}
        return to_plain({
            "default_workflow": self.default_workflow,
            "default_algorithms": list(self.default_algorithms),
            "default_workflow_args": dict(self.default_workflow_args),
            "categorical_features": categorical,
            "plot_settings": self.plot_settings.export_params(),
            "experiment_groups": [g.export_params() for g in self.groups],
        }, "experiment plan")


class Configuration:
    """Experiment configuration, as in Brisk.

    Parameters
    ----------
    default_workflow : str
        Workflow module name in ``workflows/`` used by groups that name none.
    default_algorithms : list
        Algorithm names used by groups that name none; a list of names is one
        experiment whose workflow gets ``self.model``, ``self.model2``, ... (as in Brisk).
    categorical_features : dict, optional
        ``{"file.csv" or ("file.db", "table"): [column, ...]}``.
    default_workflow_args : dict, optional
        Workflow attributes for every group (a group's own args override them).
    plot_settings : PlotSettings, optional
        Figure settings (defaults to ``PlotSettings()``).
    """

    def __init__(
        self,
        default_workflow: str,
        default_algorithms: list[str],
        categorical_features: dict[Any, list[str]] | None = None,
        default_workflow_args: dict[str, Any] | None = None,
        plot_settings: PlotSettings | None = None,
    ) -> None:
        self.default_workflow = default_workflow
        self.default_algorithms = default_algorithms
        self.categorical_features = categorical_features
        self.default_workflow_args = default_workflow_args
        self.plot_settings = plot_settings
        self.experiment_groups: list[ExperimentGroup] = []

    def add_experiment_group(
        self,
        *,
        name: str,
        datasets: list[Dataset],
        data_config: dict[str, Any] | None = None,
        algorithms: list[str] | None = None,
        algorithm_config: dict[str, dict[str, Any]] | None = None,
        description: str = "",
        workflow: str | None = None,
        workflow_args: dict[str, Any] | None = None,
    ) -> None:
        """Add a group (keyword arguments only, as in Brisk); raise RerunError when one is invalid.

        Parameters
        ----------
        name : str
            Unique, path-safe group name.
        datasets : list
            ``"file.csv"`` or ``("file.db", "table")`` entries under ``datasets/``.
        workflow : str, optional
            Workflow module name (default: ``default_workflow``).
        algorithms : list, optional
            Algorithm names (default: ``default_algorithms``). An item that is a list
            of names, as in Brisk's ``[["linear", "ridge"]]``, is one experiment
            whose workflow gets ``self.model``, ``self.model2``, ...; its results
            folder is ``<group>_linear_ridge`` and its metric-table rows name the
            algorithm ``linear+ridge``.
        data_config : dict, optional
            DataManager params overriding the base data manager's.
        workflow_args : dict, optional
            Workflow attributes overriding ``default_workflow_args``.
        algorithm_config : dict, optional
            ``{algorithm: {param: [values]}}``: for this group, update the named
            algorithms' ``hyperparam_grid`` (as Brisk does).
        description : str
            Free text.
        """
        check_safe_name(name, "experiment group name")
        if any(g.name == name for g in self.experiment_groups):
            raise RerunError(f"experiment group {name!r} added twice", hint="give every group a unique name")
        self.experiment_groups.append(ExperimentGroup(
            name=name,
            datasets=self._check_datasets(datasets),
            workflow=_check_workflow(self.default_workflow if workflow is None else workflow),
            algorithms=_check_algorithms(self.default_algorithms if algorithms is None else algorithms, "algorithms"),
            data_config=self._check_data_config(data_config),
            workflow_args={**_check_dict(self.default_workflow_args, "default_workflow_args"),
                           **_check_dict(workflow_args, "workflow_args")},
            description=self._check_description(description),
            algorithm_config=self._check_algorithm_config(algorithm_config, algorithms),
        ))

    def _check_algorithm_config(self, config: Any, algorithms: list[str] | None) -> dict[str, dict[str, Any]]:
        checked = _check_dict(config, "algorithm_config")
        names = _flat_names(self.default_algorithms if algorithms is None else algorithms)
        unknown = sorted(str(k) for k in checked if k not in names)
        if unknown:
            raise RerunError(f"algorithm_config names algorithm(s) not in the group: {', '.join(unknown)}",
                             hint=f"the group's algorithms: {', '.join(map(str, names))}")
        return {k: _check_dict(v, f"algorithm_config[{k!r}]") for k, v in checked.items()}

    @staticmethod
    def _check_datasets(datasets: Any) -> list[Dataset]:
        if not isinstance(datasets, list) or not datasets:
            raise RerunError("datasets must be a non-empty list", hint='e.g. datasets=["data.csv"]')
        checked = [_check_dataset(d) for d in datasets]
        dupes = sorted({dataset_key(*split_dataset(d)) for d in checked
                        if checked.count(d) > 1})
        if dupes:
            raise RerunError(f"dataset listed twice: {', '.join(dupes)}", hint="list each dataset once")
        return checked

    @staticmethod
    def _check_data_config(data_config: Any) -> dict[str, Any]:
        config = _check_dict(data_config, "data_config")
        unknown = sorted(set(config) - set(DATA_MANAGER_PARAMS))
        if unknown:
            raise RerunError(f"data_config: unknown DataManager parameter(s) {', '.join(map(str, unknown))}",
                             hint=f"allowed: {', '.join(DATA_MANAGER_PARAMS)}")
        return config

    @staticmethod
    def _check_description(description: Any) -> str:
        if not isinstance(description, str):
            raise RerunError("description must be a string", hint=f"got {type(description).__name__}")
        return description

    def _checked_categorical(self) -> dict[Any, list[str]]:
        mapping = _check_dict(self.categorical_features, "categorical_features")
        for key, cols in mapping.items():
            _check_dataset(key)
            if not isinstance(cols, (list, tuple)) or not all(isinstance(c, str) for c in cols):
                raise RerunError(f"categorical_features[{key!r}] must be a list of column names",
                                 hint=f"got {cols!r}")
        return {tuple(k) if isinstance(k, list) else k: list(v) for k, v in mapping.items()}

    def categorical_for(self, file: str, table: str | None = None) -> list[str]:
        """Return the categorical features of a dataset (empty when none)."""
        return _lookup_categorical(self._checked_categorical(), file, table)

    def build(self) -> ExperimentPlan:
        """Return the :class:`ExperimentPlan`; RerunError when no group was added."""
        if not self.experiment_groups:
            raise RerunError("the configuration has no experiment groups",
                             hint="call config.add_experiment_group(...) in create_configuration()")
        plot_settings = self.plot_settings if self.plot_settings is not None else PlotSettings()
        if not isinstance(plot_settings, PlotSettings):
            raise RerunError("plot_settings must be a PlotSettings", hint=f"got {type(plot_settings).__name__}")
        plot_settings.validate()
        categorical = self._checked_categorical()
        self._check_categorical_keys(categorical)
        return ExperimentPlan(list(self.experiment_groups), categorical, plot_settings, self.default_workflow,
                              list(self.default_algorithms or []),
                              _check_dict(self.default_workflow_args, "default_workflow_args"))

    def _check_categorical_keys(self, categorical: dict[Any, list[str]]) -> None:
        """Every ``categorical_features`` key must name a dataset of some group."""
        used = {dataset_key(*split_dataset(d)) for g in self.experiment_groups for d in g.datasets}
        for key in categorical:
            if dataset_key(*split_dataset(key)) not in used:
                raise RerunError(f"categorical_features key {key!r} names no dataset of any experiment group",
                                 hint=f"datasets in the groups: {', '.join(sorted(used))}")

    def export_params(self) -> dict[str, Any]:
        """Return TOML-safe params (categorical keys as ``dataset_key``) and the groups."""
        categorical = {dataset_key(*split_dataset(k)): v for k, v in self._checked_categorical().items()}
        return to_plain({
            "default_workflow": self.default_workflow,
            "default_algorithms": self.default_algorithms,
            "categorical_features": categorical,
            "default_workflow_args": self.default_workflow_args,
            "plot_settings": None if self.plot_settings is None else self.plot_settings.export_params(),
            "experiment_groups": [g.export_params() for g in self.experiment_groups],
        }, "configuration")
