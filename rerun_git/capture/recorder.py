"""What a capture records while the project loads and runs: configs, the project, the outcome.

:class:`ConfigRecorder` holds the recorded sections (Brisk's ``RerunService``
capture API: ``add_*``, ``collect_dataset_metadata``, ``capture_environment``)
and builds the :class:`~rerun_git.record.run_record.RunRecord`;
:class:`CaptureStrategy` is what the project loader hands each loaded part to.
"""
from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from rerun_git._version import __version__
from rerun_git.errors import RerunError
from rerun_git.experiment.seeds import MAX_SEED
from rerun_git.experiment.strategy import RerunStrategy
from rerun_git.experiment._params import dataset_key
from rerun_git.record import brisk_config
from rerun_git.record.run_record import CONFIG_SECTIONS, RunRecord
from rerun_git.record.summary import greater_is_better
from rerun_git.settings import ProjectSettings


@dataclass
class CaptureContext:
    """What a capture needs beyond the configs: where the project is and what ran."""

    root: Path
    settings: ProjectSettings
    seed: int
    message: str = ""
    executed_files: dict[str, bytes] = field(default_factory=dict)
    datasets: list[tuple[str, str | None]] = field(default_factory=list)
    dataset_info: dict[str, dict[str, Any]] = field(default_factory=dict)
    reproduces: str | None = None
    #: An external command, when the run is one (``capture -- CMD``): see ``RunRecord.command``.
    command: dict[str, Any] = field(default_factory=dict)


