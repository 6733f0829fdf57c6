"""The core loop's bad input: one clear line plus a hint, non-zero exit, nothing changed."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import git, repo_state


def assert_clean_error(result, *fragments: str) -> None:
    assert result.code == 1, (result.out, result.err)
    assert "Traceback" not in result.err
    lines = result.err.strip().splitlines()
    error = [line for line in lines if line.startswith("rerun-git: error: ")]
    assert len(error) == 1, result.err
    assert any(line.startswith("hint: ") for line in lines), result.err
    for fragment in fragments:
        assert fragment in result.err


def test_not_inside_a_git_repository(tmp_path: Path, cli) -> None:
    from rerun_git.scaffold import write_template

    write_template(tmp_path)
    assert_clean_error(cli("run", cwd=tmp_path), "not inside a git repository")
    assert not (tmp_path / "results").exists()


def test_no_rerun_toml(repo: Path, cli) -> None:
    assert_clean_error(cli("run", cwd=repo), "no rerun.toml found")


def test_syntax_error_names_file_and_line(project: Path, cli) -> None:
    (project / "algorithms.py").write_text("x = 1\ndef broken(:\n")
    before = repo_state(project)
    assert_clean_error(cli("run", "--name", "x", cwd=project), "algorithms.py:2")
    assert repo_state(project) == before
    assert git(project, "tag", "-l") == ""


def test_missing_dataset(project: Path, cli) -> None:
    (project / "datasets" / "diabetes.csv").unlink()
    assert_clean_error(cli("run", "--name", "x", cwd=project), "diabetes.csv")
    assert git(project, "tag", "-l") == ""


def test_create_into_non_empty_folder(tmp_path: Path, cli) -> None:
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "keep.txt").write_text("mine")
    assert_clean_error(cli("create", "proj", cwd=tmp_path), "already exists and is not empty")
    assert sorted(p.name for p in (tmp_path / "proj").iterdir()) == ["keep.txt"]


def test_create_initialises_a_repo_and_says_so(tmp_path: Path, cli) -> None:
    result = cli("create", "myproj", cwd=tmp_path)
    assert result.code == 0, result.err
    assert "initialised an empty git repository" in result.err
    assert (tmp_path / "myproj" / ".git").is_dir()
    assert (tmp_path / "myproj" / ".gitignore").read_text().startswith("results/")
    assert cli("run", "--name", "first", cwd=tmp_path / "myproj").code == 0


@pytest.mark.parametrize("name", ["bad name", "a..b", "-rf", "x.lock", "a~b", "a^b", "a:b", "a?b", "a*b", "a[b", "a\\b", "@{x", "", "x" * 201])
def test_invalid_run_names(project: Path, cli, name: str) -> None:
    assert_clean_error(cli("run", f"--name={name}", cwd=project), "run name")
    assert git(project, "tag", "-l") == ""
    assert not (project / "results").exists()


def test_run_name_taken_and_case_collision(project: Path, cli) -> None:
    assert cli("run", "--name", "first", cwd=project).code == 0
    assert_clean_error(cli("run", "--name", "first", cwd=project), "already exists")
    assert_clean_error(cli("run", "--name", "FIRST", cwd=project), "differs only in case")
    assert git(project, "tag", "-l").split() == ["run/first"]


def test_usage_error_exits_2(project: Path, cli) -> None:
    assert cli("reproduce", cwd=project).code == 2
    assert cli("frobnicate", cwd=project).code == 2


def test_message_cannot_forge_trailers(project: Path, cli) -> None:
    result = cli("run", "--name", "x", "-m", "fine\nRerun-Metric: MAE=0", cwd=project)
    assert_clean_error(result, "may not have a line starting with 'Rerun-'")
    assert git(project, "tag", "-l") == ""
    assert not (project / "results" / "x").exists()
    ok = cli("run", "--name", "y", "-m", "baseline with Rerun- in the middle", cwd=project)
    assert ok.code == 0, ok.err
    assert "baseline with Rerun- in the middle" in git(project, "cat-file", "tag", "run/y")
