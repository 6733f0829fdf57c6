"""Brisk 1.2's ``run_config.json``: a run's record and the bytes that ran, in Brisk's schema.

The record (``.rerun/run.toml``) is the truth; ``results/<run>/run_config.json``
is an export of it that any script reading Brisk's file can read: the same
top-level keys, nesting and value shapes as ``brisk run`` writes (see
``tests/reference/fixtures/run_config_schema.json``, made by running Brisk).
rerun-git's own facts sit under one extra top-level key, ``rerun_git``, which
Brisk's readers never look at. :func:`coordinate_sections` reads such a file
back into the record-shaped sections a coordinating strategy checks against.

Every section builder takes recorded values (the record's sections, the
loader's bytes), never the disk.
"""
from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from rerun_git.errors import RerunError
from rerun_git.experiment._params import split_dataset_key
from rerun_git.record.environment import CRITICAL_PACKAGES

#: The Brisk release whose API and file schema rerun-git follows; ``brisk run -f`` checks ``package_version``.
BRISK_VERSION = "1.2.0"
#: The key holding what rerun-git adds (run name, tag, commit, seed...); Brisk's readers ignore it.
RERUN_GIT_KEY = "rerun_git"
#: Brisk's file sections: config key -> (Brisk's ``type``, the project file).
FILE_SECTIONS = {
    "algorithms": ("algorithms_file", "algorithms.py"),
    "metrics": ("metrics_file", "metrics.py"),
    "evaluators": ("evaluators_file", "evaluators.py"),
}
#: Brisk's DataManager parameters, in the order Brisk exports them (``preprocessors`` follows).
DATA_MANAGER_KEYS = ("test_size", "n_splits", "split_method", "group_column", "stratified", "random_state",
                     "problem_type")
#: Brisk's names of ``platform.python_implementation()`` for ``sys.implementation.name`` (what the record keeps).
_IMPLEMENTATIONS = {"cpython": "CPython", "pypy": "PyPy", "ironpython": "IronPython", "jython": "Jython"}


def empty_run_config() -> dict[str, Any]:
    """A capturing service's ``configs`` before anything is recorded (Brisk's initial sections)."""
    return {
        "package_version": BRISK_VERSION,
        "env": {},
        "base_data_manager": None,
        "configuration": {},
        "experiment_groups": [],
        "metrics": [],
        "algorithms": [],
        "evaluators": None,
        "workflows": {},
        "datasets": {},
    }


# ---------------------------------------------------------------- record -> Brisk
def env_section(env: Mapping[str, Any]) -> dict[str, Any]:
    """Brisk's ``env``: ``{python: {version, implementation}, system: {...}, packages: {name: {version, is_critical}}}``.

    ``system.processor`` is not recorded (``platform.processor()`` costs a
    process per capture) and is written as ``""``, what Brisk records on Linux.
    """
    implementation = str(env.get("implementation", ""))
    return {
        "python": {"version": env.get("python", ""),
                   "implementation": _IMPLEMENTATIONS.get(implementation, implementation)},
        "system": {"platform": env.get("platform", ""), "architecture": env.get("machine", ""), "processor": ""},
        "packages": {name: {"version": version, "is_critical": name in CRITICAL_PACKAGES}
                     for name, version in dict(env.get("packages", {})).items()},
    }


def data_manager_section(params: Mapping[str, Any]) -> dict[str, Any]:
    """Brisk's ``base_data_manager``: ``{"params": {test_size, ..., preprocessors: {ClassName: params}}}``.

    Brisk keys preprocessors by class name (one per class); rerun-git's own
    ``algorithm_config`` parameter, which Brisk does not export, stays in the record.
    """
    exported: dict[str, Any] = {key: copy.deepcopy(params.get(key)) for key in DATA_MANAGER_KEYS}
    exported["preprocessors"] = {p["type"]: copy.deepcopy(p.get("params", {}))
                                 for p in params.get("preprocessors") or [] if isinstance(p, Mapping)}
    return {"params": exported}


