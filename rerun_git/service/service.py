"""RerunService: Brisk's ``brisk.services.rerun`` API as a facade over capture and reproduce."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from rerun_git.capture.publish import capture_snapshot
from rerun_git.capture.recorder import CaptureStrategy, ConfigRecorder
from rerun_git.errors import RerunError
from rerun_git.experiment.strategy import RerunStrategy
from rerun_git.record.run_record import RunRecord, load_run, summarize_metrics
from rerun_git.reproduce.coordinator import CoordinatingStrategy

MODES = ("capture", "coordinate")


class RerunService(ConfigRecorder):
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
        super().__init__(name, rerun_config)
        self.mode = mode
        self.is_coordinating = mode == "coordinate"
        self.strategy: RerunStrategy = (
            CoordinatingStrategy(self.configs) if self.is_coordinating else CaptureStrategy(self)
        )
        self.repo_path: Path | None = None
        self.commit: str | None = None

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

    def export_and_save(self, results_dir: Path) -> str:
        """Write ``run_config.json`` into ``results_dir`` and commit the run's snapshot; return its tag.

        Only in capture mode: a coordinating service already has its record.
        """
        if self.is_coordinating:
            raise RerunError("export_and_save is for capture mode", hint="a coordinating service replays a run")
        published, record = capture_snapshot(self, self._require_context(), Path(results_dir))
        self.configs = record.to_dict()
        self.commit = published.commit
        return published.tag

    # -- coordinate ----------------------------------------------------------------------

    @classmethod
    def from_tag(cls, tag: str, repo_path: Path | str = ".") -> RerunService:
        """Open a captured run (``run/<name>`` or ``<name>``) for coordination."""
        run, record, repo_top = load_run(tag, Path(repo_path))
        service = cls(record.name, mode="coordinate", rerun_config=record.to_dict())
        service.repo_path = repo_top
        service.commit = run.commit
        service.run_info = run
        return service

    @property
    def record(self) -> RunRecord:
        """The run's record, validated."""
        return RunRecord.from_dict(self.configs, origin=f"run {self.name}")

    def metric_summary(self) -> dict[str, float]:
        """Headline metrics: ``{metric: mean}`` of the best algorithm over the recorded results."""
        return summarize_metrics(self.configs.get("results", {}), self.configs.get("metrics", []))