class ConfigRecorder:
    """The configuration of one capture, in two forms, and the project it came from.

    ``configs`` holds Brisk's sections (``RerunService.configs``: what
    ``run_config.json`` holds, see :mod:`rerun_git.record.brisk_config`);
    ``sections`` holds rerun-git's record sections (``.rerun/run.toml``, the
    truth). The capture flow feeds both from what the project loader loaded;
    file contents come only from ``sources``, the bytes the loader executed.

    Parameters
    ----------
    name : str
        The run's name.
    configs : dict, optional
        Brisk's sections recorded so far (default: Brisk's empty ones).
    """

    def __init__(self, name: str, configs: dict[str, Any] | None = None) -> None:
        self.name = name
        self.configs: dict[str, Any] = dict(configs) if configs else brisk_config.empty_run_config()
        self.sections: dict[str, Any] = {}
        #: The bytes the project loader executed (``ProjectLoader.files``), by project-relative path.
        self.sources: Mapping[str, bytes] = {}
        self.environment: dict[str, Any] | None = None
        self.context: CaptureContext | None = None

    # -- Brisk's recording API ---------------------------------------------------------

    def add_base_data_manager(self, config: dict[str, Any]) -> None:
        """Store the base data manager's configuration (Brisk's ``{"params": {...}}``)."""
        self.configs["base_data_manager"] = config

    def add_configuration(self, configuration: dict[str, Any]) -> None:
        """Store the configuration's defaults, categorical features and plot settings."""
        self.configs["configuration"] = configuration

    def add_experiment_groups(self, groups: list[dict[str, Any]]) -> None:
        """Store the experiment groups (each dataset as ``{"dataset", "table_name"}``)."""
        self.configs["experiment_groups"] = groups

    def add_algorithm_config(self, algorithm_configs: Any) -> None:
        """Store the algorithms' configuration (capture gives Brisk's ``{type, file_content, file_path}``)."""
        self.configs["algorithms"] = algorithm_configs

    def add_evaluators_config(self, evaluators_config: dict[str, Any] | None) -> None:
        """Store the custom evaluators' configuration (``None`` when there are none)."""
        self.configs["evaluators"] = evaluators_config

    def add_metric_config(self, metric_configs: Any) -> None:
        """Store the metrics' configuration (capture gives Brisk's ``{type, file_content, file_path}``)."""
        self.configs["metrics"] = metric_configs

    def add_workflow_file(self, workflow_name: str, class_name: str) -> None:
        """Record workflow ``workflows/<workflow_name>.py`` and its class.

        Brisk stores ``{file_content, class_name}`` under ``"<workflow_name>.py"``;
        the content is the bytes the loader executed (``sources``). Before the
        loader has read that file only the record's entry is made: the content
        follows in :meth:`record_outcome`.
        """
        file = f"workflows/{workflow_name}.py"
        self.sections.setdefault("workflows", {})[workflow_name] = {"file": file, "class": class_name}
        content = self.sources.get(file)
        if content is not None:
            self.configs.setdefault("workflows", {})[f"{workflow_name}.py"] = brisk_config.workflow_entry(content, class_name)

    def collect_dataset_metadata(self, groups_json: list[dict[str, Any]]) -> None:
        """Record the datasets the groups use: ``(file, table)`` pairs, in order, once each, and Brisk's metadata.

        A group's datasets may be spelled as Brisk exports them (``{"dataset", "table_name"}``)
        or as rerun-git does (``"file"``, ``["file", "table"]``). Brisk's ``feature_names``,
        ``num_features`` and ``num_samples`` are those of the dataset as this run loaded it
        (known once the run has loaded it); Brisk reads the files again here.
        """
        context = self._require_context()
        pairs = [brisk_config.dataset_pair(d) for group in groups_json for d in group.get("datasets", [])]
        context.datasets = list(dict.fromkeys(pairs))
        self.configs["datasets"] = {
            dataset_key(file, table): brisk_config.dataset_section(file, table, context.dataset_info.get(dataset_key(file, table)))
            for file, table in context.datasets
        }

    def capture_environment(self) -> None:
        """Read the environment (Python, platform, installed packages) now; Brisk's form goes to ``configs["env"]``."""
        from rerun_git.record.environment import capture_environment

        self.environment = capture_environment()
        self.configs["env"] = brisk_config.env_section(self.environment)

    # -- capture -------------------------------------------------------------------------

    def bind_project(self, root: Path, settings: Any, seed: int, message: str = "") -> CaptureContext:
        """Tell a capturing service which project it records."""
        check_message(message)
        self.context = CaptureContext(root=Path(root).resolve(), settings=settings, seed=seed, message=message)
        return self.context

    def record_plan(self, plan: Any) -> None:
        """Record the built configuration: groups, plot settings and the rest (defaults, categorical features)."""
        exported = plan.export_params()
        self.sections["experiment_groups"] = exported.pop("experiment_groups")
        self.sections["plot_settings"] = exported.pop("plot_settings") or {}
        self.sections["configuration"] = exported
        self.add_configuration(brisk_config.configuration_section(exported, self.sections["plot_settings"]))
        self.add_experiment_groups(brisk_config.groups_section(self.sections["experiment_groups"]))
        self.collect_dataset_metadata(self.configs["experiment_groups"])

    def record_outcome(self, outcome: Any, executed_files: dict[str, bytes]) -> None:
        """Record the run's plan, datasets, metric table and the exact bytes that ran."""
        context = self._require_context()
        context.dataset_info = dict(outcome.dataset_info)
        context.executed_files = dict(executed_files)
        self.sources = context.executed_files
        self.record_plan(outcome.plan)
        self.sections["results"] = {row: dict(metrics) for row, metrics in outcome.metrics.items()}
        self.sections["splits"] = {key: dict(split) for key, split in getattr(outcome, "splits", {}).items()}
        self.sections["execution"] = dict(getattr(outcome, "execution", {}))
        if getattr(outcome, "evaluators", None):
            self.sections["evaluators"] = {**self.sections.get("evaluators", {}), "registered": dict(outcome.evaluators)}
        if getattr(outcome, "uses_brisk", False):
            # The project imported Brisk's names: reproduce resolves `brisk.*` to the same classes.
            self.sections["configuration"] = {**self.sections.get("configuration", {}), "brisk_names": "1.2"}
        self._record_brisk_files()

    def _record_brisk_files(self) -> None:
        """Brisk's file sections from the executed bytes, for every part the loader handed over."""
        for key, add in (("algorithms", self.add_algorithm_config), ("metrics", self.add_metric_config),
                         ("evaluators", self.add_evaluators_config)):
            section = brisk_config.file_section(key, self.sources) if key in self.sections else None
            if section is not None:
                add(section)
        for name, entry in self.sections.get("workflows", {}).items():
            self.add_workflow_file(name, entry["class"])

    def build_record(self, created: datetime, source_commit: str | None, dirty: bool) -> RunRecord:
        """The :class:`RunRecord` of this capture, from ``sections`` and the context."""
        if self.environment is None:
            self.capture_environment()
        context = self._require_context()
        results = self.sections.get("results", {})
        record = RunRecord(
            name=self.name,
            created=created.strftime("%Y-%m-%dT%H:%M:%SZ"),
            seed=context.seed,
            rerun_git_version=__version__,
            message=context.message,
            source_commit=source_commit,
            dirty=dirty,
            reproduces=context.reproduces,
            env=dict(self.environment or {}),
            results=results,
            splits=self.sections.get("splits", {}),
            execution=self.sections.get("execution", {}),
            command=dict(context.command),
        )
        record.set_config_sections({k: v for k, v in self.sections.items() if k in CONFIG_SECTIONS})
        directions = record.directions()
        names = dict.fromkeys(metric for metrics in results.values() for metric in metrics)
        record.greater_is_better = {metric: greater_is_better(metric, directions) for metric in names}
        return record

    def _require_context(self) -> CaptureContext:
        if self.context is None:
            raise RerunError("the service is not bound to a project", hint="call bind_project(root, settings, seed) first")
        return self.context


