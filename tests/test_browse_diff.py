"""``rerun-git diff``: runs differing in exactly one of code / config / dataset / environment / metric, and the working tree."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from browse_support import BASE_FILES, BASE_RECORD, make_run, record_data
from conftest import repo_state


def _variant(kind: str) -> tuple[dict, dict]:
    """(record, files) of a run that differs from the base run in ``kind`` only."""
    record, files = record_data(), dict(BASE_FILES)
    if kind == "code":
        files["workflows/regression.py"] = b"class Regression:\n    trees = 10\n"
    elif kind == "config":
        record["algorithms"][0]["default_params"]["alpha"] = 10.0
    elif kind == "dataset":
        record["datasets"]["d.csv"].update(sha256="b" * 64, size=120, num_samples=12)
    elif kind == "env":
        record["env"]["packages"].update(numpy="1.26.4", tqdm="4.66.0")
    elif kind == "metric":
        record["results"]["baseline/d/split_1/ridge/test_metrics"]["MAE"] = 2.75
    return record, files


SECTIONS = {"code": "code", "config": "config", "dataset": "datasets", "env": "env", "metric": "metrics"}


@pytest.fixture
def variants(repo: Path) -> Path:
    make_run(repo, "base")
    for kind in SECTIONS:
        record, files = _variant(kind)
        make_run(repo, kind, record, files)
    return repo


@pytest.mark.parametrize("kind", list(SECTIONS))
def test_exactly_one_section_differs(variants: Path, kind: str) -> None:
    from rerun_git.browse.diff import diff_runs

    result = diff_runs("base", kind, variants)
    non_empty = {name for name in SECTIONS.values() if getattr(result, name)}
    assert non_empty == {SECTIONS[kind]}
    assert not result.identical


def test_section_details(variants: Path) -> None:
    from rerun_git.browse.diff import diff_runs

    code = diff_runs("base", "code", variants)
    assert [(f.path, f.status, f.added, f.removed) for f in code.code] == [("workflows/regression.py", "modified", 1, 1)]
    assert "+    trees = 10" in code.patch and "-    pass" in code.patch
    config = diff_runs("base", "config", variants).config
    assert [(c.key, c.old, c.new) for c in config] == [("algorithms[ridge].default_params.alpha", 1.0, 10.0)]
    datasets = diff_runs("base", "dataset", variants).datasets
    assert datasets[0].key == "d.csv" and set(datasets[0].fields) == {"sha256", "size", "num_samples"}
    env = diff_runs("base", "env", variants).env
    assert [(d.package, d.critical) for d in env] == [("numpy", True), ("tqdm", False)]
    metrics = diff_runs("base", "metric", variants).metrics
    assert [(m.row, m.metric, m.old, m.new, m.delta) for m in metrics] == [
        ("baseline/d/split_1/ridge/test_metrics", "MAE", 2.5, 2.75, 0.25)]


def test_cli_text_json_stat_and_exit_codes(variants: Path, cli) -> None:
    before = repo_state(variants)
    env = cli("diff", "base", "env", cwd=variants)
    assert env.code == 1
    assert "environment: 2 changes (1 critical)" in env.out and "numpy: 2.4.6 -> 1.26.4 (critical)" in env.out
    metric = cli("diff", "run/base", "run/metric", cwd=variants)
    assert metric.code == 1 and "metrics: 1 value differs" in metric.out
    header, row = metric.out.splitlines()[-2:]
    assert header.split() == ["RESULT", "METRIC", "A", "B", "DELTA"]
    assert row.split() == ["baseline/d/split_1/ridge/test_metrics", "MAE", "2.5", "2.75", "0.25"]
    stat = cli("diff", "base", "code", "--stat", cwd=variants)
    assert stat.code == 1
    assert "code: 1 file changed, +1 -1" in stat.out and "workflows/regression.py | +1 -1" in stat.out
    assert "class Regression" not in stat.out
    data = json.loads(cli("diff", "base", "config", "--format", "json", cwd=variants).out)
    assert data["identical"] is False and data["config"][0]["new"] == 10.0
    assert cli("diff", "base", "config", "--format", "json", cwd=variants).code == 1
    assert repo_state(variants) == before


def test_identical_runs_and_a_run_with_itself_exit_0(variants: Path, cli) -> None:
    make_run(variants, "again")  # same content as base, another commit
    for a, b in (("base", "again"), ("base", "base"), ("run/metric", "refs/tags/run/metric")):
        result = cli("diff", a, b, cwd=variants)
        assert (result.code, result.out) == (0, ""), (a, b, result.out)
        assert "are identical" in result.err
    assert json.loads(cli("diff", "base", "base", "--format", "json", cwd=variants).out)["identical"] is True


def test_unknown_run_in_diff(variants: Path, cli) -> None:
    result = cli("diff", "base", "metrc", cwd=variants)
    assert result.code == 1 and "unknown run run/metrc" in result.err and "did you mean run/metric?" in result.err


def test_seed_counts_as_config(variants: Path) -> None:
    from rerun_git.browse.diff import diff_runs

    make_run(variants, "reseeded", record_data(seed=8))
    assert [(c.key, c.old, c.new) for c in diff_runs("base", "reseeded", variants).config] == [("seed", 7, 8)]


# ---------------------------------------------------------------- against the working tree (a real run)
@pytest.fixture
def captured(project: Path, cli) -> Path:
    result = cli("run", "--name", "first", cwd=project)
    assert result.code == 0, result.err
    return project


def test_unchanged_working_tree_is_identical(captured: Path, cli) -> None:
    before = repo_state(captured)
    result = cli("diff", "first", cwd=captured)
    assert result.code == 0, result.out + result.err
    assert "run/first and (working tree) are identical" in result.err
    assert "the working tree has no metrics" in result.err
    assert repo_state(captured) == before


def test_working_tree_changes_in_code_config_and_data(captured: Path, cli) -> None:
    data_py = captured / "data.py"
    data_py.write_text(data_py.read_text().replace("test_size=0.2", "test_size=0.25"))
    (captured / "helper.py").write_text("X = 1\n")
    dataset = next((captured / "datasets").iterdir())
    dataset.write_bytes(dataset.read_bytes() + b"\n")
    result = cli("diff", "first", "--format", "json", cwd=captured)
    assert result.code == 1
    data = json.loads(result.out)
    assert {(f["path"], f["status"]) for f in data["code"]} == {("data.py", "modified"), ("helper.py", "added")}
    assert "-    test_size=0.2," in data["patch"] and "+    test_size=0.25," in data["patch"]
    assert [(c["key"], c["old"], c["new"]) for c in data["config"]] == [("base_data_manager.test_size", 0.2, 0.25)]
    assert [d["key"] for d in data["datasets"]] == [dataset.name]
    assert set(data["datasets"][0]["fields"]) == {"sha256", "size"}
    assert data["metrics"] == [] and data["metrics_compared"] is False


def test_working_tree_with_broken_settings_still_diffs_code(captured: Path, cli) -> None:
    (captured / "settings.py").write_text("def create_configuration(:\n")
    result = cli("diff", "first", cwd=captured)
    assert result.code == 1
    assert "note: config: the working tree's configuration could not be loaded: settings.py:1: SyntaxError" in result.err
    assert "+def create_configuration(:" in result.out


def test_diff_against_working_tree_outside_a_project(repo: Path, cli) -> None:
    make_run(repo, "base")
    result = cli("diff", "base", cwd=repo)
    assert result.code == 1 and "no rerun.toml found" in result.err


def test_base_record_is_valid() -> None:
    from rerun_git.record.run_record import RunRecord

    assert RunRecord.from_dict({**BASE_RECORD}).seed == 7


def test_working_tree_diff_from_the_repository_top_of_a_subfolder_project(repo: Path, cli) -> None:
    from rerun_git.scaffold import write_template

    from conftest import git

    project = repo / "exp"
    project.mkdir()
    write_template(project)
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "project in a subfolder")
    assert cli("run", "--name", "sub", cwd=project).code == 0
    (project / "metrics.py").write_text((project / "metrics.py").read_text() + "\n# tweak\n")
    result = cli("diff", "sub", "--stat", cwd=repo)  # from the top, not the project folder
    assert result.code == 1, result.err
    assert "metrics.py | +2 -0" in result.out
