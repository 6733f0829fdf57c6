"""Issue 11: results a user can compare (seeds, per-algorithm summaries, stable names, compare, dirty datasets,
reproducible external commands, failed runs free their name). Real git repositories, real runs."""
from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from browse_support import make_run, record_data
from conftest import git

FOREST = '''
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LinearRegression

from rerun_git import AlgorithmCollection, AlgorithmWrapper

ALGORITHM_CONFIG = AlgorithmCollection(
    AlgorithmWrapper(name="linear", display_name="Linear Regression", algorithm_class=LinearRegression),
    AlgorithmWrapper(name="ridge", display_name="Random Forest (named ridge: the template groups use that name)",
                     algorithm_class=RandomForestRegressor,
                     default_params={"n_estimators": 5, "max_depth": 3}),
)
'''


def record_of(repo: Path, name: str) -> dict:
    from reliability_support import full_record

    return full_record(repo, f"run/{name}")


def commit_all(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


@pytest.fixture
def forest_project(project: Path) -> Path:
    """The regression template with a random forest (an estimator taking random_state), committed."""
    (project / "algorithms.py").write_text(FOREST)
    commit_all(project, "a forest")
    return project


# ---------------------------------------------------------------- 1. deterministic by default
def test_two_runs_of_an_unchanged_project_give_identical_metric_tables_without_seed(forest_project: Path, cli) -> None:
    for name in ("one", "two"):
        result = cli("run", "--name", name, cwd=forest_project)
        assert result.code == 0, result.err
    one, two = record_of(forest_project, "one"), record_of(forest_project, "two")
    assert one["seed"] == two["seed"] == 42  # the DataManager's random_state
    assert one["algorithms"][1]["algorithm_class"].endswith("RandomForestRegressor")
    assert one["results"] == two["results"]


def test_seed_comes_from_the_flag_then_settings_then_default(project: Path, cli) -> None:
    assert cli("run", "--name", "flag", "--seed", "7", cwd=project).code == 0
    assert record_of(project, "flag")["seed"] == 7
    (project / "rerun.toml").write_text("[run]\nseed = 11\n")
    assert cli("run", "--name", "settings", cwd=project).code == 0
    assert record_of(project, "settings")["seed"] == 11
    drawn = cli("run", "--name", "drawn", "--seed", "random", cwd=project)
    assert drawn.code == 0, drawn.err
    seed = record_of(project, "drawn")["seed"]
    assert f"seed {seed}" in drawn.out  # the record holds the seed actually used
    data = (project / "data.py").read_text()
    (project / "rerun.toml").write_text("")
    (project / "data.py").write_text(data.replace("random_state=42", "random_state=None"))
    assert cli("run", "--name", "default", cwd=project).code == 0
    assert record_of(project, "default")["seed"] == 0


@pytest.mark.parametrize("value, message", [("-5", "out of range"), ("4294967296", "out of range"), ("x", "not a seed")])
def test_a_bad_seed_is_one_clean_error_before_anything_runs(project: Path, cli, value: str, message: str) -> None:
    result = cli("run", "--name", "bad", "--seed", value, cwd=project)
    assert result.code == 1
    assert message in result.err and "Traceback" not in result.err
    assert git(project, "tag", "-l", "run/*") == ""
    assert not (project / "results" / "bad").exists()


def test_choose_seed_and_fallback_seed() -> None:
    from rerun_git.capture.recorder import choose_seed
    from rerun_git.experiment.seeds import DEFAULT_SEED, fallback_seed

    assert choose_seed(None, None) is None
    assert choose_seed("12", 5) == 12
    assert choose_seed(None, 5) == 5
    assert 0 <= choose_seed(None, "random") < 2**31
    assert choose_seed(2**32 - 1) == 2**32 - 1

    class Manager:
        random_state = 3

    assert fallback_seed(Manager()) == 3
    assert fallback_seed(object()) == DEFAULT_SEED


# ---------------------------------------------------------------- 2. per-algorithm summaries
def test_run_prints_a_line_per_algorithm_and_the_tag_names_the_best(project: Path, cli) -> None:
    result = cli("run", "--name", "algos", cwd=project)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].split() == ["ALGORITHM", "MAE", "R2"]
    linear = next(line for line in lines if line.startswith("baseline/diabetes/linear "))
    ridge = next(line for line in lines if line.startswith("baseline/diabetes/ridge "))
    assert "±" in linear and "±" in ridge  # mean ± std over the splits
    message = git(project, "for-each-ref", "--format=%(contents)", "refs/tags/run/algos")
    subject = message.splitlines()[0]
    assert subject.startswith("run algos: baseline/diabetes/") and " MAE=" in subject
    assert "Rerun-Primary: MAE min" in message
    record = record_of(project, "algos")
    assert record["greater_is_better"] == {"MAE": False, "R2": True}


