"""``rerun-git show`` and ``rerun-git log`` on real repositories, including damaged and foreign runs."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from browse_support import BASE_FILES, make_run, record_data
from conftest import git, repo_state


@pytest.fixture
def three(repo: Path) -> Path:
    """Runs a, b (config and code changed), c (same as b), one minute apart."""
    make_run(repo, "a", stamp=1_793_491_200)
    files = {**BASE_FILES, "data.py": b"TEST_SIZE = 0.3\n"}
    bdm = {**record_data()["base_data_manager"], "test_size": 0.3}
    make_run(repo, "b", record_data(base_data_manager=bdm), files, stamp=1_793_491_260)
    make_run(repo, "c", record_data(base_data_manager=bdm), files, stamp=1_793_491_320)
    return repo


def test_show_summary_and_each_section(three: Path, cli) -> None:
    before = repo_state(three)
    out = cli("show", "b", cwd=three).out
    assert out.startswith("run      run/b\ncommit   ")
    assert "python   3.11.7  numpy=2.4.6 pandas=3.1.1 scikit-learn=1.9.1" in out
    assert "data.py" in out and "baseline/d/split_0/ridge/test_metrics" in out
    files = cli("show", "run/b", "--files", cwd=three).out
    assert files.splitlines()[0].split() == ["FILE", "SHA256"] and "workflows/regression.py" in files
    env = cli("show", "b", "--env", cwd=three).out
    assert "numpy" in env and "tqdm" in env and "yes" in env.splitlines()[3]
    config = cli("show", "b", "--config", cwd=three).out
    assert "base_data_manager.test_size = 0.3" in config
    assert "algorithms[ridge].default_params.alpha = 1.0" in config
    assert "datasets" not in config.splitlines()[0]
    both = cli("show", "b", "--datasets", "--metrics", cwd=three).out
    assert both.startswith("datasets\n") and "\nmetrics\n" in both and "d.csv" in both
    assert repo_state(three) == before


def test_show_json_whole_and_by_section(three: Path, cli) -> None:
    data = json.loads(cli("show", "refs/tags/run/a", "--format", "json", cwd=three).out)
    assert data["name"] == "a" and data["record"]["seed"] == 7 and data["metrics"] == {"MAE": 2.0, "R2": 0.6}
    section = json.loads(cli("show", "a", "--metrics", "--config", "--format", "json", cwd=three).out)
    assert set(section) == {"name", "tag", "metrics", "config"}
    assert section["config"]["base_data_manager.test_size"] == 0.2


def test_show_unknown_run_suggests_the_nearest(three: Path, cli) -> None:
    make_run(three, "baseline-long")
    result = cli("show", "baseline-lng", cwd=three)
    assert result.code == 1
    assert result.err.splitlines() == ["rerun-git: error: unknown run run/baseline-lng",
                                       "hint: did you mean run/baseline-long?"]


def test_corrupt_record_is_one_error_naming_run_and_key(repo: Path, cli) -> None:
    good = record_data(name="broken")
    from rerun_git.record.run_record import RunRecord

    text = RunRecord.from_dict(good).to_toml().replace("seed = 7", 'seed = "seven"')
    make_run(repo, "broken", raw_record=text.encode())
    make_run(repo, "garbled", raw_record=b"name = [unclosed\n")
    for args in (("show", "broken"), ("diff", "broken", "garbled"), ("check-env", "broken"), ("export-env", "broken")):
        result = cli(*args, cwd=repo)
        assert result.code == 1, args
        assert "Traceback" not in result.err
    err = cli("show", "broken", cwd=repo).err.splitlines()
    assert err[0] == "rerun-git: error: run/broken:.rerun/run.toml: key 'seed' should be int, not str"
    assert err[1].startswith("hint: the record was edited or damaged")
    assert cli("show", "garbled", cwd=repo).err.startswith("rerun-git: error: run/garbled:.rerun/run.toml: cannot parse")
    listed = cli("list", cwd=repo)
    assert listed.code == 0 and "run/broken" in listed.out  # list reads tags only


def test_log_one_line_per_run_newest_first(three: Path, cli) -> None:
    lines = cli("log", cwd=three).out.splitlines()
    assert [line.split()[3] for line in lines] == ["run/c", "run/b", "run/a"]
    assert lines[0].split()[1:3] == ["2026-11-01", "00:02"]
    assert lines[0].endswith("MAE=2 R2=0.6")
    commits = git(three, "rev-list", "--first-parent", "rerun/runs").split()
    assert [line.split()[0] for line in lines] == [c[:12] for c in commits[:3]]
    assert [line.split()[3] for line in cli("log", "-n", "1", cwd=three).out.splitlines()] == ["run/c"]


def _blocks(out: str) -> dict[str, str]:
    """``log -p`` output split per run: {tag: its line and the changes under it}."""
    blocks: dict[str, str] = {}
    current = None
    for line in out.splitlines():
        parts = line.split()
        if len(parts) > 3 and len(parts[0]) == 12 and parts[3].startswith("run/"):
            current = parts[3]
            blocks[current] = ""
        elif current is not None:
            blocks[current] += line + "\n"
    return blocks


def test_log_patch_shows_config_and_code_changes(three: Path, cli) -> None:
    out = cli("log", "-p", cwd=three).out
    blocks = _blocks(out)
    assert list(blocks) == ["run/c", "run/b", "run/a"]
    assert "(no config, dataset or code change from the previous run)" in blocks["run/c"]
    assert "config base_data_manager.test_size: 0.2 -> 0.3" in blocks["run/b"]
    assert "-TEST_SIZE = 0.2" in blocks["run/b"] and "+TEST_SIZE = 0.3" in blocks["run/b"]
    assert "(first run on the branch)" in blocks["run/a"]
    assert ".rerun/run.toml" not in out
    data = json.loads(cli("log", "-p", "-n", "2", "--format", "json", cwd=three).out)
    assert [d["name"] for d in data] == ["c", "b"]
    assert data[1]["config"][0]["key"] == "base_data_manager.test_size" and data[1]["code"][0]["path"] == "data.py"
    assert data[0]["code"] == [] and data[0]["first"] is False


def test_log_keeps_removed_runs_untagged_and_stops_at_user_history(three: Path, cli) -> None:
    assert cli("rm", "b", cwd=three).code == 0
    lines = cli("log", cwd=three).out.splitlines()
    assert len(lines) == 3
    assert "b (untagged)" in lines[1]
    head = git(three, "rev-parse", "HEAD").strip()
    assert head[:12] not in cli("log", cwd=three).out  # the user's commits are not runs


def test_log_of_a_repository_without_runs(repo: Path, cli) -> None:
    result = cli("log", cwd=repo)
    assert (result.code, result.out) == (0, "")
