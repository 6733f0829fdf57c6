"""Capture for external scripts: ``rerun-git capture``, ``rerun_git.capture()`` and ``rerun_git.recording()``."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

import rerun_git
from conftest import git, repo_state


def record_of(repo: Path, run: str) -> dict:
    from reliability_support import full_record

    return full_record(repo, f"run/{run}")


def tree(repo: Path, run: str) -> set[str]:
    return set(git(repo, "ls-tree", "-r", "--name-only", f"run/{run}").split())


@pytest.fixture
def script_project(repo: Path) -> Path:
    """A project of plain scripts: only imported modules are captured (include = rerun.toml)."""
    root = repo / "scripts"
    root.mkdir()
    (root / "rerun.toml").write_text('[capture]\ninclude = ["rerun.toml"]\n')
    (root / "mylib.py").write_text("SCALE = 2\n")
    (root / "unused.py").write_text("NEVER = 'imported'\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "scripts")
    return root


@pytest.fixture
def importable(script_project: Path, monkeypatch: pytest.MonkeyPatch):
    """Put the script project on sys.path; forget its modules afterwards."""
    monkeypatch.syspath_prepend(str(script_project))
    yield script_project
    for name in ("mylib", "late"):
        sys.modules.pop(name, None)


def test_cli_capture_keeps_results_and_flat_json_metrics(project: Path, tmp_path: Path, cli) -> None:
    results = tmp_path / "out"
    (results / "sub").mkdir(parents=True)
    (results / "scores.json").write_text('{"MAE": 1.5}\n')
    (results / "sub" / "model.pkl").write_bytes(b"\x80model")
    metrics = tmp_path / "metrics.json"
    metrics.write_text('{"MAE": 1.5, "R2": 0.25, "n": 3}')
    before = repo_state(project)
    result = cli("capture", "--results", str(results), "--metrics", str(metrics), "--name", "ext", "-m", "from a script",
                 cwd=project)
    assert result.code == 0, result.err
    assert result.out.splitlines()[-1].startswith("captured run/ext (")
    record = record_of(project, "ext")
    assert record["results"] == {"metrics": {"MAE": 1.5, "R2": 0.25, "n": 3.0}}
    assert record["message"] == "from a script"
    files = tree(project, "ext")
    assert {".rerun/results/scores.json", "settings.py", "workflows/regression.py", "rerun.toml"} <= files
    assert ".rerun/results/sub/model.pkl" not in files  # keep_results = **/*.json
    assert (results / "run_config.json").is_file()
    assert "Rerun-Metric: MAE=1.5" in git(project, "cat-file", "-p", "run/ext")
    assert repo_state(project) == before


@pytest.mark.parametrize("text", [
    'MAE = 1.5\nR2 = 0.25\n',
    '[results."baseline/diabetes/split_0/linear/test"]\nMAE = 1.5\nR2 = 0.25\n',
])
def test_cli_capture_reads_toml_metrics_flat_or_as_a_table(project: Path, tmp_path: Path, cli, text: str) -> None:
    metrics = tmp_path / "metrics.toml"
    metrics.write_text(text)
    assert cli("capture", "--metrics", str(metrics), "--name", "t", cwd=project).code == 0
    rows = record_of(project, "t")["results"]
    assert list(rows.values()) == [{"MAE": 1.5, "R2": 0.25}]
    assert list(rows) == (["metrics"] if text.startswith("MAE") else ["baseline/diabetes/split_0/linear/test"])
    assert (project / "results" / "t" / "run_config.json").is_file()


@pytest.mark.parametrize("case, message", [
    ("missing-results", "results folder"),
    ("bad-metrics", "metric 'MAE' is not a number"),
    ("bad-json", "cannot parse metrics file"),
    ("bad-name", "invalid run name"),
    ("taken", "already exists"),
])
def test_cli_capture_refuses_bad_input_and_captures_nothing(project: Path, tmp_path: Path, cli, case: str,
                                                            message: str) -> None:
    assert cli("capture", "--name", "taken", cwd=project).code == 0
    tags = git(project, "tag", "-l")
    metrics = tmp_path / "m.json"
    metrics.write_text('{"MAE": "low"}' if case == "bad-metrics" else '{"MAE": ' if case == "bad-json" else '{"MAE": 1}')
    args = {
        "missing-results": ["--results", str(tmp_path / "nowhere")],
        "bad-metrics": ["--metrics", str(metrics)],
        "bad-json": ["--metrics", str(metrics)],
        "bad-name": ["--name", "bad..name"],
        "taken": ["--name", "taken"],
    }[case]
    result = cli("capture", *(["--name", "x"] if "--name" not in args else []), *args, cwd=project)
    assert result.code == 1
    assert result.err.startswith("rerun-git: error: ") and message in result.err and "Traceback" not in result.err
    assert git(project, "tag", "-l") == tags


def test_python_capture_with_a_metric_dict(importable: Path) -> None:
    import mylib  # noqa: F401  (imported by "the script": captured)

    run = rerun_git.capture(name="api", metrics={"test": {"MAE": 2.0}}, project=importable)
    repo = importable.parent
    assert run.tag == "run/api" and run.commit == git(repo, "rev-parse", "run/api^{commit}").strip()
    assert tree(repo, "api") == {".rerun/run.toml", ".rerun/env.toml", ".rerun/files.toml", "rerun.toml", "mylib.py"}
    assert record_of(repo, "api")["results"] == {"test": {"MAE": 2.0}}


def test_recording_captures_modules_as_they_were_imported(importable: Path) -> None:
    repo = importable.parent
    (importable / "late.py").write_text("VALUE = 'as imported'\n")
    with rerun_git.recording(name="rec", project=importable, message="log_metric") as run:
        assert run.results_dir == importable / "results" / "rec" and run.results_dir.is_dir()
        import late  # imported inside the block

        (importable / "late.py").write_text("VALUE = 'edited after the import'\n")
        run.log_metric("MAE", 3)
        run.log_metric("R2", 0.5, row="test")
        run.log_metrics({"MAE": 2.5})  # replaces the earlier MAE
        assert late.VALUE == "as imported"
    assert run.tag == "run/rec" and run.commit
    assert tree(repo, "rec") == {".rerun/run.toml", ".rerun/env.toml", ".rerun/files.toml", "rerun.toml", "late.py"}
    assert git(repo, "show", "run/rec:late.py") == "VALUE = 'as imported'\n"
    record = record_of(repo, "rec")
    assert record["results"] == {"metrics": {"MAE": 2.5}, "test": {"R2": 0.5}}
    assert record["message"] == "log_metric" and record["project_path"] == "scripts"
    assert (run.results_dir / "run_config.json").is_file()
    assert not (importable / "results" / ".rec.lock").exists()


def test_recording_captures_nothing_when_the_block_fails(importable: Path) -> None:
    repo = importable.parent
    with pytest.raises(ZeroDivisionError):
        with rerun_git.recording(name="failed", project=importable) as run:
            run.log_metric("MAE", 1.0)
            1 / 0
    assert git(repo, "tag", "-l") == ""
    assert not (importable / "results" / ".failed.lock").exists()
    assert sys.meta_path[0].__class__.__name__ != "_ImportRecorder"


def test_recording_checks_the_name_before_the_work(importable: Path) -> None:
    rerun_git.capture(name="taken", project=importable)
    entered = []
    with pytest.raises(rerun_git.RerunError, match="already exists"):
        with rerun_git.recording(name="taken", project=importable):
            entered.append(True)
    assert entered == []


def test_log_metric_rejects_what_is_not_a_number(tmp_path: Path) -> None:
    from rerun_git.capture.external import Recording

    run = Recording("x", tmp_path, tmp_path)
    for value in ("1.0", None, True):
        with pytest.raises(rerun_git.RerunError, match="not a number"):
            run.log_metric("MAE", value)
    run.log_metric("MAE", 1)
    assert run.metrics == {"metrics": {"MAE": 1.0}}
