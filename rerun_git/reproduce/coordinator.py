"""CoordinatingStrategy: a recorded run rebuilt from its record and its snapshot's files."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rerun_git.errors import RerunError
from rerun_git.experiment.strategy import RerunStrategy
from rerun_git.record.brisk_config import coordinate_sections, is_brisk_config



class CoordinatingStrategy(RerunStrategy):
    """Rebuild a recorded run: objects come from the record and the snapshot's worktree.

    The data manager is rebuilt from its recorded parameters with
    ``DataManager.from_params``; algorithms, metrics, evaluators and
    workflows are loaded from the snapshot's files (the exact bytes that
    ran) and checked against the record.

    A Brisk ``run_config.json`` (what ``export_and_save`` writes) is accepted
    too: the data manager is rebuilt from its ``base_data_manager.params`` and
    the workflows' classes are checked; Brisk keeps algorithms and metrics as
    file contents, which are not executed here, so those are not checked.

    Parameters
    ----------
    config_data : dict
        The recorded run (``RunRecord.to_dict()``) or a Brisk ``run_config.json``'s content.
    """

    def __init__(self, config_data: dict[str, Any]) -> None:
        self.config_data = config_data
        #: What the loaded parts are rebuilt from or checked against, in the record's shapes.
        self._recorded = coordinate_sections(config_data) if is_brisk_config(config_data) else config_data
        self._reconstructed_objects: dict[str, Any] = {}
        self._cleanups: list[Any] = []

    def handle_load_base_data_manager(self, data_manager: Any) -> Any:
        from rerun_git.experiment.data import DataManager

        recorded = self._section("base_data_manager")
        rebuilt = DataManager.from_params(recorded)
        self._reconstructed_objects["base_data_manager"] = rebuilt
        return rebuilt

    def handle_load_algorithms(self, algorithm_config: Any) -> Any:
        self._verify("algorithms", "algorithms.py", algorithm_config.export_params())
        return algorithm_config

    def handle_load_metric_config(self, metric_config: Any) -> Any:
        self._verify("metrics", "metrics.py", metric_config.export_params())
        return metric_config

    def handle_load_custom_evaluators(self, module: Any, evaluators_file: Path) -> Any:
        return module

    def handle_load_workflow(self, workflow: Any, workflow_name: str) -> Any:
        recorded = self._recorded.get("workflows", {}).get(workflow_name)
        if recorded is None:
            raise RerunError(
                f"workflow {workflow_name!r} is not in the run's record",
                hint="the snapshot's settings.py names a workflow the original run did not use",
            )
        if workflow.__name__ != recorded.get("class"):
            raise RerunError(
                f"workflow class {recorded.get('class')} recorded for {recorded.get('file')} is absent from the snapshot",
                hint=f"the snapshot defines {workflow.__name__} instead; the run's files do not match its record",
            )
        return workflow

    def add_cleanup(self, callback: Any) -> None:
        """Register something to undo in :meth:`cleanup_temp_files` (the worktree)."""
        self._cleanups.append(callback)

    def cleanup_temp_files(self) -> None:
        """Remove the snapshot worktree and anything else this reproduction created."""
        while self._cleanups:
            self._cleanups.pop()()

    def _section(self, key: str) -> Any:
        if key not in self._recorded or not self._recorded[key]:
            raise RerunError(f"the run's record has no {key!r} section", hint="was it captured by `rerun-git run`?")
        return self._recorded[key]

    def _verify(self, key: str, filename: str, loaded: Any) -> None:
        recorded = self._recorded.get(key)
        if recorded is not None and _normalise(recorded) != _normalise(loaded):
            raise RerunError(
                f"{filename} in the snapshot builds a different {key} configuration than the record",
                hint="the run's files and its .rerun/run.toml disagree; was the tag rewritten?",
            )


def _normalise(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)