def plot_settings_section(params: Mapping[str, Any]) -> dict[str, Any]:
    """Brisk's ``plot_settings``: ``{file_io_settings, colors, theme_json}`` (no plotnine theme: ``None``)."""
    return {
        "file_io_settings": {key: params.get(key) for key in ("file_format", "width", "height", "dpi", "transparent")},
        "colors": {key: params.get(key) for key in ("primary_color", "secondary_color", "accent_color")},
        "theme_json": None,
    }


def configuration_section(configuration: Mapping[str, Any], plot_settings: Mapping[str, Any]) -> dict[str, Any]:
    """Brisk's ``configuration``: the defaults, categorical features as ``[{dataset, table_name, features}]``, plots."""
    categorical = []
    for key, features in dict(configuration.get("categorical_features") or {}).items():
        dataset, table = split_dataset_key(key)
        categorical.append({"dataset": dataset, "table_name": table, "features": list(features)})
    return {
        "default_workflow": configuration.get("default_workflow"),
        "default_algorithms": list(configuration.get("default_algorithms") or []),
        "default_workflow_args": copy.deepcopy(dict(configuration.get("default_workflow_args") or {})),
        "categorical_features": categorical,
        "plot_settings": plot_settings_section(plot_settings),
    }


def groups_section(groups: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Brisk's ``experiment_groups``, each dataset as ``{"dataset", "table_name"}``."""
    exported = []
    for group in groups:
        datasets = []
        for dataset in group.get("datasets", []):
            file, table = dataset_pair(dataset)
            datasets.append({"dataset": file, "table_name": table})
        exported.append({
            "name": group.get("name"),
            "datasets": datasets,
            "workflow": group.get("workflow"),
            "data_config": copy.deepcopy(dict(group.get("data_config") or {})),
            "algorithms": copy.deepcopy(list(group.get("algorithms") or [])),
            "algorithm_config": copy.deepcopy(dict(group.get("algorithm_config") or {})),
            "description": group.get("description", ""),
            "workflow_args": copy.deepcopy(dict(group.get("workflow_args") or {})),
        })
    return exported


def dataset_section(file: str, table: str | None, info: Mapping[str, Any] | None) -> dict[str, Any]:
    """One entry of Brisk's ``datasets``: ``feature_names`` are all the columns as loaded, as in Brisk.

    Without the columns (the dataset was not loaded by this run) only the file and table are known.
    """
    entry: dict[str, Any] = {"filename": file, "table_name": table}
    columns = (info or {}).get("columns")
    if columns is not None:
        entry.update(feature_names=list(columns), num_features=len(columns), num_samples=info.get("num_samples"))
    return entry


def datasets_section(datasets: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Brisk's ``datasets`` from the record's, keyed as Brisk keys them (``file`` or ``file|table``)."""
    return {key: dataset_section(entry.get("filename", key), entry.get("table_name"), entry)
            for key, entry in datasets.items()}


def file_section(key: str, sources: Mapping[str, bytes]) -> dict[str, Any] | None:
    """Brisk's ``{type, file_content, file_path}`` of ``algorithms``/``metrics``/``evaluators``; None if it did not run."""
    kind, path = FILE_SECTIONS[key]
    content = sources.get(path)
    if content is None:
        return None
    return {"type": kind, "file_content": _text(content), "file_path": path}


def workflow_entry(content: bytes, class_name: str) -> dict[str, Any]:
    """One entry of Brisk's ``workflows`` (keyed ``"<name>.py"``)."""
    return {"file_content": _text(content), "class_name": class_name}


def workflows_section(workflows: Mapping[str, Mapping[str, Any]], sources: Mapping[str, bytes]) -> dict[str, Any]:
    """Brisk's ``workflows``: ``{"<name>.py": {file_content, class_name}}`` for each workflow whose bytes ran."""
    exported = {}
    for name, entry in workflows.items():
        content = sources.get(str(entry.get("file", f"workflows/{name}.py")))
        if content is not None:
            exported[f"{name}.py"] = workflow_entry(content, str(entry.get("class", "")))
    return exported


def run_config(record: Any, sources: Mapping[str, bytes], tag: str | None = None,
               commit: str | None = None) -> dict[str, Any]:
    """The whole ``run_config.json`` of ``record`` (a RunRecord); ``sources`` are the bytes that ran.

    ``_metadata.timestamp`` is the record's ``created`` (UTC) in Brisk's format.
    """
    config = empty_run_config()
    config["env"] = env_section(record.env)
    if record.base_data_manager:
        config["base_data_manager"] = data_manager_section(record.base_data_manager)
    if record.configuration or record.experiment_groups:
        config["configuration"] = configuration_section(record.configuration, record.plot_settings)
    config["experiment_groups"] = groups_section(record.experiment_groups)
    for key in FILE_SECTIONS:
        recorded = getattr(record, key)
        section = file_section(key, sources) if recorded else None
        if section is not None:
            config[key] = section
    config["workflows"] = workflows_section(record.workflows, sources)
    config["datasets"] = datasets_section(record.datasets)
    config[RERUN_GIT_KEY] = {
        "version": record.rerun_git_version, "name": record.name, "tag": tag, "commit": commit,
        "seed": record.seed, "source_commit": record.source_commit, "dirty": record.dirty,
        "record": f"{tag}:.rerun/run.toml" if tag else None,
    }
    config["_metadata"] = {"timestamp": record.created.replace("T", " ").rstrip("Z"), "method": "export_and_save",
                           "type": "rerun_config"}
    return config


def _text(content: bytes) -> str:
    return content.decode("utf-8", errors="replace")


def dataset_pair(dataset: Any) -> tuple[str, str | None]:
    """``(file, table)`` of a dataset as any config spells it: ``"f"``, ``["f", "t"]``, ``("f", "t")``, ``{dataset, table_name}``."""
    if isinstance(dataset, Mapping):
        return str(dataset.get("dataset")), dataset.get("table_name")
    if isinstance(dataset, (list, tuple)):
        return str(dataset[0]), (str(dataset[1]) if len(dataset) > 1 and dataset[1] is not None else None)
    return str(dataset), None


# ---------------------------------------------------------------- Brisk -> what a coordinator checks
def is_brisk_config(data: Any) -> bool:
    """Whether ``data`` is a ``run_config.json`` in Brisk's schema (not a rerun-git record)."""
    return isinstance(data, Mapping) and "package_version" in data and "schema" not in data


def coordinate_sections(data: Mapping[str, Any], origin: str = "run_config.json") -> dict[str, Any]:
    """The record-shaped ``base_data_manager`` and ``workflows`` of a Brisk ``run_config.json``.

    Brisk keeps algorithms and metrics as file contents, not parameters, so
    there is nothing to check the loaded ones against: they are left out.
    Anything malformed is one :class:`RerunError` naming the key.
    """
    sections: dict[str, Any] = {}
    manager = data.get("base_data_manager")
    if manager is not None:
        params = _table(_table(manager, f"{origin}: base_data_manager").get("params"), f"{origin}: base_data_manager.params")
        preprocessors = _table(params.get("preprocessors") or {}, f"{origin}: base_data_manager.params.preprocessors")
        sections["base_data_manager"] = {
            **{key: params[key] for key in DATA_MANAGER_KEYS if key in params},
            "preprocessors": [{"type": str(kind), "params": _table(p, f"{origin}: preprocessor {kind}")}
                              for kind, p in preprocessors.items()],
        }
    workflows = _table(data.get("workflows") or {}, f"{origin}: workflows")
    sections["workflows"] = {}
    for file, entry in workflows.items():
        class_name = _table(entry, f"{origin}: workflows[{file!r}]").get("class_name")
        if not str(file).endswith(".py") or not isinstance(class_name, str):
            raise RerunError(f"{origin}: workflows[{file!r}] should be \"<name>.py\": {{file_content, class_name}}",
                             hint=_MALFORMED)
        name = str(file)[:-3]
        sections["workflows"][name] = {"file": f"workflows/{file}", "class": class_name}
    return sections


def configuration_args(configuration: Mapping[str, Any], origin: str = "run_config.json") -> dict[str, Any]:
    """``Configuration(**args)`` from Brisk's ``configuration`` (``plot_settings`` left as exported).

    ``categorical_features`` are keyed by file name, or ``(file, table)`` for a table.
    """
    where = f"{origin}: configuration"
    categorical: dict[Any, list[str]] = {}
    for item in _list(configuration.get("categorical_features") or [], f"{where}.categorical_features"):
        item = _table(item, f"{where}.categorical_features[]")
        file, table = _dataset_fields(item, f"{where}.categorical_features[]")
        categorical[file if table is None else (file, table)] = list(_list(item.get("features") or [], f"{where} features"))
    if not isinstance(configuration.get("default_workflow"), str):
        raise RerunError(f"{where}.default_workflow should be a workflow name", hint=_MALFORMED)
    return {
        "default_workflow": configuration["default_workflow"],
        "default_algorithms": list(_list(configuration.get("default_algorithms"), f"{where}.default_algorithms")),
        "categorical_features": categorical,
        "default_workflow_args": _table(configuration.get("default_workflow_args") or {}, f"{where}.default_workflow_args"),
        "plot_settings": configuration.get("plot_settings"),
    }


def plot_settings_params(data: Mapping[str, Any] | None, origin: str = "run_config.json") -> dict[str, Any]:
    """``PlotSettings(**params)`` from Brisk's ``{file_io_settings, colors, theme_json}`` (or flat parameters).

    Brisk's ``theme_json`` (a pickled plotnine theme) is not read: rerun-git draws with matplotlib.
    """
    data = _table(data or {}, f"{origin}: plot_settings")
    if not {"file_io_settings", "colors", "theme_json"} & set(data):
        return data
    nested = {**_table(data.get("file_io_settings") or {}, f"{origin}: plot_settings.file_io_settings"),
              **_table(data.get("colors") or {}, f"{origin}: plot_settings.colors")}
    return {key: value for key, value in nested.items() if value is not None}


def group_args(groups: list[Any], origin: str = "run_config.json") -> list[dict[str, Any]]:
    """``add_experiment_group(**group)`` keywords from Brisk's ``experiment_groups`` (a copy): datasets as names or tuples."""
    args = []
    for group in _list(groups, f"{origin}: experiment_groups"):
        group = copy.deepcopy(_table(group, f"{origin}: experiment_groups[]"))
        datasets = []
        for dataset in _list(group.get("datasets"), f"{origin}: experiment group datasets"):
            file, table = _dataset_fields(_table(dataset, f"{origin}: experiment group dataset"), f"{origin}: dataset")
            datasets.append(file if table is None else (file, table))
        group["datasets"] = datasets
        args.append(group)
    return args


def _dataset_fields(item: Mapping[str, Any], where: str) -> tuple[str, str | None]:
    file, table = item.get("dataset"), item.get("table_name")
    if not isinstance(file, str) or not (table is None or isinstance(table, str)):
        raise RerunError(f"{where} should have a dataset name and a table name or null", hint=_MALFORMED)
    return file, table or None


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise RerunError(f"{where} should be a list, not {type(value).__name__}", hint=_MALFORMED)
    return value


_MALFORMED = "the file was edited or is not a run_config.json"


def _table(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise RerunError(f"{where} should be a table, not {type(value).__name__}",
                         hint=_MALFORMED)
    return dict(value)
