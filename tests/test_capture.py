"""Capture: the snapshot holds what ran, and the user's repository is left alone."""
from __future__ import annotations

import tomllib
from pathlib import Path

from conftest import git, repo_state


def tree_files(repo: Path, rev: str) -> set[str]:
    return set(git(repo, "ls-tree", "-r", "--name-only", rev).split())


def show(repo: Path, spec: str) -> str:
    return git(repo, "show", spec)


def test_run_captures_a_commit_and_an_annotated_tag(project: Path, cli) -> None:
    result = cli("run", "--name", "first", cwd=project)
    assert result.code == 0, result.err
    assert "captured run/first" in result.out
    assert git(project, "cat-file", "-t", "refs/tags/run/first").strip() == "tag"
    commit = git(project, "rev-parse", "run/first^{commit}").strip()
    assert git(project, "rev-parse", "refs/heads/rerun/runs").strip() == commit
    parents = git(project, "rev-list", "--parents", "-n1", commit).split()[1:]
    assert parents[1] == git(project, "rev-parse", "HEAD").strip()  # second parent: the user's HEAD
    assert git(project, "log", "-1", "--format=%s%n%T%n%P%n%an %at", parents[0]).split("\n")[:4] == [
        "rerun-git: start of the runs branch", "4b825dc642cb6eb9a060e54bf8d69288fbee4904", "", "rerun-git 946684800"]
    message = git(project, "log", "-1", "--format=%B", commit)
    assert message.startswith("run first: baseline/diabetes/linear MAE=")  # names the algorithm it describes
    assert "Rerun-Source: " + parents[1] in message
    assert "Rerun-Dirty: no" in message
    assert "Rerun-Version: " in message
    assert git(project, "fsck", "--strict", "--no-dangling").strip() == ""


def test_second_run_has_previous_tip_as_first_parent(project: Path, cli) -> None:
    assert cli("run", "--name", "a", cwd=project).code == 0
    assert cli("run", "--name", "b", cwd=project).code == 0
    a = git(project, "rev-parse", "run/a^{commit}").strip()
    b_parents = git(project, "rev-list", "--parents", "-n1", "run/b^{commit}").split()[1:]
    assert b_parents[0] == a
    assert git(project, "log", "--first-parent", "--format=%s", "rerun/runs").splitlines()[0].startswith("run b:")


def test_record_is_readable_by_tomllib_and_complete(project: Path, cli) -> None:
    assert cli("run", "--name", "first", cwd=project).code == 0
    main = tomllib.loads(show(project, "run/first:.rerun/run.toml"))
    assert main["schema"] == 2 and "env" not in main and "files" not in main  # their own blobs (schema 2)
    record = {**main, "env": tomllib.loads(show(project, "run/first:.rerun/env.toml")),
              "files": tomllib.loads(show(project, "run/first:.rerun/files.toml"))}
    assert record["name"] == "first"
    assert record["base_data_manager"]["test_size"] == 0.2
    assert {a["name"] for a in record["algorithms"]} == {"linear", "ridge"}
    assert record["workflows"]["regression"] == {"file": "workflows/regression.py", "class": "Regression"}
    assert record["datasets"]["diabetes.csv"]["embedded"] is True
    assert record["datasets"]["diabetes.csv"]["num_samples"] == 442
    assert "settings.py" in record["files"]
    assert len(record["results"]) == 6  # 3 splits x 2 algorithms
    assert "python" in record["env"] and "scikit-learn" in record["env"]["packages"]
    assert (project / "results" / "first" / "run_config.json").is_file()


def test_capture_leaves_user_repo_untouched(project: Path, cli) -> None:
    (project / "README.md").write_text("staged change\n")
    git(project, "add", "README.md")
    (project / "README.md").write_text("unstaged change on top\n")
    (project / "notes.txt").write_text("untracked\n")
    (project / "stashed.txt").write_text("x")
    git(project, "add", "stashed.txt")
    git(project, "stash", "push", "-q", "-m", "keep me", "--", "stashed.txt")
    before = repo_state(project)
    assert cli("run", "--name", "first", cwd=project).code == 0
    assert repo_state(project) == before


def test_snapshot_holds_uncommitted_edit_and_imported_helper(project: Path, cli) -> None:
    (project / "helper.txt").write_text("not python, not included\n")
    (project / "lib").mkdir()
    (project / "lib" / "__init__.py").write_text("")
    (project / "lib" / "features.py").write_text("SCALE = 1.0\n")
    workflow = project / "workflows" / "regression.py"
    workflow.write_text(workflow.read_text().replace(
        "from rerun_git import Workflow", "from rerun_git import Workflow\nfrom lib.features import SCALE  # uncommitted edit"))
    assert cli("run", "--name", "edited", cwd=project).code == 0
    files = tree_files(project, "run/edited")
    assert {"lib/features.py", "lib/__init__.py", "workflows/regression.py", ".rerun/run.toml"} <= files
    assert "helper.txt" not in files
    assert "uncommitted edit" in show(project, "run/edited:workflows/regression.py")
    assert "Rerun-Dirty: yes" in git(project, "log", "-1", "--format=%B", "run/edited^{commit}")


