"""RerunService: the seed's API (Brisk's ``brisk.services.rerun``) over git storage."""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from rerun_git import __version__
from rerun_git.errors import RerunError
from rerun_git.service.record import RunRecord, summarize_metrics
from rerun_git.service.strategies import CaptureStrategy, CoordinatingStrategy, RerunStrategy

MODES = ("capture", "coordinate")


@dataclass
class CaptureContext:
    """What a capture needs beyond the configs: where the project is and what ran."""

    root: Path
    settings: Any  # experiment.project.ProjectSettings
    seed: int
    message: str = ""
    executed_files: dict[str, bytes] = field(default_factory=dict)
    datasets: list[tuple[str, str | None]] = field(default_factory=list)
    dataset_info: dict[str, dict[str, Any]] = field(default_factory=dict)
    reproduces: str | None = None


class RerunService:
    """Capture a run into git, or coordinate the reproduction of a captured run.

    Parameters
    ----------
    name : str
        The run's name (its tag is ``<tag_prefix><name>``).
    mode : {"capture", "coordinate"}
        Capture records what the project loader loads; coordinate rebuilds it.
    rerun_config : dict, optional
        In coordinate mode, the recorded run (``RunRecord.to_dict()``).

    Attributes
    ----------
    configs : dict
        Everything recorded so far (capture) or the record (coordinate).
    strategy : RerunStrategy
        ``CaptureStrategy`` or ``CoordinatingStrategy``.
    mode : str
    is_coordinating : bool

    Examples
    --------
    >>> service = RerunService("baseline", mode="capture")        # doctest: +SKIP
    >>> # ... the project loader runs the experiment through the service ...
    >>> tag = service.export_and_save(results_dir)                  # doctest: +SKIP
    >>> again = RerunService.from_tag(tag)                          # doctest: +SKIP
    """

    def __init__(self, name: str, mode: str = "capture", rerun_config: dict[str, Any] | None = None) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}")
        self.name = name
        self.mode = mode
        self.configs: dict[str, Any] = dict(rerun_config or {})
        self.is_coordinating = mode == "coordinate"
        self.strategy: RerunStrategy = (
            CoordinatingStrategy(self.configs) if self.is_coordinating else CaptureStrategy(self)
        )
        self.context: CaptureContext | None = None
        self.repo_path: Path | None = None
        self.commit: str | None = None

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

    # -- loader delegation ------------------------------------------------------------

    def handle_load_base_data_manager(self, data_manager: Any) -> Any:
        """Delegate to the strategy."""
        return self.strategy.handle_load_base_data_manager(data_manager)

    def handle_load_algorithms(self, algorithm_config: Any) -> Any:
        """Delegate to the strategy."""
        return self.strategy.handle_load_algorithms(algorithm_config)

    def handle_load_metric_config(self, metric_config: Any) -> Any:
        """Delegate to the strategy."""
        return self.strategy.handle_load_metric_config(metric_config)

    def handle_load_custom_evaluators(self, module: Any, evaluators_file: Path) -> Any:
        """Delegate to the strategy."""
        return self.strategy.handle_load_custom_evaluators(module, evaluators_file)

    def handle_load_workflow(self, workflow: Any, workflow_name: str) -> Any:
        """Delegate to the strategy."""
        return self.strategy.handle_load_workflow(workflow, workflow_name)

    def reconstruct_plot_settings(self, plot_settings_data: dict[str, Any]) -> Any:
        """Rebuild a ``PlotSettings`` from its exported parameters."""
        from rerun_git.experiment.plot_settings import PlotSettings

        return PlotSettings.from_params(plot_settings_data or {})

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
        if getattr(outcome, "uses_brisk", False):
            # The project imported Brisk's names: reproduce resolves `brisk.*` to the same classes.
            self.configs["configuration"] = {**self.configs.get("configuration", {}), "brisk_names": "1.2"}

    def export_and_save(self, results_dir: Path) -> str:
        """Write ``run_config.json`` into ``results_dir`` and commit the run's snapshot; return its tag.

        Only in capture mode: a coordinating service already has its record.
        """
        if self.is_coordinating:
            raise RerunError("export_and_save is for capture mode", hint="a coordinating service replays a run")
        from rerun_git.service.snapshotting import capture_snapshot

        context = self._require_context()
        published, record = capture_snapshot(self, context, Path(results_dir))
        self.configs = record.to_dict()
        self.commit = published.commit
        return published.tag

    def build_record(self, created: datetime, source_commit: str | None, dirty: bool) -> RunRecord:
        """The :class:`RunRecord` of this capture, from ``configs`` and the context."""
        from rerun_git.service.environment import capture_environment

        context = self._require_context()
        return RunRecord(
            name=self.name,
            created=created.strftime("%Y-%m-%dT%H:%M:%SZ"),
            seed=context.seed,
            rerun_git_version=__version__,
            message=context.message,
            source_commit=source_commit,
            dirty=dirty,
            project_path="",
            reproduces=context.reproduces,
            env=capture_environment(),
            base_data_manager=self.configs.get("base_data_manager", {}),
            configuration=self.configs.get("configuration", {}),
            experiment_groups=self.configs.get("experiment_groups", []),
            algorithms=self.configs.get("algorithms", []),
            metrics=self.configs.get("metrics", []),
            evaluators=self.configs.get("evaluators", {}),
            workflows=self.configs.get("workflows", {}),
            plot_settings=self.configs.get("plot_settings", {}),
            results=self.configs.get("results", {}),
            splits=self.configs.get("splits", {}),
        )

    def _require_context(self) -> CaptureContext:
        if self.context is None:
            raise RerunError("the service is not bound to a project", hint="call bind_project(root, settings, seed) first")
        return self.context

    # -- coordinate ----------------------------------------------------------------------

    @classmethod
    def from_tag(cls, tag: str, repo_path: Path | str = ".") -> RerunService:
        """Open a captured run (``run/<name>`` or ``<name>``) for coordination."""
        from rerun_git.service.snapshotting import load_run

        run, record, repo_top = load_run(tag, Path(repo_path))
        service = cls(record.name, mode="coordinate", rerun_config=record.to_dict())
        service.repo_path = repo_top
        service.commit = run.commit
        service.run_info = run
        return service

    @property
    def record(self) -> RunRecord:
        return RunRecord.from_dict(self.configs, origin=f"run {self.name}")

    def metric_summary(self) -> dict[str, float]:
        return summarize_metrics(self.configs.get("results", {}))


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
    """A fresh seed for a run whose project does not fix ``random_state``."""
    return secrets.randbelow(2**31 - 1)


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


__all__ = ["RerunService", "new_seed", "now_utc"]
