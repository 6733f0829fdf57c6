"""CLI wiring: entry points, start-up cost, exit codes."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import imported_modules, run_cli_subprocess

HEAVY = ("sklearn", "pandas", "scipy")


@pytest.mark.parametrize("args", [("--help",), ("list",), ("show", "run/first"), ("list", "--format", "json")])
def test_read_only_commands_do_not_import_heavy_packages(project: Path, cli, args: tuple[str, ...]) -> None:
    assert cli("run", "--name", "first", cwd=project).code == 0
    modules = imported_modules(*args, cwd=project)
    assert "rerun_git" in modules
    assert not modules & set(HEAVY), modules & set(HEAVY)


def test_python_dash_m_and_version(tmp_path: Path) -> None:
    proc = run_cli_subprocess("--version", cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout.startswith("rerun-git ")


VENV_BIN = Path(sys.executable).parent


def venv_first_env() -> dict[str, str]:
    """Our environment with this interpreter's ``bin`` first on PATH: its console scripts are the ones run."""
    return {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}


@pytest.mark.skipif(not (VENV_BIN / "git-rerun").exists(), reason="the git-rerun console script is not beside the interpreter")
def test_git_rerun_subcommand(project: Path) -> None:
    proc = subprocess.run(["git", "rerun", "list"], cwd=project, capture_output=True, text=True, env=venv_first_env())
    assert proc.returncode == 0, proc.stderr


def test_no_command_prints_help_and_exits_2(tmp_path: Path) -> None:
    proc = run_cli_subprocess(cwd=tmp_path)
    assert proc.returncode == 2
    assert "usage: rerun-git" in proc.stdout


def test_error_outside_repo_has_no_traceback(tmp_path: Path) -> None:
    proc = run_cli_subprocess("list", cwd=tmp_path, env={"GIT_CEILING_DIRECTORIES": str(tmp_path.parent)})
    assert proc.returncode == 1
    assert proc.stderr.startswith("rerun-git: error: not inside a git repository")
    assert "Traceback" not in proc.stderr