class CaptureStrategy(RerunStrategy):
    """Pass every loaded object through unchanged and record it (rerun-git's parameters and Brisk's sections).

    Parameters
    ----------
    rerun_service : ConfigRecorder
        The recorder (a capturing ``RerunService`` is one) that receives what is recorded.
    """

    def __init__(self, rerun_service: ConfigRecorder) -> None:
        self.rerun_service = rerun_service

    def handle_load_base_data_manager(self, data_manager: Any) -> Any:
        service = self.rerun_service
        service.sections["base_data_manager"] = data_manager.export_params()
        service.add_base_data_manager(brisk_config.data_manager_section(service.sections["base_data_manager"]))
        return data_manager

    def handle_load_algorithms(self, algorithm_config: Any) -> Any:
        self._record("algorithms", algorithm_config.export_params(), self.rerun_service.add_algorithm_config)
        return algorithm_config

    def handle_load_metric_config(self, metric_config: Any) -> Any:
        self._record("metrics", metric_config.export_params(), self.rerun_service.add_metric_config)
        return metric_config

    def handle_load_custom_evaluators(self, module: Any, evaluators_file: Path) -> Any:
        self._record("evaluators", {"file": Path(evaluators_file).name}, self.rerun_service.add_evaluators_config)
        return module

    def handle_load_workflow(self, workflow: Any, workflow_name: str) -> Any:
        self.rerun_service.add_workflow_file(workflow_name, workflow.__name__)
        return workflow

    def _record(self, key: str, params: Any, add_brisk: Any) -> None:
        """The record's section ``key``; Brisk's file section too once the loader's bytes are known."""
        self.rerun_service.sections[key] = params
        section = brisk_config.file_section(key, self.rerun_service.sources)
        if section is not None:
            add_brisk(section)


def check_message(message: str) -> str:
    """Refuse a run message that would forge rerun-git's own ``Rerun-*`` trailers in the tag."""
    for line in message.splitlines():
        if line.lstrip().startswith("Rerun-"):
            raise RerunError(
                "a run message may not have a line starting with 'Rerun-'",
                hint="such lines are rerun-git's trailers (source, dirty flag, metrics); reword that line",
            )
    return message


def new_seed() -> int:
    """A fresh random seed (``--seed random``)."""
    return secrets.randbelow(2**31 - 1)


def choose_seed(given: int | str | None, configured: int | str | None = None) -> int | None:
    """The run seed from ``--seed`` (``given``), else ``[run] seed`` (``configured``).

    ``"random"`` draws a fresh seed; a decimal string is parsed. None means
    neither was given: the runner then takes the DataManager's ``random_state``,
    else :data:`~rerun_git.experiment.seeds.DEFAULT_SEED`. Anything else is one
    :class:`RerunError`.
    """
    value = configured if given is None else given
    origin = "[run] seed" if given is None else "--seed"
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if text == "random":
            return new_seed()
        if not text.lstrip("-").isdigit():
            raise RerunError(f"{origin} {value} is not a seed", hint=_SEED_HINT)
        value = int(text)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SEED:
        raise RerunError(f"{origin} {value} is out of range", hint=_SEED_HINT)
    return value


_SEED_HINT = f"give an integer from 0 to {2**32 - 1}, or 'random' for a fresh one"


def now_utc() -> datetime:
    return datetime.now(timezone.utc)
