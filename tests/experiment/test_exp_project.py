from __future__ import annotations

import sys
from pathlib import Path

import pytest
from exp_project_helpers import StubService, write_project

from rerun_git.errors import RerunError
from rerun_git.experiment.algorithms import AlgorithmCollection
from rerun_git.experiment.data import DataManager
from rerun_git.experiment.metrics import MetricManager
from rerun_git.experiment.plot_settings import PlotSettings
from rerun_git.experiment.project import ProjectLoader, dataset_path
from rerun_git.settings import ProjectSettings, find_project_root, load_project_settings
from rerun_git.experiment.workflow import Workflow


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_project(tmp_path / "proj")


def loader_for(root: Path) -> ProjectLoader:
    return ProjectLoader(root, StubService())


def test_find_root(project):
    (project / "workflows" / "deep").mkdir()
    assert find_project_root(project / "workflows" / "deep") == project.resolve()
    with pytest.raises(RerunError, match="no rerun.toml found in") as info:
        find_project_root(project.parent)
    assert "rerun-git create" in info.value.hint


def test_settings(tmp_path):
    (tmp_path / "rerun.toml").write_text("")
    assert load_project_settings(tmp_path) == ProjectSettings()
    (tmp_path / "rerun.toml").write_text('[refs]\ntag_prefix = "r/"\n[hooks]\npost_run = "echo hi"\n'
                                          "[capture]\nembed_datasets_max_mb = 1.5\n")
    s = load_project_settings(tmp_path)
    assert (s.tag_prefix, s.post_run_hook, s.embed_datasets_max_mb, s.branch) == ("r/", "echo hi", 1.5, "rerun/runs")
    assert s.include == ["**/*.py", "rerun.toml"] and s.keep_results == ["**/*.json"]


@pytest.mark.parametrize("text, message", [
    ("[capture\n", "malformed TOML"),
    ('[capture]\ninclude = "x"\n', "capture.include must be a list of strings"),
    ("[capture]\nembed_datasets_max_mb = true\n", "capture.embed_datasets_max_mb must be a non-negative number"),
    ("[refs]\nbranch = 3\n", "refs.branch must be a string"),
    ("[refs]\nbranchh = 'x'\n", "unknown key refs.branchh"),
])
def test_settings_errors(tmp_path, text, message):
    (tmp_path / "rerun.toml").write_text(text)
    with pytest.raises(RerunError, match=message):
        load_project_settings(tmp_path)


def test_loads_through_service(project):
    loader = loader_for(project)
    plan = loader.load_configuration()
    assert [g.name for g in plan.groups] == ["main", "kfold"]
    assert isinstance(loader.load_base_data_manager(), DataManager)
    assert isinstance(loader.load_algorithms(), AlgorithmCollection)
    assert isinstance(loader.load_metrics(), MetricManager)
    assert len(loader.load_evaluators(PlotSettings())) == 0
    cls = loader.load_workflow("basic")
    assert issubclass(cls, Workflow) and cls.__name__ == "Basic"
    assert loader.service.calls == ["data_manager", "algorithms", "metrics", "workflow:basic"]
    assert set(loader.files) == {"settings.py", "data.py", "algorithms.py", "metrics.py",
                                 "workflows/basic.py", "helper.py"}
    assert "helper" not in sys.modules and "settings" not in sys.modules
    assert str(project.resolve()) not in sys.path


def test_captures_bytes_of_imported_helper(project):
    loader = loader_for(project)
    original = (project / "helper.py").read_bytes()
    with loader.importing():
        cls = loader.load_workflow("basic")
        (project / "helper.py").write_text("METRICS = ['MSE']\n")
        (project / "workflows" / "basic.py").write_text("raise SystemExit('edited')\n")
        assert sys.modules["helper"].METRICS == ["MAE", "R2"]
        assert cls.__module__ == "workflows.basic"
    assert loader.files["helper.py"] == original
    assert b"helper.METRICS" in loader.files["workflows/basic.py"]
    # the loader executes captured bytes, even when re-imported after the file changed
    with loader.importing():
        import helper  # noqa: F401  (re-executed from the captured bytes)

        assert sys.modules["helper"].METRICS == ["MAE", "R2"]


def test_second_load_does_not_reuse_stale_modules(tmp_path):
    first = write_project(tmp_path / "a")
    second = write_project(tmp_path / "b", overrides={"helper.py": "METRICS = ['MSE']\n"})
    assert loader_for(first).load_workflow("basic") is not None
    loader = loader_for(second)
    with loader.importing():
        loader.load_workflow("basic")
        assert sys.modules["helper"].METRICS == ["MSE"]
    assert loader.files["helper.py"] == b"METRICS = ['MSE']\n"


def test_syntax_error_location(project):
    (project / "helper.py").write_text("X = 1\ndef broken(:\n")
    with pytest.raises(RerunError, match=r"^helper.py:2: SyntaxError: "):
        loader_for(project).load_workflow("basic")


def test_runtime_error_location(project):
    (project / "data.py").write_text("import math\n\nBASE = 1 / 0\n")
    with pytest.raises(RerunError, match=r"^data.py:3: ZeroDivisionError: division by zero$"):
        loader_for(project).load_base_data_manager()
    (project / "settings.py").write_text("import not_a_module_xyz\n")
    with pytest.raises(RerunError, match=r"^settings.py:1: ModuleNotFoundError: No module named"):
        loader_for(project).load_configuration()


def test_loader_type_errors(project):
    (project / "algorithms.py").write_text("ALGORITHM_CONFIG = [1, 2]\n")
    with pytest.raises(RerunError, match="algorithms.py: ALGORITHM_CONFIG is a list, not a AlgorithmCollection"):
        loader_for(project).load_algorithms()
    (project / "settings.py").write_text("x = 1\n")
    with pytest.raises(RerunError, match="settings.py does not define create_configuration"):
        loader_for(project).load_configuration()
    (project / "data.py").write_bytes("X = 'caf\xe9'\n".encode("latin-1"))
    with pytest.raises(RerunError, match="data.py: not UTF-8 text"):
        loader_for(project).load_base_data_manager()


def test_workflow_errors(project):
    with pytest.raises(RerunError, match="workflows/nope.py not found"):
        loader_for(project).load_workflow("nope")
    (project / "workflows" / "empty.py").write_text("from rerun_git.experiment import Workflow\n")
    with pytest.raises(RerunError, match="workflows/empty.py defines 0 Workflow subclasses"):
        loader_for(project).load_workflow("empty")
    with pytest.raises(RerunError, match="invalid workflow name"):
        loader_for(project).load_workflow("../basic")


def test_evaluators_file(project):
    (project / "evaluators.py").write_text(
        "def size(model, X, y):\n    return len(y)\n\n"
        "def register_custom_evaluators(registry, plot_settings):\n    registry.register('size', size)\n")
    loader = loader_for(project)
    registry = loader.load_evaluators(PlotSettings())
    assert registry.names() == ["size"] and "evaluators" in loader.service.calls
    assert "evaluators.py" in loader.files


def test_dataset_path(tmp_path):
    assert dataset_path(tmp_path, "sub/a.csv") == (tmp_path / "datasets" / "sub" / "a.csv").resolve()
    for bad in ("/etc/passwd", "../secret.csv", "a/../../x.csv"):
        with pytest.raises(RerunError, match="escapes the datasets/ folder"):
            dataset_path(tmp_path, bad)