def test_list_sorts_by_best_and_by_a_dash_metric_as_written(tmp_path: Path, repo: Path, cli) -> None:
    for name, mae, r2 in (("low", 1.0, 0.2), ("high", 9.0, 0.9), ("mid", 5.0, 0.5)):
        rows = {f"baseline/d/split_{i}/ridge/test_metrics": {"MAE": mae, "R2": r2} for i in range(2)}
        make_run(repo, name, record_data(results=rows, metrics=[
            {"name": "mean_absolute_error", "abbr": "MAE", "greater_is_better": False},
            {"name": "r2", "abbr": "R2", "greater_is_better": True}]))
    best = cli("list", "--sort", "best", cwd=repo)
    assert best.code == 0, best.err
    assert [line.split()[0] for line in best.out.splitlines()[1:]] == ["run/low", "run/mid", "run/high"]
    by_r2 = cli("list", "--sort", "-R2", cwd=repo)
    assert by_r2.code == 0, by_r2.err
    assert [line.split()[0] for line in by_r2.out.splitlines()[1:]] == ["run/high", "run/mid", "run/low"]


# ---------------------------------------------------------------- 3. stable metric names
def test_a_metric_keeps_its_name_whatever_files_a_workflow_writes() -> None:
    from rerun_git.record.run_record import RunRecord
    from rerun_git.record.summary import summarize

    one_file = {"g/d/split_0/ridge/test_metrics": {"accuracy": 0.9}}
    two_files = {**one_file, "g/d/split_0/ridge/train_metrics": {"accuracy": 1.0}}
    for table in (one_file, two_files):
        record = RunRecord.from_dict(record_data(results=table))
        assert list(record.metric_summary()) == ["accuracy"]
        assert record.metric_summary()["accuracy"] == 0.9  # the held-out file is the headline
    assert {(line.file, line.metric) for line in summarize(two_files)} == {
        ("test_metrics", "accuracy"), ("train_metrics", "accuracy")}


def test_a_schema_1_record_without_the_new_keys_loads() -> None:
    from rerun_git.record.run_record import RunRecord

    data = record_data(schema=1)
    assert "greater_is_better" not in data and "command" not in data and data["schema"] == 1
    record = RunRecord.from_dict(data)
    assert record.command == {} and record.greater_is_better == {}
    assert record.headline() == "baseline/d/ridge MAE=2 R2=0.6"


def test_record_types_come_from_the_dataclass_fields() -> None:
    from rerun_git.errors import RerunError
    from rerun_git.record.run_record import RunRecord

    with pytest.raises(RerunError, match="'command' should be dict"):
        RunRecord.from_dict(record_data(command=["python"]))
    with pytest.raises(RerunError, match="command.argv"):
        RunRecord.from_dict(record_data(command={"argv": []}))
    with pytest.raises(RerunError, match="greater_is_better"):
        RunRecord.from_dict(record_data(greater_is_better={"MAE": "no"}))
    with pytest.raises(RerunError, match="missing key 'seed'"):
        RunRecord.from_dict({k: v for k, v in record_data().items() if k != "seed"})


# ---------------------------------------------------------------- 4. compare
def _three_runs(repo: Path) -> None:
    for name, alpha, mae in (("a", 1.0, 2.0), ("b", 1.0, 3.0), ("c", 10.0, 1.0)):
        algorithms = [{"name": "ridge", "algorithm_class": "sklearn.linear_model.Ridge", "default_params": {"alpha": alpha}}]
        rows = {f"baseline/d/split_{i}/ridge/test_metrics": {"MAE": mae + i} for i in range(2)}
        make_run(repo, name, record_data(algorithms=algorithms, results=rows, message=f"note {name}"))


