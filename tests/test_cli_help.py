"""Command-line polish: help pages, usage errors, "did you mean", the man page behind `git rerun --help`, colour."""
from __future__ import annotations

import contextlib
import os
import pty
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from conftest import git, run_cli_subprocess
from rerun_git.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = list(build_parser().commands)
ESC = "\x1b["


# ---------------------------------------------------------------- help pages
def test_every_command_is_documented_in_help() -> None:
    from rerun_git.commands._help import HELP

    assert len(COMMANDS) >= 18
    assert set(COMMANDS) <= set(HELP), "add the command's description and examples to commands/_help.py"


@pytest.mark.parametrize("command", COMMANDS)
def test_command_help_has_description_and_examples(tmp_path: Path, command: str) -> None:
    proc = run_cli_subprocess(command, "--help", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    usage, _, rest = proc.stdout.partition("\n\n")
    assert usage.startswith(f"usage: rerun-git {command} ")
    description = rest.partition("\n\n")[0]
    assert len(description.split()) >= 8, f"no description in {command} --help"
    examples = proc.stdout.partition("\nexamples:\n")[2]
    assert f"  rerun-git {command}" in examples or f"&& rerun-git {command}" in examples


def test_descriptions_fit_the_width_and_are_shown_as_written(tmp_path: Path) -> None:
    from rerun_git.commands._help import HELP, MORE, SUMMARY, WIDTH

    shown = [command.description or "" for command in build_parser().commands.values()]  # inline ones too
    for text in [SUMMARY, MORE, *(description for description, _ in HELP.values()), *shown]:
        assert max(map(len, text.splitlines()), default=0) <= WIDTH, f"break it in commands/_help.py: {text}"
    proc = run_cli_subprocess("diff", "--help", cwd=tmp_path, env={"COLUMNS": "200"})
    assert proc.stdout.split("\n\n")[1] == HELP["diff"][0]  # RawDescriptionHelpFormatter: not re-filled


@pytest.mark.parametrize("args", [("diff", "--help"), ("run", "--help"), ("lsit",)])
def test_help_and_usage_errors_stay_import_light(tmp_path: Path, args: tuple[str, ...]) -> None:
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "rerun_git", *args], cwd=tmp_path,
                          capture_output=True, text=True)
    modules = {line.split("|")[-1].strip().split(".")[0] for line in proc.stderr.splitlines() if "import time:" in line}
    assert "rerun_git" in modules
    assert not modules & {"sklearn", "pandas", "scipy", "numpy"}