def test_file_edited_during_the_run_is_captured_as_it_ran(project: Path, cli) -> None:
    (project / "mid.py").write_text("VALUE = 'as it ran'\n")
    workflow = project / "workflows" / "regression.py"
    workflow.write_text(workflow.read_text().replace(
        "        model = self.model.fit(X_train, y_train)",
        "        import mid, pathlib\n"
        "        pathlib.Path(mid.__file__).write_text(\"VALUE = 'edited mid-run'\\n\")\n"
        "        model = self.model.fit(X_train, y_train)"))
    assert cli("run", "--name", "mid", cwd=project).code == 0
    assert (project / "mid.py").read_text() == "VALUE = 'edited mid-run'\n"
    assert show(project, "run/mid:mid.py") == "VALUE = 'as it ran'\n"


def test_secrets_and_results_are_not_captured(project: Path, cli) -> None:
    (project / ".env").write_text("TOKEN=secret\n")
    (project / "server.pem").write_text("key")
    assert cli("run", "--name", "first", cwd=project).code == 0
    files = tree_files(project, "run/first")
    assert ".env" not in files and "server.pem" not in files
    assert not any(f.startswith("results/") for f in files)
    assert any(f.startswith(".rerun/results/") and f.endswith("test_metrics.json") for f in files)


def test_run_in_repo_without_commits(tmp_path: Path, cli) -> None:
    from rerun_git.scaffold import write_template

    git(tmp_path, "init", "-q")
    write_template(tmp_path)
    assert cli("run", "--name", "first", cwd=tmp_path).code == 0
    parents = git(tmp_path, "rev-list", "--parents", "-n1", "run/first^{commit}").split()[1:]
    assert len(parents) == 1  # only the runs branch's root: no HEAD to record
    assert "Rerun-Source: none" in git(tmp_path, "log", "-1", "--format=%B", "run/first^{commit}")
    assert git(tmp_path, "rev-parse", "-q", "--verify", "HEAD", check=False) == ""


def test_run_on_detached_head(project: Path, cli) -> None:
    git(project, "checkout", "-q", "--detach", "HEAD")
    before = repo_state(project)
    assert cli("run", "--name", "detached", cwd=project).code == 0
    assert repo_state(project) == before


def test_project_in_a_subfolder(repo: Path, cli) -> None:
    from rerun_git.scaffold import write_template

    sub = repo / "experiments" / "proj"
    sub.mkdir(parents=True)
    write_template(sub)
    assert cli("run", "--name", "sub", cwd=sub / "workflows").code == 0
    files = tree_files(repo, "run/sub")
    assert "settings.py" in files and "workflows/regression.py" in files  # project-relative
    record = tomllib.loads(show(repo, "run/sub:.rerun/run.toml"))
    assert record["project_path"] == "experiments/proj"


def test_no_capture_writes_nothing_to_git(project: Path, cli) -> None:
    result = cli("run", "--name", "dry", "--no-capture", cwd=project)
    assert result.code == 0, result.err
    assert git(project, "tag", "-l") == ""
    assert (project / "results" / "dry").is_dir()


def test_unchanged_rerun_writes_few_objects(project: Path, cli) -> None:
    assert cli("run", "--name", "a", cwd=project).code == 0
    first = tree_files(project, "run/a")
    assert cli("run", "--name", "b", cwd=project).code == 0
    assert tree_files(project, "run/b") == first
    same = git(project, "rev-parse", "run/a^{tree}:datasets", "run/b^{tree}:datasets").split()
    assert same[0] == same[1]


def test_first_parent_history_holds_only_runs(project: Path, cli, tmp_path: Path) -> None:
    assert cli("run", "--name", "a", cwd=project).code == 0
    assert cli("run", "--name", "b", cwd=project).code == 0
    subjects = git(project, "log", "--first-parent", "--format=%s", "rerun/runs").splitlines()
    assert [s.split(":")[0] for s in subjects[:2]] == ["run b", "run a"]
    assert subjects[-1] == "rerun-git: start of the runs branch"
    assert len(subjects) == 3
    other = tmp_path / "other"
    other.mkdir()
    git(other, "init", "-q")
    from rerun_git.scaffold import write_template

    write_template(other)
    assert cli("run", "--name", "elsewhere", cwd=other).code == 0
    root = git(project, "rev-list", "--max-parents=0", "--first-parent", "rerun/runs").split()
    assert root == git(other, "rev-list", "--max-parents=0", "rerun/runs").split()  # same root in every repository