def test_compare_over_three_runs_shows_a_changed_hyperparameter_as_a_column(repo: Path, cli) -> None:
    _three_runs(repo)
    table = cli("compare", "a", "b", "c", cwd=repo)
    assert table.code == 0, table.err
    header, *rows = table.out.splitlines()
    assert header.split()[:3] == ["RUN", "RIDGE.MAE", "RIDGE.ALPHA"]
    assert [row.split()[:3] for row in rows] == [["run/a", "2.5", "1"], ["run/b", "3.5", "1"], ["run/c", "1.5", "10"]]

    as_json = cli("compare", "a", "b", "c", "--format", "json", cwd=repo)
    data = json.loads(as_json.out)
    assert data["param_columns"] == ["algorithms[ridge].default_params.alpha"]  # only what differs
    assert [run["params"]["algorithms[ridge].default_params.alpha"] for run in data["runs"]] == [1.0, 1.0, 10.0]
    assert [run["metrics"]["ridge.MAE"] for run in data["runs"]] == [2.5, 3.5, 1.5]
    assert data["runs"][0]["std"]["ridge.MAE"] == pytest.approx(0.7071067811865476)
    assert data["runs"][0]["author"] == "Test User" and data["runs"][2]["message"] == "note c"


def test_compare_sorts_filters_and_writes_csv(repo: Path, cli) -> None:
    _three_runs(repo)
    best = cli("compare", "run/*", "--sort", "best", "--format", "csv", cwd=repo)
    assert best.code == 0, best.err
    rows = list(csv.DictReader(io.StringIO(best.out)))
    assert [row["run"] for row in rows] == ["run/c", "run/a", "run/b"]  # MAE: lower is better
    assert rows[0]["ridge.MAE"] == "1.5" and rows[0]["algorithms[ridge].default_params.alpha"] == "10.0"
    worst_first = cli("compare", "--sort", "-ridge.MAE", "--format", "json", cwd=repo)
    assert [run["name"] for run in json.loads(worst_first.out)["runs"]] == ["b", "a", "c"]
    every = json.loads(cli("compare", "a", "c", "--all-params", "--format", "json", cwd=repo).out)
    assert "seed" in every["param_columns"] and "base_data_manager.test_size" in every["param_columns"]
    unknown = cli("compare", "--metric", "accuracy", cwd=repo)
    assert unknown.code == 1 and "no run shown has a metric named 'accuracy'" in unknown.err


