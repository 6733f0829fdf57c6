"""The seed's API: RerunService, its strategies and from_tag."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rerun_git import CaptureStrategy, CoordinatingStrategy, RerunService, RerunStrategy
from rerun_git.errors import RerunError


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


def test_add_configs_store_what_they_are_given() -> None:
    service = RerunService("x")
    service.add_algorithm_config([{"name": "a"}])
    service.add_metric_config([{"name": "MAE"}])
    service.add_evaluators_config(None)
    service.add_base_data_manager({"params": {"test_size": 0.3}})
    service.add_configuration({"default_workflow": "w"})
    service.add_experiment_groups([{"name": "g", "datasets": [{"dataset": "d.csv", "table_name": None}]}])
    assert service.configs["algorithms"] == [{"name": "a"}]
    assert service.configs["metrics"] == [{"name": "MAE"}]
    assert service.configs["evaluators"] is None  # Brisk: None when there are no custom evaluators
    assert service.configs["base_data_manager"] == {"params": {"test_size": 0.3}}
    assert service.configs["configuration"] == {"default_workflow": "w"}
    assert service.configs["experiment_groups"][0]["name"] == "g"
    assert service.sections == {}  # the record's sections are the capture flow's, not these setters'


def test_a_capturing_service_starts_with_brisks_sections_and_the_environment() -> None:
    import platform

    service = RerunService("x")
    assert list(service.configs) == ["package_version", "env", "base_data_manager", "configuration",
                                     "experiment_groups", "metrics", "algorithms", "evaluators", "workflows",
                                     "datasets"]
    assert service.configs["package_version"] == "1.2.0"
    env = service.configs["env"]
    assert env["python"]["version"] == platform.python_version()
    assert env["system"]["architecture"] == platform.machine()
    assert env["packages"]["pytest"] == {"version": pytest.__version__, "is_critical": False}
    assert env["packages"]["scikit-learn"]["is_critical"] is True


def test_capture_environment_reads_the_environment_again(monkeypatch: pytest.MonkeyPatch) -> None:
    import rerun_git.record.environment as environment

    service = RerunService("x")
    monkeypatch.setattr(environment, "installed_packages", lambda: {"numpy": "9.9.9"})
    service.capture_environment()
    assert service.configs["env"]["packages"] == {"numpy": {"version": "9.9.9", "is_critical": True}}
    assert service.environment["packages"] == {"numpy": "9.9.9"}


def test_add_workflow_file_takes_the_loaders_bytes_never_the_disk(tmp_path: Path) -> None:
    (tmp_path / "workflows").mkdir()
    (tmp_path / "workflows" / "w.py").write_text("# edited on disk after it ran\n")
    service = RerunService("x")
    service.add_workflow_file("w", "W")
    assert service.configs["workflows"] == {}  # bytes not known yet: only the record's entry
    assert service.sections["workflows"] == {"w": {"file": "workflows/w.py", "class": "W"}}
    service.sources = {"workflows/w.py": b"class W: ...\n"}
    service.add_workflow_file("w", "W")
    assert service.configs["workflows"] == {"w.py": {"file_content": "class W: ...\n", "class_name": "W"}}


def _brisk_configs() -> dict:
    return {
        "package_version": "1.2.0",
        "configuration": {
            "default_workflow": "wf", "default_algorithms": ["linear", "ridge"], "default_workflow_args": {"k": 1},
            "categorical_features": [{"dataset": "a.csv", "table_name": None, "features": ["c"]},
                                     {"dataset": "b.db", "table_name": "t", "features": ["d", "e"]}],
            "plot_settings": {"file_io_settings": {"file_format": "svg", "width": 6, "height": 4, "dpi": 72,
                                                   "transparent": True},
                              "colors": {"primary_color": "#000000", "secondary_color": "#111111",
                                         "accent_color": "#222222"},
                              "theme_json": None}},
        "experiment_groups": [{"name": "g", "datasets": [{"dataset": "a.csv", "table_name": None},
                                                         {"dataset": "b.db", "table_name": "t"}],
                               "workflow": "wf", "data_config": {}, "algorithms": ["linear"], "algorithm_config": {},
                               "description": "", "workflow_args": {}}],
        "workflows": {"wf.py": {"file_content": "...", "class_name": "Wf"}},
    }


def test_get_configuration_args_rebuilds_brisks_arguments() -> None:
    service = RerunService("x", mode="coordinate", rerun_config=_brisk_configs())
    args = service.get_configuration_args()
    settings = args.pop("plot_settings")
    assert args == {"default_workflow": "wf", "default_algorithms": ["linear", "ridge"],
                    "categorical_features": {"a.csv": ["c"], ("b.db", "t"): ["d", "e"]},
                    "default_workflow_args": {"k": 1}}
    assert (settings.file_format, settings.width, settings.dpi, settings.transparent) == ("svg", 6, 72, True)
    assert settings.accent_color == "#222222"


def test_get_experiment_groups_gives_names_or_tuples_and_leaves_configs_alone() -> None:
    configs = _brisk_configs()
    service = RerunService("x", mode="coordinate", rerun_config=configs)
    groups = service.get_experiment_groups()
    assert groups[0]["datasets"] == ["a.csv", ("b.db", "t")]
    assert service.get_experiment_groups() == groups  # Brisk's turns configs into tuples and fails the second time
    assert configs["experiment_groups"][0]["datasets"][1] == {"dataset": "b.db", "table_name": "t"}


def test_without_a_brisk_configuration_the_getters_say_so() -> None:
    record_like = {"schema": 2, "configuration": {"default_workflow": "wf", "categorical_features": {"a.csv": ["c"]}},
                   "experiment_groups": [{"name": "g", "datasets": ["a.csv"]}]}
    for configs in ({"seed": 1}, record_like):
        service = RerunService("x", mode="coordinate", rerun_config=configs)
        for getter in (service.get_configuration_args, service.get_experiment_groups):
            with pytest.raises(RerunError, match="holds no Brisk") as raised:
                getter()
            assert "run_config.json" in raised.value.hint


def test_a_malformed_run_config_is_one_rerun_error() -> None:
    configs = {**_brisk_configs(), "base_data_manager": {"params": "test_size=0.2"}}
    with pytest.raises(RerunError, match=r"base_data_manager.params should be a table, not str"):
        RerunService("x", mode="coordinate", rerun_config=configs)
    configs = {**_brisk_configs(), "workflows": {"wf": {"class_name": 3}}}
    with pytest.raises(RerunError, match=r"workflows\['wf'\]"):
        RerunService("x", mode="coordinate", rerun_config=configs)


def test_a_malformed_configuration_is_one_rerun_error_from_the_getters() -> None:
    configs = _brisk_configs()
    configs["configuration"]["categorical_features"] = [{"dataset": 3, "features": []}]
    configs["experiment_groups"][0]["datasets"] = "a.csv"
    service = RerunService("x", mode="coordinate", rerun_config=configs)
    with pytest.raises(RerunError, match="categorical_features.* should have a dataset name"):
        service.get_configuration_args()
    with pytest.raises(RerunError, match="experiment group datasets should be a list, not str"):
        service.get_experiment_groups()
    configs = _brisk_configs()
    configs["configuration"]["plot_settings"]["colors"] = "blue"
    with pytest.raises(RerunError, match="plot_settings.colors should be a table"):
        RerunService("x", mode="coordinate", rerun_config=configs).get_configuration_args()


def test_coordinating_a_brisk_config_checks_workflow_classes() -> None:
    service = RerunService("x", mode="coordinate", rerun_config=_brisk_configs())

    class Other:
        pass

    with pytest.raises(RerunError, match="workflow class Wf"):
        service.handle_load_workflow(Other, "wf")
    assert service.handle_load_workflow(type("Wf", (), {}), "wf").__name__ == "Wf"


def test_reconstruct_plot_settings() -> None:
    settings = RerunService("x").reconstruct_plot_settings({"file_format": "svg", "dpi": 72})
    assert settings.file_format == "svg" and settings.dpi == 72
    brisk = RerunService("x").reconstruct_plot_settings(
        {"file_io_settings": {"file_format": "pdf", "width": 5}, "colors": {"primary_color": "#abcdef"},
         "theme_json": "{...}"})
    assert (brisk.file_format, brisk.width, brisk.primary_color, brisk.dpi) == ("pdf", 5, "#abcdef", 300)


def _captured_in_process(project: Path, seed: int) -> tuple[RerunService, Any, Any]:
    """A capturing RerunService that loaded and ran ``project`` (not yet exported); its loader and outcome."""
    from rerun_git.experiment.project import ProjectLoader
    from rerun_git.experiment.runner import run_experiments
    from rerun_git.settings import load_project_settings

    service = RerunService("api-run", mode="capture")
    service.bind_project(project, load_project_settings(project), seed=seed)
    loader = ProjectLoader(project, service)
    outcome = run_experiments(loader, project / "results" / "api-run", seed=seed)
    service.record_outcome(outcome, loader.files)
    return service, loader, outcome


def test_python_api_capture_and_coordinate(project: Path) -> None:
    service, loader, outcome = _captured_in_process(project, seed=11)
    ran = loader.files["algorithms.py"]
    (project / "algorithms.py").write_text("# edited after the run\n")  # the export must not read the disk again
    tag = service.export_and_save(project / "results" / "api-run")
    assert tag == "run/api-run"
    exported = json.loads((project / "results" / "api-run" / "run_config.json").read_text())
    assert service.configs == exported  # configs become what run_config.json holds, as in Brisk
    assert exported["rerun_git"]["name"] == "api-run" and exported["rerun_git"]["seed"] == 11
    assert exported["rerun_git"]["source_commit"] is not None
    assert exported["algorithms"]["file_content"] == ran.decode()

    again = RerunService.from_tag(tag, repo_path=project)
    assert again.is_coordinating
    assert again.record.results == outcome.metrics
    assert again.configs == exported
    dm = again.handle_load_base_data_manager(None)
    assert dm.export_params() == again.record.base_data_manager


def test_configs_have_brisks_sections_after_a_run(project: Path) -> None:
    service, loader, _outcome = _captured_in_process(project, seed=3)
    configs = service.configs
    assert configs["metrics"] == {"type": "metrics_file", "file_path": "metrics.py",
                                  "file_content": loader.files["metrics.py"].decode()}
    assert set(configs["base_data_manager"]["params"]) == {
        "test_size", "n_splits", "split_method", "group_column", "stratified", "random_state", "problem_type",
        "preprocessors"}
    group = configs["experiment_groups"][0]
    assert all(set(d) == {"dataset", "table_name"} for d in group["datasets"])
    assert set(configs["datasets"]) == {d["dataset"] for d in group["datasets"]}
    assert all(entry["num_samples"] > 0 for entry in configs["datasets"].values())
    workflow = group["workflow"]
    assert configs["workflows"][f"{workflow}.py"]["file_content"] == loader.files[f"workflows/{workflow}.py"].decode()
    assert service.sections["algorithms"][0]["name"]  # rerun-git's record keeps the exported parameters
