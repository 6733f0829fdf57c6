"""What a capture records while the project loads and runs: configs, the project, the outcome.

:class:`ConfigRecorder` holds the recorded sections (Brisk's ``RerunService``
capture API: ``add_*_config``, ``collect_dataset_metadata``) and builds the
:class:`~rerun_git.record.run_record.RunRecord`; :class:`CaptureStrategy`
is what the project loader hands each loaded part to.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from rerun_git._version import __version__
from rerun_git.errors import RerunError
from rerun_git.experiment.seeds import MAX_SEED
from rerun_git.experiment.strategy import RerunStrategy
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
    """The configuration sections of one capture, and the project they came from.

    Parameters
    ----------
    name : str
        The run's name.
    configs : dict, optional
        Sections recorded so far.
    """

    def __init__(self, name: str, configs: dict[str, Any] | None = None) -> None:
        self.name = name
        self.configs: dict[str, Any] = dict(configs or {})
        self.context: CaptureContext | None = None

    # -- the seed's recording API -------------------------------------------------

    def add_algorithm_config(self, algorithm_configs: list[dict[str, Any]]) -> None:
        """Store the algorithms' parameters (``AlgorithmCollection.export_params()``)."""
        self.configs["algorithms"] = list(algorithm_configs)

    def add_evaluators_config(self, evaluators_config: dict[str, Any] | None) -> None:
        """Store the custom evaluators' configuration (``None`` when there are none)."""
        self.configs["evaluators"] = dict(evaluators_config or {})

    def add_metric_config(self, metric_configs: list[dict[str, Any]]) -> None:
        """Store the metrics' parameters (``MetricManager.export_params()``)."""
        self.configs["metrics"] = list(metric_configs)

    def collect_dataset_metadata(self, groups_json: list[dict[str, Any]]) -> None:
        """Record which datasets the groups use: ``(file, table)`` pairs, in order, once each."""
        seen: list[tuple[str, str | None]] = []
        for group in groups_json:
            for dataset in group.get("datasets", []):
                pair = (dataset, None) if isinstance(dataset, str) else (dataset[0], dataset[1] if len(dataset) > 1 else None)
                if pair not in seen:
                    seen.append(pair)
        self._require_context().datasets = seen

    # -- capture -------------------------------------------------------------------------

    def bind_project(self, root: Path, settings: Any, seed: int, message: str = "") -> CaptureContext:
        """Tell a capturing service which project it records."""
        check_message(message)
        self.context = CaptureContext(root=Path(root).resolve(), settings=settings, seed=seed, message=message)
        return self.context

    def record_plan(self, plan: Any) -> None:
        """Record the built configuration: groups, plot settings and the rest (categorical features)."""
        exported = plan.export_params()
        self.configs["experiment_groups"] = exported.pop("experiment_groups")
        self.configs["plot_settings"] = exported.pop("plot_settings") or {}
        self.configs["configuration"] = exported
        self.collect_dataset_metadata(self.configs["experiment_groups"])

    def record_outcome(self, outcome: Any, executed_files: dict[str, bytes]) -> None:
        """Record the run's plan, datasets, metric table and the exact bytes that ran."""
        context = self._require_context()
        self.record_plan(outcome.plan)
        self.configs["results"] = {row: dict(metrics) for row, metrics in outcome.metrics.items()}
        self.configs["splits"] = {key: dict(split) for key, split in getattr(outcome, "splits", {}).items()}
        if getattr(outcome, "evaluators", None):
            self.configs["evaluators"] = {**self.configs.get("evaluators", {}), "registered": dict(outcome.evaluators)}
        context.dataset_info = dict(outcome.dataset_info)
        context.executed_files = dict(executed_files)

    def build_record(self, created: datetime, source_commit: str | None, dirty: bool) -> RunRecord:
        """The :class:`RunRecord` of this capture, from ``configs`` and the context."""
        from rerun_git.record.environment import capture_environment

        context = self._require_context()
        results = self.configs.get("results", {})
        record = RunRecord(
            name=self.name,
            created=created.strftime("%Y-%m-%dT%H:%M:%SZ"),
            seed=context.seed,
            rerun_git_version=__version__,
            message=context.message,
            source_commit=source_commit,
            dirty=dirty,
            reproduces=context.reproduces,
            env=capture_environment(),
            results=results,
            splits=self.configs.get("splits", {}),
            command=dict(context.command),
        )
        record.set_config_sections({k: v for k, v in self.configs.items() if k in CONFIG_SECTIONS})
        directions = record.directions()
        names = dict.fromkeys(metric for metrics in results.values() for metric in metrics)
        record.greater_is_better = {metric: greater_is_better(metric, directions) for metric in names}
        return record

    def _require_context(self) -> CaptureContext:
        if self.context is None:
            raise RerunError("the service is not bound to a project", hint="call bind_project(root, settings, seed) first")
        return self.context



class CaptureStrategy(RerunStrategy):
    """Pass every loaded object through unchanged and record its parameters.

    Parameters
    ----------
    rerun_service : ConfigRecorder
        The recorder (a capturing ``RerunService`` is one) whose ``configs`` receive what is recorded.
    """

    def __init__(self, rerun_service: ConfigRecorder) -> None:
        self.rerun_service = rerun_service

    def handle_load_base_data_manager(self, data_manager: Any) -> Any:
        self.rerun_service.configs["base_data_manager"] = data_manager.export_params()
        return data_manager

    def handle_load_algorithms(self, algorithm_config: Any) -> Any:
        self.rerun_service.add_algorithm_config(algorithm_config.export_params())
        return algorithm_config

    def handle_load_metric_config(self, metric_config: Any) -> Any:
        self.rerun_service.add_metric_config(metric_config.export_params())
        return metric_config

    def handle_load_custom_evaluators(self, module: Any, evaluators_file: Path) -> Any:
        self.rerun_service.add_evaluators_config({"file": Path(evaluators_file).name})
        return module

    def handle_load_workflow(self, workflow: Any, workflow_name: str) -> Any:
        self.rerun_service.configs.setdefault("workflows", {})[workflow_name] = {
            "file": f"workflows/{workflow_name}.py",
            "class": workflow.__name__,
        }
        return workflow


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
