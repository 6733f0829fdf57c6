"""RerunService: Brisk's ``brisk.services.rerun`` API as a facade over capture and reproduce."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from rerun_git.capture.publish import capture_snapshot
from rerun_git.capture.recorder import CaptureStrategy, ConfigRecorder
from rerun_git.errors import RerunError
from rerun_git.experiment.strategy import RerunStrategy
from rerun_git.record.brisk_config import (
    RERUN_GIT_KEY, configuration_args, group_args, is_brisk_config, plot_settings_params,
)
from rerun_git.record.run_record import RunRecord, load_run, run_config_of, summarize_metrics
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
        In coordinate mode, a ``run_config.json``'s content (Brisk's schema, as
        ``export_and_save`` writes it) or a record (``RunRecord.to_dict()``).

    Attributes
    ----------
    configs : dict
        Brisk's sections: recorded so far (capture; after ``export_and_save``,
        what ``run_config.json`` holds) or given (coordinate).
    sections : dict
        rerun-git's record sections (capture).
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
        if not self.is_coordinating:
            self.capture_environment()  # as Brisk's capture mode does on creation
        self.repo_path: Path | None = None
        self.commit: str | None = None
        self._record: RunRecord | None = None

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

    def reconstruct_plot_settings(self, plot_settings_data: dict[str, Any] | None) -> Any:
        """Rebuild a ``PlotSettings`` from Brisk's export (``file_io_settings``, ``colors``) or flat parameters.

        Brisk's ``theme_json`` (a pickled plotnine theme) is not read: rerun-git draws with matplotlib.
        """
        from rerun_git.experiment.plot_settings import PlotSettings

        return PlotSettings.from_params(plot_settings_params(plot_settings_data))

    def get_configuration_args(self) -> dict[str, Any]:
        """The ``Configuration(**args)`` of the recorded run, as Brisk's ``brisk run -f`` rebuilds it.

        ``default_workflow``, ``default_algorithms``, ``default_workflow_args``,
        ``categorical_features`` keyed by file name or ``(file, table)`` tuple,
        and ``plot_settings`` rebuilt as a ``PlotSettings``.
        """
        args = configuration_args(self._brisk_section("configuration", dict))
        args["plot_settings"] = self.reconstruct_plot_settings(args["plot_settings"])
        return args

    def get_experiment_groups(self) -> list[dict[str, Any]]:
        """The recorded groups as ``add_experiment_group(**group)`` keywords; datasets as names or ``(file, table)``.

        Unlike Brisk's, ``configs`` is left as it is (a copy is returned), so it can be called again.
        """
        return group_args(self._brisk_section("experiment_groups", list))

    def _brisk_section(self, key: str, kind: type) -> Any:
        section = self.configs.get(key)
        if not is_brisk_config(self.configs) or not isinstance(section, kind) or not section or (
                key == "configuration" and "default_workflow" not in section):
            raise RerunError(f"the service holds no Brisk {key!r} section",
                             hint="give a run_config.json's content as rerun_config, or use RerunService.from_tag(tag)")
        return section

    # -- capture -------------------------------------------------------------------------

    def export_and_save(self, results_dir: Path) -> str:
        """Commit the run's snapshot and write Brisk's ``run_config.json`` into ``results_dir``; return the tag.

        Only in capture mode: a coordinating service already has its record.
        Afterwards ``configs`` is what ``run_config.json`` holds.
        """
        if self.is_coordinating:
            raise RerunError("export_and_save is for capture mode", hint="a coordinating service replays a run")
        published, record = capture_snapshot(self, self._require_context(), Path(results_dir))
        self._record = record
        self.commit = published.commit
        return published.tag

    # -- coordinate ----------------------------------------------------------------------

    @classmethod
    def from_tag(cls, tag: str, repo_path: Path | str = ".") -> RerunService:
        """Open a captured run (``run/<name>`` or ``<name>``) for coordination.

        ``configs`` is the run's ``run_config.json`` (Brisk's schema, rebuilt from
        the record and the snapshot's files); the strategy checks against the record itself.
        """
        run, record, repo_top = load_run(tag, Path(repo_path))
        service = cls(record.name, mode="coordinate",
                      rerun_config=run_config_of(repo_top, run.commit, record, run.tag))
        service.strategy = CoordinatingStrategy(record.to_dict())
        service._record = record
        service.repo_path = repo_top
        service.commit = run.commit
        service.run_info = run
        return service

    @property
    def record(self) -> RunRecord:
        """The run's record: after ``export_and_save``, from a tag, or from a record given as ``rerun_config``."""
        if self._record is not None:
            return self._record
        if is_brisk_config(self.configs):
            tag = (self.configs.get(RERUN_GIT_KEY) or {}).get("tag")
            raise RerunError("a run_config.json holds no rerun-git record",
                             hint=f"open the run from git: RerunService.from_tag({tag!r})" if tag
                             else "it was not written by rerun-git; the record is in git")
        return RunRecord.from_dict(self.configs, origin=f"run {self.name}")

    def metric_summary(self) -> dict[str, float]:
        """Headline metrics: ``{metric: mean}`` of the best algorithm over the recorded results."""
        if self._record is not None:
            return summarize_metrics(self._record.results, self._record.metrics)
        return summarize_metrics(self.sections.get("results", {}), self.sections.get("metrics", []))
