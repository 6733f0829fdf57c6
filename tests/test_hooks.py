"""Hooks: install-hooks (core.hooksPath, an existing hook, idempotence, uninstall), the
pre-commit hook in real commits, the post-run hook after captures, and the hook
environment (GIT_DIR / GIT_INDEX_FILE set, also in a linked worktree)."""
from __future__ import annotations

import json
import os
import shlex
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, git, repo_state

LEGACY = "#!/bin/sh\necho legacy-ran >> \"$(git rev-parse --git-common-dir)/legacy.log\"\n"


def commit(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A real ``git commit`` (hooks enabled), as the user would run it."""
    return subprocess.run(["git", "commit", "-q", *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def executable(path: Path) -> bool:
    return bool(path.stat().st_mode & stat.S_IXUSR)


def write_hook(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)


def set_post_run(project: Path, command: str) -> None:
    path = project / "rerun.toml"
    base = path.read_text().split("\n[hooks]\n")[0]
    path.write_text(f"{base}\n[hooks]\npost_run = {json.dumps(command)}\n")


# -- the scripts --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["pre-commit", "post-run"])
def test_repository_hook_scripts_are_the_rendered_templates(name: str) -> None:
    from rerun_git.check.hooks import hook_script

    path = ROOT / "hooks" / name
    assert path.read_text() == hook_script(name)
    assert executable(path)
    proc = subprocess.run(["sh", "-n", str(path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_post_run_script_prints_one_summary_line(tmp_path: Path) -> None:
    env = {**os.environ, "RERUN_TAG": "run/x", "RERUN_COMMIT": "0123456789abcdef" * 2, "RERUN_SUMMARY": "MAE=1.5",
           "RERUN_RESULTS": str(tmp_path)}
    proc = subprocess.run([str(ROOT / "hooks" / "post-run")], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert proc.returncode == 0
    assert proc.stdout == f"post-run: run/x 0123456789ab MAE=1.5 (results: {tmp_path})\n"


# -- install-hooks ----------------------------------------------------------------------------------


def test_install_hooks_records_sys_executable(repo: Path, cli) -> None:
    result = cli("install-hooks", cwd=repo)
    assert result.code == 0, result.err
    hooks = repo / ".git" / "hooks"
    for name in ("pre-commit", "post-run"):
        assert executable(hooks / name)
        assert "# rerun-git-hook" in (hooks / name).read_text()
        assert f"installed: {hooks / name}" in result.out
    assert f"RERUN_GIT_PYTHON=${{RERUN_GIT_PYTHON:-{shlex.quote(sys.executable)}}}" in (hooks / "pre-commit").read_text()
    assert not list(hooks.glob("*.legacy"))


def test_existing_hook_is_kept_as_legacy_idempotently_and_restored(repo: Path, cli) -> None:
    hooks = repo / ".git" / "hooks"
    write_hook(hooks / "pre-commit", LEGACY)
    first = cli("install-hooks", "--hook", "pre-commit", cwd=repo)
    assert first.code == 0 and "pre-commit.legacy" in first.out
    assert (hooks / "pre-commit.legacy").read_text() == LEGACY and executable(hooks / "pre-commit.legacy")
    ours = (hooks / "pre-commit").read_text()

    again = cli("install-hooks", "--hook", "pre-commit", cwd=repo)
    assert again.code == 0 and "up to date" in again.out
    assert (hooks / "pre-commit").read_text() == ours
    assert (hooks / "pre-commit.legacy").read_text() == LEGACY
    assert sorted(p.name for p in hooks.iterdir() if not p.name.endswith(".sample")) == ["pre-commit", "pre-commit.legacy"]

    removed = cli("install-hooks", "--uninstall", cwd=repo)
    assert removed.code == 0 and "restored the previous pre-commit hook" in removed.out
    assert (hooks / "pre-commit").read_text() == LEGACY and executable(hooks / "pre-commit")
    assert not (hooks / "pre-commit.legacy").exists() and not (hooks / "post-run").exists()
    assert "not installed" in cli("install-hooks", "--uninstall", cwd=repo).out
    assert (hooks / "pre-commit").read_text() == LEGACY


def test_install_updates_an_outdated_hook_of_ours(repo: Path) -> None:
    from rerun_git.check.hooks import install_hooks

    install_hooks(repo, ["pre-commit"], python="/old/venv/bin/python")
    change, = install_hooks(repo, ["pre-commit"], python="/new/venv/bin/python")
    assert change.action == "updated"
    text = (repo / ".git" / "hooks" / "pre-commit").read_text()
    assert "/new/venv/bin/python" in text and "/old/" not in text
    assert not (repo / ".git" / "hooks" / "pre-commit.legacy").exists()


@pytest.mark.parametrize("relative", [True, False])
def test_core_hooks_path_is_honoured(repo: Path, tmp_path: Path, cli, relative: bool) -> None:
    folder = repo / ".githooks" if relative else tmp_path / "shared-hooks"
    git(repo, "config", "core.hooksPath", ".githooks" if relative else str(folder))
    (repo / "sub").mkdir()
    assert cli("install-hooks", cwd=repo / "sub").code == 0
    assert executable(folder / "pre-commit") and executable(folder / "post-run")
    assert not (repo / ".git" / "hooks" / "pre-commit").exists()
    assert cli("install-hooks", "--uninstall", cwd=repo).code == 0
    assert not (folder / "pre-commit").exists()


def test_uninstall_leaves_a_foreign_hook_alone(repo: Path, cli) -> None:
    hook = repo / ".git" / "hooks" / "pre-commit"
    write_hook(hook, LEGACY)
    result = cli("install-hooks", "--uninstall", "--hook", "pre-commit", cwd=repo)
    assert result.code == 0 and "left alone" in result.out
    assert hook.read_text() == LEGACY


@pytest.mark.parametrize("case", ["legacy-exists", "pre-commit-framework"])
def test_install_refuses_what_it_cannot_chain(repo: Path, cli, case: str) -> None:
    hooks = repo / ".git" / "hooks"
    if case == "legacy-exists":
        write_hook(hooks / "pre-commit", LEGACY)
        write_hook(hooks / "pre-commit.legacy", LEGACY + "# older\n")
    else:
        write_hook(hooks / "pre-commit", "#!/usr/bin/env bash\n# File generated by pre-commit: https://pre-commit.com\n")
    before = {p.name: p.read_text() for p in hooks.iterdir()}
    result = cli("install-hooks", "--hook", "pre-commit", cwd=repo)
    assert result.code == 1
    assert result.err.startswith("rerun-git: error: ") and "hint: " in result.err
    assert {p.name: p.read_text() for p in hooks.iterdir()} == before


# -- the pre-commit hook in real commits -----------------------------------------------------------------


def test_pre_commit_hook_blocks_a_broken_project_and_calls_the_legacy_hook(project: Path, cli) -> None:
    write_hook(project / ".git" / "hooks" / "pre-commit", LEGACY)
    assert cli("install-hooks", cwd=project).code == 0
    workflow = project / "workflows" / "regression.py"
    good = workflow.read_text()
    workflow.write_text(good.replace('["MAE", "R2"]', '["MAE", "R2X"]'))
    head = git(project, "rev-parse", "HEAD")

    blocked = commit(project, "-am", "use a metric that does not exist")
    assert blocked.returncode == 1
    line = next(i for i, text in enumerate(good.splitlines(), 1) if "evaluate_model" in text)
    assert f"workflows/regression.py:{line}: unknown metric 'R2X'" in blocked.stdout + blocked.stderr
    assert "rerun-git: error: check found 1 problem in 1 project" in blocked.stderr
    assert git(project, "rev-parse", "HEAD") == head
    assert (project / ".git" / "legacy.log").read_text() == "legacy-ran\n"

    workflow.write_text(good + "# a harmless edit\n")
    passed = commit(project, "-am", "a harmless edit")
    assert passed.returncode == 0, passed.stderr
    assert git(project, "rev-parse", "HEAD") != head
    assert (project / ".git" / "legacy.log").read_text() == "legacy-ran\n" * 2


def test_pre_commit_hook_only_checks_touched_projects(repo: Path, cli) -> None:
    from rerun_git.scaffold import write_template

    write_template(repo / "proj")
    (repo / "proj" / "settings.py").write_text("def create_configuration(:\n")  # broken, but not touched below
    git(repo, "add", ".")
    git(repo, "commit", "-q", "--no-verify", "-m", "a broken project")
    assert cli("install-hooks", "--hook", "pre-commit", cwd=repo).code == 0
    (repo / "README.md").write_text("outside the project\n")
    outside = commit(repo, "-am", "touch only the README")
    assert outside.returncode == 0, outside.stderr
    (repo / "proj" / "datasets" / "diabetes.csv").write_text("a,b\n1,2\n3,4\n")
    inside = commit(repo, "-am", "touch the project's data")
    assert inside.returncode == 1
    assert "settings.py:1: SyntaxError" in inside.stderr  # git shows hook output on stderr


def test_a_failing_legacy_hook_still_blocks_the_commit(repo: Path, cli) -> None:
    write_hook(repo / ".git" / "hooks" / "pre-commit", "#!/bin/sh\necho no >&2\nexit 7\n")
    assert cli("install-hooks", cwd=repo).code == 0
    (repo / "README.md").write_text("x\n")
    result = commit(repo, "-am", "x")
    assert result.returncode != 0 and "no" in result.stderr


# -- the post-run hook ----------------------------------------------------------------------------------

RECORDER = """import json, os, pathlib, sys
out = pathlib.Path(os.environ["RERUN_PROJECT"]) / "hook-calls.jsonl"
env = {k: v for k, v in os.environ.items() if k.startswith(("RERUN_", "GIT_DIR", "GIT_INDEX"))}
with out.open("a") as handle:
    handle.write(json.dumps({"argv": sys.argv[1:], "cwd": os.getcwd(), "env": env}) + "\\n")
print("hook says hello")
"""


def hook_calls(project: Path) -> list[dict]:
    path = project / "hook-calls.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_post_run_hook_gets_the_run_and_no_shell(project: Path, cli) -> None:
    (project / "hooks").mkdir()
    (project / "hooks" / "record.py").write_text(RECORDER)
    set_post_run(project, f"{shlex.quote(sys.executable)} hooks/record.py 'two words' $HOME; >out")
    result = cli("capture", "--name", "first", cwd=project)
    assert result.code == 0, result.err
    call, = hook_calls(project)
    assert call["argv"] == ["two words", "$HOME;", ">out"]  # split like a shell, never run by one
    assert Path(call["cwd"]) == project
    commit_id = git(project, "rev-parse", "run/first^{commit}").strip()
    assert call["env"]["RERUN_RUN"] == "first" and call["env"]["RERUN_TAG"] == "run/first"
    assert call["env"]["RERUN_COMMIT"] == commit_id
    assert call["env"]["RERUN_RESULTS"] == str(project / "results" / "first")
    assert call["env"]["RERUN_SUMMARY"] == "no metrics"
    assert "hook says hello" in result.err  # hook output goes to stderr, as git does
    assert not (project / "out").exists()


def test_failing_post_run_hook_is_reported_and_the_run_kept(project: Path, cli) -> None:
    set_post_run(project, f"{shlex.quote(sys.executable)} -c 'import sys; sys.exit(3)'")
    result = cli("capture", "--name", "kept", cwd=project)
    assert result.code == 0
    assert "post-run hook" in result.err and "exit code 3" in result.err and "run/kept is captured" in result.err
    assert git(project, "cat-file", "-t", "run/kept").strip() == "tag"

    set_post_run(project, "./no-such-hook")
    result = cli("capture", "--name", "kept2", cwd=project)
    assert result.code == 0 and "post-run hook ./no-such-hook failed" in result.err
    assert git(project, "cat-file", "-t", "run/kept2").strip() == "tag"


def test_installed_post_run_hook_fires_after_run_and_can_be_turned_off(project: Path, cli) -> None:
    assert cli("install-hooks", "--hook", "post-run", cwd=project).code == 0
    result = cli("run", "--name", "first", cwd=project)
    assert result.code == 0, result.err
    commit_id = git(project, "rev-parse", "run/first^{commit}").strip()
    assert f"post-run: run/first {commit_id[:12]} baseline/diabetes/linear MAE=" in result.err
    set_post_run(project, "")
    result = cli("capture", "--name", "quiet", cwd=project)
    assert result.code == 0 and "post-run:" not in result.err


def test_a_capture_started_by_the_post_run_hook_does_not_fire_it_again(project: Path, cli) -> None:
    (project / "hooks").mkdir()
    (project / "hooks" / "record.py").write_text(RECORDER + (
        "import subprocess\n"
        "subprocess.run([sys.executable, '-m', 'rerun_git', 'capture', '--name', 'inner-' + os.environ['RERUN_RUN']], check=True)\n"))
    set_post_run(project, f"{shlex.quote(sys.executable)} hooks/record.py")
    assert cli("capture", "--name", "outer", cwd=project).code == 0
    assert len(hook_calls(project)) == 1
    assert git(project, "tag", "-l", "run/*").split() == ["run/inner-outer", "run/outer"]


# -- the hook environment -------------------------------------------------------------------------------


def test_capture_and_check_ignore_a_hook_environment_pointing_elsewhere(project: Path, tmp_path: Path, cli,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    other = tmp_path / "other"
    git(tmp_path, "init", "-q", str(other))
    index = project / ".git" / "index"
    before = repo_state(project)
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    monkeypatch.setenv("GIT_INDEX_FILE", str(tmp_path / "hook-index"))
    assert cli("capture", "--name", "in-hook", cwd=project).code == 0
    assert cli("check", cwd=project).code == 0
    monkeypatch.delenv("GIT_DIR")
    monkeypatch.delenv("GIT_INDEX_FILE")
    assert git(project, "cat-file", "-t", "run/in-hook").strip() == "tag"
    assert git(other, "for-each-ref") == ""
    assert not (tmp_path / "hook-index").exists()
    assert index.read_bytes() == before.index
    assert repo_state(project) == before


def test_hooks_in_a_linked_worktree_leave_its_index_alone(project: Path, tmp_path: Path, cli) -> None:
    """git runs the hooks of a linked worktree with GIT_DIR=.git/worktrees/<wt> and, for
    ``git commit <paths>``, a temporary GIT_INDEX_FILE: check and a capture started from
    the hook must neither read the wrong index nor write any."""
    capture_hook = (f"#!/bin/sh\n{shlex.quote(sys.executable)} -m rerun_git capture --name \"hook-$(date +%s%N)\""
                    " -m from-a-hook || exit 1\n")
    write_hook(project / ".git" / "hooks" / "pre-commit", capture_hook)
    assert cli("install-hooks", "--hook", "pre-commit", cwd=project).code == 0
    worktree = tmp_path / "wt"
    git(project, "worktree", "add", "-q", "-b", "feature", str(worktree))
    main_before = repo_state(project)

    settings = worktree / "settings.py"
    settings.write_text(settings.read_text() + "# edited in the worktree\n")
    git(worktree, "add", "settings.py")
    (worktree / "README.md").write_text("unstaged edit\n")
    first = commit(worktree, "-m", "staged settings edit")
    assert first.returncode == 0, first.stderr
    assert "ok    .:" in first.stderr  # check --staged found and checked the project
    assert git(worktree, "status", "--porcelain") == " M README.md\n"

    (worktree / "data.py").write_text((worktree / "data.py").read_text() + "# partial\n")
    second = commit(worktree, "-m", "partial commit", "--", "data.py")  # a temporary index
    assert second.returncode == 0, second.stderr
    assert git(worktree, "status", "--porcelain") == " M README.md\n"
    assert git(worktree, "diff", "--cached", "--name-only") == ""
    assert git(worktree, "show", "--name-only", "--format=", "HEAD").split() == ["data.py"]

    runs = git(project, "for-each-ref", "--format=%(refname:short)", "refs/tags/run/").split()
    assert len(runs) == 2
    record = git(project, "show", f"{runs[0]}:settings.py")
    assert record.endswith("# edited in the worktree\n")
    assert git(project, "fsck", "--no-dangling").strip() == ""
    main_after = repo_state(project)
    assert (main_after.index, main_after.status, main_after.head) == (main_before.index, main_before.status, main_before.head)
