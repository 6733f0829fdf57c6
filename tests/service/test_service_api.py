"""The seed's API: RerunService, its strategies and from_tag."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from rerun_git import CaptureStrategy, CoordinatingStrategy, RerunService, RerunStrategy


def test_unknown_mode_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown mode"):
        RerunService("x", mode="replay")


def test_modes_pick_their_strategy() -> None:
    capture = RerunService("x")
    assert capture.mode == "capture" and not capture.is_coordinating
    assert isinstance(capture.strategy, CaptureStrategy)
    coordinate = RerunService("x", mode="coordinate", rerun_config={"seed": 1})
    assert coordinate.is_coordinating and isinstance(coordinate.strategy, CoordinatingStrategy)
    assert coordinate.configs == {"seed": 1}
    assert issubclass(CaptureStrategy, RerunStrategy)
    with pytest.raises(TypeError):
        RerunStrategy()  # abstract


def test_add_configs() -> None:
    service = RerunService("x")
    service.add_algorithm_config([{"name": "a"}])
    service.add_metric_config([{"name": "MAE"}])
    service.add_evaluators_config(None)
    assert service.configs["algorithms"] == [{"name": "a"}]
    assert service.configs["metrics"] == [{"name": "MAE"}]
    assert service.configs["evaluators"] == {}


def test_reconstruct_plot_settings() -> None:
    settings = RerunService("x").reconstruct_plot_settings({"file_format": "svg", "dpi": 72})
    assert settings.file_format == "svg" and settings.dpi == 72


def test_python_api_capture_and_coordinate(project: Path) -> None:
    from rerun_git.experiment.project import ProjectLoader
    from rerun_git.settings import load_project_settings
    from rerun_git.experiment.runner import run_experiments

    service = RerunService("api-run", mode="capture")
    service.bind_project(project, load_project_settings(project), seed=11)
    loader = ProjectLoader(project, service)
    outcome = run_experiments(loader, project / "results" / "api-run", seed=11)
    service.record_outcome(outcome, loader.files)
    tag = service.export_and_save(project / "results" / "api-run")
    assert tag == "run/api-run"
    exported = json.loads((project / "results" / "api-run" / "run_config.json").read_text())
    assert exported["name"] == "api-run" and exported["seed"] == 11
    assert exported["source_commit"] is not None

    again = RerunService.from_tag(tag, repo_path=project)
    assert again.is_coordinating
    assert again.configs["results"] == outcome.metrics
    dm = again.handle_load_base_data_manager(None)
    assert dm.export_params() == exported["base_data_manager"]
