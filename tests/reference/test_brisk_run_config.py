"""rerun-git's ``run_config.json`` has real Brisk 1.2's schema, and a coordinating RerunService reads it back.

The schemas (keys and value types of the file ``brisk run`` wrote) are made by
make_fixtures.py; each project runs here with ``rerun-git run`` (captured, in a
real git repository) and the same shape is computed of the file rerun-git wrote.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from conftest import git
from make_fixtures import run_config_schema

HERE = Path(__file__).resolve().parent
SCHEMAS = {p.stem: json.loads(p.read_text()) for p in sorted((HERE / "fixtures" / "run_config_schema").glob("*.json"))}


def _captured_run(cli: Any, tmp_path: Path, project: str) -> tuple[Path, dict[str, Any]]:
    work = tmp_path / project
    shutil.copytree(HERE / "projects" / project, work)
    git(work, "init", "-q")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "start")
    ran = cli("run", "--name", "ref", "--seed", "7", cwd=work)
    assert ran.code == 0, ran.err
    return work, json.loads((work / "results" / "ref" / "run_config.json").read_text())


def test_there_are_schemas_of_brisks_file() -> None:
    assert {"template_regression", "preprocess"} <= set(SCHEMAS)


@pytest.mark.parametrize("project", sorted(SCHEMAS))
def test_run_config_json_has_brisks_keys_nesting_and_types(cli: Any, tmp_path: Path, project: str) -> None:
    work, exported = _captured_run(cli, tmp_path, project)
    ours = run_config_schema(exported)
    brisk = SCHEMAS[project]
    # rerun-git's own facts: one extra top-level key, which Brisk's readers never look at.
    extra = ours.pop("rerun_git")
    assert extra == {"version": "str", "name": "str", "tag": "str", "commit": "str", "seed": "int",
                     "source_commit": "str", "dirty": "bool", "record": "str"}
    assert exported["rerun_git"]["tag"] == "run/ref" and exported["rerun_git"]["seed"] == 7
    assert exported["rerun_git"]["commit"] == git(work, "rev-parse", "run/ref^{commit}").strip()
    # No plotnine theme is drawn by rerun-git: Brisk's pickled theme is null here (docs/brisk.md).
    assert ours["configuration"]["plot_settings"]["theme_json"] == "null"
    assert brisk["configuration"]["plot_settings"]["theme_json"] == "str"
    ours["configuration"]["plot_settings"]["theme_json"] = "str"
    assert ours == brisk


def test_run_config_values_are_what_ran(cli: Any, tmp_path: Path) -> None:
    """File contents are the executed bytes (not the disk afterwards); datasets and groups as Brisk writes them."""
    work, exported = _captured_run(cli, tmp_path, "preprocess")
    assert exported["package_version"] == "1.2.0"
    assert exported["algorithms"] == {"type": "algorithms_file", "file_path": "algorithms.py",
                                      "file_content": (work / "algorithms.py").read_text()}
    assert exported["workflows"] == {"fixture.py": {"file_content": (work / "workflows" / "fixture.py").read_text(),
                                                    "class_name": "Fixture"}}
    assert exported["experiment_groups"][0]["datasets"] == [{"dataset": "mixed.csv", "table_name": None}]
    header = (work / "datasets" / "mixed.csv").read_text().splitlines()[0].split(",")
    assert exported["datasets"]["mixed.csv"]["feature_names"] == header  # every column, as Brisk lists them
    assert exported["datasets"]["mixed.csv"]["num_features"] == len(header)
    assert exported["base_data_manager"]["params"]["preprocessors"] == {
        "CategoricalEncodingPreprocessor": {"method": {"sex": "onehot", "age": "threshold"}, "cutoffs": [-0.02, 0.03]},
        "MissingDataPreprocessor": {"strategy": "impute", "impute_method": "mode", "constant_value": 0}}
    assert exported["configuration"]["categorical_features"] == [
        {"dataset": "mixed.csv", "table_name": None, "features": ["sex", "age"]}]
    assert exported["env"]["packages"]["scikit-learn"]["is_critical"] is True
    assert exported["_metadata"]["type"] == "rerun_config"


def test_coordinate_mode_rebuilds_the_configuration_from_the_exported_file(cli: Any, tmp_path: Path) -> None:
    """Brisk's `brisk run -f` path: Configuration(**get_configuration_args()) + add_experiment_group(**group)."""
    from rerun_git import RerunService
    from rerun_git.experiment.configuration import Configuration

    work, exported = _captured_run(cli, tmp_path, "preprocess")
    service = RerunService("again", mode="coordinate", rerun_config=json.loads(json.dumps(exported)))
    args = service.get_configuration_args()
    assert args["categorical_features"] == {"mixed.csv": ["sex", "age"]}
    config = Configuration(**args)
    for group in service.get_experiment_groups():
        config.add_experiment_group(**group)
    again = RerunService.from_tag("ref", repo_path=work)
    rebuilt = config.build().export_params()
    recorded = again.record
    assert rebuilt["experiment_groups"] == recorded.experiment_groups
    assert rebuilt["plot_settings"] == recorded.plot_settings
    assert rebuilt["default_workflow"] == recorded.configuration["default_workflow"] == "fixture"
    manager = service.handle_load_base_data_manager(None)
    assert manager.export_params() == recorded.base_data_manager
    with pytest.raises(Exception, match="holds no rerun-git record") as raised:
        service.record
    assert "RerunService.from_tag('run/ref')" in raised.value.hint
    assert again.configs == exported  # from_tag rebuilds the same file from the record and the snapshot