# ---------------------------------------------------------------- usage errors
def test_unknown_option_prints_the_subcommands_usage(tmp_path: Path) -> None:
    proc = run_cli_subprocess("list", "--bogus", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.startswith("usage: rerun-git list ")
    assert "rerun-git list: error: unrecognized arguments: --bogus" in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_missing_argument_prints_the_subcommands_usage(tmp_path: Path) -> None:
    proc = run_cli_subprocess("show", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.startswith("usage: rerun-git show ")
    assert "the following arguments are required: run" in proc.stderr


def test_mistyped_command_gets_did_you_mean(tmp_path: Path) -> None:
    proc = run_cli_subprocess("lsit", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[-1] == "rerun-git: error: 'lsit' is not a rerun-git command; did you mean 'list'?"


def test_unknown_command_without_a_near_one_lists_the_commands(tmp_path: Path) -> None:
    proc = run_cli_subprocess("frobnicate", cwd=tmp_path)
    assert proc.returncode == 2
    assert "'frobnicate' is not a rerun-git command (choose from demo, create, run," in proc.stderr


def test_mistyped_choice_gets_did_you_mean(tmp_path: Path) -> None:
    proc = run_cli_subprocess("create", "x", "--template", "regresion", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.startswith("usage: rerun-git create ")
    assert "argument --template: invalid choice: 'regresion'; did you mean 'regression'?" in proc.stderr
    assert not (tmp_path / "x").exists()


# ---------------------------------------------------------------- the man page and `git rerun --help`
def test_man_pages_are_up_to_date_with_the_parser() -> None:
    proc = subprocess.run([sys.executable, str(ROOT / "man" / "generate.py"), "--check"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_pyproject_installs_the_man_pages_into_share_man() -> None:
    data_files = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["data-files"]
    assert sorted(data_files["share/man/man1"]) == ["man/man1/git-rerun.1", "man/man1/rerun-git.1"]
    assert (ROOT / "man/man1/git-rerun.1").read_text() == ".so man1/rerun-git.1\n"


def _installed_prefix(tmp_path: Path) -> Path:
    """A prefix laid out as pip lays out a wheel: bin/git-rerun and pyproject's data files under it.

    (An editable install, as in development and CI, installs no data files: PEP 660.)
    """
    prefix = tmp_path / "prefix"
    (prefix / "bin").mkdir(parents=True)
    (prefix / "bin" / "git-rerun").symlink_to(Path(sys.executable).parent / "git-rerun")
    data_files = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["data-files"]
    for target, sources in data_files.items():
        (prefix / target).mkdir(parents=True, exist_ok=True)
        for source in sources:
            shutil.copy(ROOT / source, prefix / target)
    return prefix


def _man_env(bin_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("MANPATH", "MANPAGER", "PAGER")}
    return {**env, "PATH": f"{bin_dir}{os.pathsep}{env.get('PATH', '')}", "MANPAGER": "cat", "MANWIDTH": "80"}


@pytest.mark.skipif(shutil.which("man") is None, reason="`man` is not installed (Debian: apt-get install man-db); "
                                                        "git runs `man git-rerun` for `git rerun --help`")
@pytest.mark.skipif(not (Path(sys.executable).parent / "git-rerun").exists(),
                    reason="the git-rerun console script is not beside the interpreter")
def test_git_rerun_help_shows_the_man_page(tmp_path: Path) -> None:
    prefix = _installed_prefix(tmp_path)
    proc = subprocess.run(["git", "rerun", "--help"], cwd=tmp_path, capture_output=True, text=True,
                          env=_man_env(prefix / "bin"), stdin=subprocess.DEVNULL, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "No manual entry" not in proc.stderr
    assert proc.stdout.startswith("RERUN-GIT(1)")
    assert "rerun-git [-h] [--version] [-C DIR]" in proc.stdout  # the synopsis: the usage line
    assert "usage: rerun-git reproduce [-h]" in proc.stdout  # every command's help, verbatim
    assert "rerun-git diff baseline tuned --stat" in proc.stdout  # examples keep their lines


@pytest.mark.skipif(shutil.which("man") is None, reason="`man` is not installed (Debian: apt-get install man-db)")
@pytest.mark.skipif(not (Path(sys.executable).parent.parent / "share/man/man1/git-rerun.1").exists(),
                    reason="this venv has an editable install, which installs no man pages (PEP 660)")
def test_git_rerun_help_in_this_venv(tmp_path: Path) -> None:
    proc = subprocess.run(["git", "rerun", "--help"], cwd=tmp_path, capture_output=True, text=True,
                          env=_man_env(Path(sys.executable).parent), stdin=subprocess.DEVNULL, timeout=60)
    assert proc.returncode == 0 and "usage: rerun-git reproduce" in proc.stdout, proc.stderr


# ---------------------------------------------------------------- colour
@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The regression template run twice, test_size changed in between."""
    from rerun_git.cli import main
    from rerun_git.scaffold import write_template

    path = tmp_path_factory.mktemp("colour") / "proj"
    path.mkdir()
    git(path, "init", "-q")
    write_template(path)
    git(path, "add", ".")
    git(path, "commit", "-q", "-m", "project")
    with contextlib.chdir(path):
        assert main(["run", "--name", "a"]) == 0
        data = path / "data.py"
        data.write_text(data.read_text().replace("test_size=0.2", "test_size=0.25"))
        assert main(["run", "--name", "b"]) == 0
    return path


def on_terminal(*args: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    """Standard output of ``python -m rerun_git ARGS`` written to a pseudo-terminal."""
    base = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "rerun_git", *args], cwd=cwd, stdout=slave,
                            stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, env={**base, "TERM": "xterm", **(env or {})})
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the process closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert proc.wait(timeout=120) in (0, 1)
    return b"".join(chunks).decode().replace("\r\n", "\n")


def test_diff_is_coloured_on_a_terminal(two_runs: Path) -> None:
    out = on_terminal("diff", "a", "b", cwd=two_runs)
    assert f"{ESC}31m-    test_size=0.2,{ESC}m" in out
    assert f"{ESC}32m+    test_size=0.25,{ESC}m" in out
    assert f"{ESC}36m@@ " in out and f"{ESC}1mdiff --git a/data.py b/data.py{ESC}m" in out
    assert f"{ESC}1mmetrics: " in out


def test_log_patch_is_coloured_on_a_terminal(two_runs: Path) -> None:
    out = on_terminal("log", "-p", cwd=two_runs)
    assert out.startswith(f"{ESC}33m")  # the commit id, yellow like git log's
    assert f"{ESC}32m+    test_size=0.25,{ESC}m" in out


def test_compare_is_coloured_on_a_terminal(two_runs: Path) -> None:
    out = on_terminal("compare", cwd=two_runs, env={"COLUMNS": "200"})
    assert out.startswith(f"{ESC}1mRUN ") and f"{ESC}33mrun/a" in out
    assert ESC not in on_terminal("compare", "--no-color", cwd=two_runs, env={"COLUMNS": "200"})


@pytest.mark.parametrize("args, env", [
    (("diff", "a", "b"), {"NO_COLOR": "1"}),
    (("diff", "a", "b", "--no-color"), {}),
    (("--no-color", "diff", "a", "b"), {}),
    (("diff", "a", "b", "--color=never"), {}),
    (("log", "-p", "--no-color"), {}),
    (("diff", "a", "b"), {"TERM": "dumb"}),
])
def test_no_colour_when_asked_on_a_terminal(two_runs: Path, args: tuple[str, ...], env: dict[str, str]) -> None:
    out = on_terminal(*args, cwd=two_runs, env=env)
    assert "test_size=0.25" in out and ESC not in out


def test_no_colour_into_a_pipe_unless_always(two_runs: Path) -> None:
    piped = run_cli_subprocess("diff", "a", "b", cwd=two_runs)
    assert piped.returncode == 1 and "+    test_size=0.25," in piped.stdout and ESC not in piped.stdout
    forced = run_cli_subprocess("--color=always", "diff", "a", "b", cwd=two_runs, env={"NO_COLOR": "1"})
    assert f"{ESC}32m+    test_size=0.25,{ESC}m" in forced.stdout  # an explicit flag beats NO_COLOR
    json = run_cli_subprocess("diff", "a", "b", "--format", "json", "--color=always", cwd=two_runs)
    assert ESC not in json.stdout  # data formats are never coloured


def test_empty_no_color_does_not_disable_colour(two_runs: Path) -> None:
    assert f"{ESC}32m+" in on_terminal("diff", "a", "b", cwd=two_runs, env={"NO_COLOR": ""})