def test_compare_fits_the_terminal_and_names_hidden_columns(repo: Path) -> None:
    _three_runs(repo)
    env = {**os.environ, "COLUMNS": "40"}
    proc = subprocess.run([sys.executable, "-m", "rerun_git", "compare"], cwd=repo, capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    assert max(len(line) for line in proc.stdout.splitlines()) <= 40
    assert "do not fit the terminal" in proc.stderr


def test_compare_never_imports_scikit_learn(repo: Path) -> None:
    _three_runs(repo)
    code = ("import sys\nfrom rerun_git.cli import main\nmain(['compare', '--format', 'json'])\n"
            "assert 'sklearn' not in sys.modules and 'pandas' not in sys.modules, 'imported'\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=repo, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["runs"]


def test_diff_of_three_runs_sends_you_to_compare(repo: Path, cli) -> None:
    _three_runs(repo)
    result = cli("diff", "a", "b", "c", cwd=repo)
    assert result.code == 1
    assert "rerun-git compare a b c" in result.err
    two = cli("diff", "a", "c", cwd=repo)
    assert "per algorithm (mean over splits)" in two.out and "baseline/d/ridge" in two.out


def test_compare_escapes_control_characters_from_records(repo: Path, cli) -> None:
    make_run(repo, "evil", record_data(message="\x1b[31mred\x1b[0m"))
    make_run(repo, "fine", record_data())
    out = cli("compare", cwd=repo).out
    assert "\x1b" not in out


# ---------------------------------------------------------------- 5. dirty means anything that ran
def test_an_edited_dataset_makes_a_run_dirty_and_log_p_shows_it(project: Path, cli) -> None:
    assert cli("run", "--name", "clean", cwd=project).code == 0
    assert record_of(project, "clean")["dirty"] is False
    data = project / "datasets" / "diabetes.csv"
    lines = data.read_text().splitlines(keepends=True)
    data.write_text("".join(lines[:-5]))  # five rows fewer; no code changed
    assert cli("run", "--name", "edited", cwd=project).code == 0
    assert record_of(project, "edited")["dirty"] is True
    assert "Rerun-Dirty: yes" in git(project, "for-each-ref", "--format=%(contents)", "refs/tags/run/edited")
    log = cli("log", "-p", cwd=project)
    assert "dataset diabetes.csv: sha256" in log.out and "size" in log.out and "num_samples" in log.out
    diff = cli("diff", "clean", "edited", cwd=project)
    assert "datasets: 1 change" in diff.out


# ---------------------------------------------------------------- 6. external commands
TRAIN = '''
import json, os, pathlib, sys
rows = pathlib.Path(sys.argv[1]).read_text().splitlines()
seed = int(os.environ["RERUN_GIT_SEED"])
out = pathlib.Path(os.environ["RERUN_GIT_RESULTS_DIR"])
out.mkdir(parents=True, exist_ok=True)
(out / "scores.json").write_text("{}")
json.dump({"rows": len(rows), "score": (len(rows) * 7 + seed) % 13 / 13}, open("metrics.json", "w"))
'''


def test_capture_of_a_command_reproduces(project: Path, cli) -> None:
    (project / "train.py").write_text(TRAIN)
    commit_all(project, "a script")
    result = cli("capture", "--name", "ext", "--metrics", "metrics.json", "--", "python", "train.py",
                 "datasets/diabetes.csv", cwd=project)
    assert result.code == 0, result.err
    record = record_of(project, "ext")
    assert record["command"] == {"argv": ["python", "train.py", "datasets/diabetes.csv"], "cwd": "",
                                 "metrics": "metrics.json"}
    assert "train.py" in record["files"] and "diabetes.csv" in record["datasets"]
    assert record["results"]["metrics"]["rows"] == 443.0
    assert record["dirty"] is False
    reproduced = cli("reproduce", "ext", cwd=project)
    assert reproduced.code == 0, reproduced.err
    assert "all 2 metrics match run ext" in reproduced.err

    (project / "train.py").write_text(TRAIN.replace("* 7", "* 5"))  # the working tree changes, the snapshot does not
    assert cli("reproduce", "ext", cwd=project).code == 0


def test_a_failing_command_captures_nothing_and_leaves_the_name_free(project: Path, cli) -> None:
    failing = ("import os, pathlib; p = pathlib.Path(os.environ['RERUN_GIT_RESULTS_DIR']); p.mkdir(parents=True); "
               "(p / 'half.json').write_text('{}'); raise SystemExit(3)")
    result = cli("capture", "--name", "again", "--", "python", "-c", failing, cwd=project)
    assert result.code == 1 and "exited with status 3" in result.err
    assert git(project, "tag", "-l", "run/*") == ""
    assert not (project / "results" / "again").exists()
    ok = cli("capture", "--name", "again", "--", "python", "-c", "print('fine')", cwd=project)
    assert ok.code == 0, ok.err


def test_capture_without_a_command_says_it_cannot_be_reproduced(project: Path, cli, tmp_path: Path) -> None:
    metrics = tmp_path / "m.json"
    metrics.write_text('{"MAE": 1.5}')
    result = cli("capture", "--name", "plain", "--metrics", str(metrics), cwd=project)
    assert result.code == 0, result.err
    assert "can be shown and compared but not reproduced" in result.err
    reproduced = cli("reproduce", "plain", cwd=project)
    assert reproduced.code == 1 and "captured without a command" in reproduced.err


def test_recording_records_the_script_command_and_reproduces(project: Path, cli) -> None:
    (project / "script.py").write_text(
        "import sys\nimport rerun_git\n"
        "with rerun_git.recording(name='rec', datasets=['datasets/diabetes.csv']) as run:\n"
        "    run.log_metric('n', float(len(sys.argv)))\n")
    commit_all(project, "a recording script")
    proc = subprocess.run([sys.executable, "script.py", "x", "y"], cwd=project, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    record = record_of(project, "rec")
    assert record["command"] == {"argv": ["python", "script.py", "x", "y"], "cwd": "", "recording": True}
    assert "diabetes.csv" in record["datasets"] and record["results"] == {"metrics": {"n": 3.0}}
    reproduced = cli("reproduce", "rec", cwd=project)
    assert reproduced.code == 0, reproduced.err
    assert "all 1 metrics match run rec" in reproduced.err
    assert git(project, "tag", "-l", "run/*").split() == ["run/rec"]  # reproducing captured nothing new


# ---------------------------------------------------------------- 7. failed runs free their name
def test_a_failed_run_s_name_can_be_reused(project: Path, cli) -> None:
    workflow = project / "workflows" / "regression.py"
    original = workflow.read_text()
    signature = "def workflow(self, X_train, X_test, y_train, y_test, output_dir, feature_names):"
    assert signature in original
    workflow.write_text(original.replace(signature, signature + "\n        raise ValueError('boom')", 1))
    failed = cli("run", "--name", "retry", cwd=project)
    assert failed.code == 1 and "boom" in failed.err
    assert not (project / "results" / "retry").exists()
    workflow.write_text(original)
    again = cli("run", "--name", "retry", cwd=project)
    assert again.code == 0, again.err


def test_a_name_left_locked_by_a_killed_run_is_taken_over(project: Path, cli) -> None:
    results = project / "results"
    (results / "killed").mkdir(parents=True)
    (results / "killed" / "partial.json").write_text("{}")
    (results / ".killed.lock").write_text("999999999\n")  # no such process
    result = cli("run", "--name", "killed", cwd=project)
    assert result.code == 0, result.err
    assert not (results / "killed" / "partial.json").exists()


# ---------------------------------------------------------------- 7. team sharing without surprises
@pytest.fixture
def shared(project: Path, tmp_path: Path, cli) -> tuple[Path, Path]:
    """A bare remote with two runs pushed from the project, and a fresh clone of it (before any fetch)."""
    remote = tmp_path / "remote.git"
    git(tmp_path, "clone", "-q", "--bare", str(project), str(remote))
    git(project, "remote", "add", "origin", str(remote))
    for name in ("first", "second"):
        assert cli("run", "--name", name, cwd=project).code == 0
    assert cli("push", cwd=project).code == 0
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(remote), str(clone))
    return remote, clone


def test_log_and_list_work_in_a_fresh_clone_before_any_fetch(shared, cli) -> None:
    _remote, clone = shared
    listed = cli("list", cwd=clone)
    assert [line.split()[0] for line in listed.out.splitlines()[1:]] == ["run/first", "run/second"]
    log = cli("log", cwd=clone)
    assert log.code == 0, log.err
    assert [line.split()[3] for line in log.out.splitlines()] == ["run/second", "run/first"]


def test_the_first_push_from_a_second_clone_is_not_rejected(shared, cli) -> None:
    remote, clone = shared
    assert cli("run", "--name", "third", cwd=clone).code == 0
    pushed = cli("push", cwd=clone)
    assert pushed.code == 0, pushed.err
    assert "rejected" not in pushed.out
    assert [line.strip() for line in pushed.out.splitlines()[:2]] == ["updated   rerun/runs", "new       run/third"]
    names = git(remote, "log", "--first-parent", "--format=%s", "rerun/runs").splitlines()
    assert [n.split(":")[0] for n in names[:3]] == ["run third", "run second", "run first"]


def test_push_delete_removes_runs_on_the_remote_only(shared, cli) -> None:
    remote, clone = shared
    deleted = cli("push", "--delete", "first", cwd=clone)
    assert deleted.code == 0, deleted.err
    assert "deleted   run/first" in deleted.out
    assert git(remote, "tag", "-l").split() == ["run/second"]
    assert git(clone, "tag", "-l").split() == ["run/first", "run/second"]


def test_push_after_prune_history_explains_how_to_make_the_remote_agree(shared, cli, project: Path) -> None:
    assert cli("rm", "first", cwd=project).code == 0
    pruned = cli("rm", "--prune-history", "first", cwd=project)  # already untagged: found on the branch
    assert pruned.code == 0, pruned.err
    assert "first" not in git(project, "log", "--format=%s", "rerun/runs")
    pushed = cli("push", cwd=project)
    assert pushed.code == 1
    assert "`rm --prune-history` rewrote the runs branch here: it dropped first" in pushed.err
    assert "git push --force-with-lease origin refs/heads/rerun/runs:refs/heads/rerun/runs" in pushed.err
    assert "git push --force origin refs/tags/run/second" in pushed.err
    assert "rerun-git push --delete origin first" in pushed.err
