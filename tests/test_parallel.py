"""Cells in parallel: loky processes (--jobs) and a real Dask cluster (--scheduler) give serial's numbers."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import git
from experiment.exp_project_helpers import run_captured, write_committed_project
from rerun_git.errors import RerunError

PYTHON_CLI = [sys.executable, "-m", "rerun_git"]

# Random forests (their own n_jobs=2, seeded per cell) next to linear models and trees.
ALGORITHMS = """
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.linear_model import LinearRegression, Ridge
    from sklearn.tree import DecisionTreeRegressor
    from rerun_git.experiment import AlgorithmCollection, AlgorithmWrapper

    ALGORITHM_CONFIG = AlgorithmCollection(
        AlgorithmWrapper("linear", "Linear", LinearRegression),
        AlgorithmWrapper("ridge", "Ridge", Ridge, {"alpha": 0.5}),
        AlgorithmWrapper("dtr", "Tree", DecisionTreeRegressor, {"max_depth": 3}),
        AlgorithmWrapper("rf", "Forest", RandomForestRegressor, {"n_estimators": 8, "n_jobs": 2}),
    )
"""
SETTINGS = """
    from rerun_git.experiment import Configuration

    def create_configuration():
        config = Configuration(default_workflow="basic", default_algorithms=["linear", "dtr", "rf"])
        config.add_experiment_group(name="main", datasets=["diabetes.csv"])
        config.add_experiment_group(name="kfold", datasets=["diabetes.csv"], algorithms=["ridge", "rf"],
                                    data_config={"split_method": "kfold"})
        return config
"""
# Writes where it ran (host:pid) next to its scores; with CELL_BODY spliced in before scoring.
WORKFLOW = """
    import os
    import socket
    import time
    from pathlib import Path

    import helper
    from rerun_git.experiment import Workflow


    class Basic(Workflow):
        def workflow(self, X_train, X_test, y_train, y_test, output_dir, feature_names):
            root = Path(__file__).resolve().parents[1]
            (output_dir / "where.txt").write_text(f"{socket.gethostname()}:{os.getpid()}")
            CELL_BODY
            self.model.fit(X_train, y_train)
            self.evaluate_model(self.model, X_test, y_test, helper.METRICS, "test_scores")
"""


def _workflow(body: str = "pass") -> str:
    lines = body.strip("\n").splitlines()
    return WORKFLOW.replace("CELL_BODY", "\n            ".join(lines))


def _project(repo: Path, body: str = "pass", extra: dict[str, str] | None = None) -> Path:
    return write_committed_project(repo, {"algorithms.py": ALGORITHMS, "settings.py": SETTINGS,
                                          "workflows/basic.py": _workflow(body), **(extra or {})})


_run = run_captured


def _result_files(repo: Path, name: str) -> dict[str, bytes]:
    base = repo / "results" / name
    return {p.relative_to(base).as_posix(): p.read_bytes() for p in sorted(base.rglob("*"))
            if p.is_file() and p.name not in ("where.txt", "model.pkl", "run_config.json")}


def _where(repo: Path, name: str) -> set[str]:
    return {p.read_text() for p in (repo / "results" / name).rglob("where.txt")}


@pytest.fixture
def grid(repo: Path) -> Path:
    """A committed project with 10 cells (6 in 'main', 4 in 'kfold')."""
    return _project(repo)


def test_cell_seed_is_a_pure_function_of_run_seed_and_key() -> None:
    from rerun_git.experiment.seeds import SEED_MODULUS, cell_seed

    key = "main/diabetes/split_0/rf"
    assert cell_seed(7, key) == cell_seed(7, key)
    assert cell_seed(7, key) != cell_seed(8, key) != cell_seed(8, "main/diabetes/split_1/rf")
    assert all(0 <= cell_seed(s, key) < SEED_MODULUS for s in range(50))


def test_jobs_2_and_all_cores_give_serial_numbers_splits_and_files(grid: Path) -> None:
    """Serial, --jobs 2 and --jobs -1: the same metric table, split fingerprints and result files."""
    serial = _run(grid, "serial")
    two = _run(grid, "two", jobs=2)
    every = _run(grid, "every", jobs=-1)
    assert len(serial.results) == 10
    assert two.results == serial.results and every.results == serial.results
    assert list(two.results) == list(serial.results), "rows merge in grid order"
    assert two.splits == serial.splits == every.splits
    assert _result_files(grid, "two") == _result_files(grid, "serial") == _result_files(grid, "every")
    assert {p for p in _result_files(grid, "two")} >= {"main/diabetes/split_1/main_rf/test_scores.json"}  # Brisk's layout
    assert _where(grid, "serial") == {f"{socket.gethostname()}:{os.getpid()}"}
    assert f"{socket.gethostname()}:{os.getpid()}" not in _where(grid, "two"), "cells ran in workers"
    assert serial.execution["backend"] == "serial" and two.execution["backend"] == "loky"
    assert two.execution["jobs"] == 2 and two.execution["cells"] == 10


def test_a_workflow_with_its_own_n_jobs_runs_in_workers(grid: Path) -> None:
    """The forest's n_jobs=2 inside a --jobs 2 run: honoured, and the numbers still match serial."""
    body = "assert self.algorithm.name != 'rf' or self.model.n_jobs == 2"
    git(grid, "rm", "-q", "--cached", "workflows/basic.py")
    (grid / "workflows" / "basic.py").write_text(__import__("textwrap").dedent(_workflow(body)).lstrip())
    git(grid, "add", ".")
    git(grid, "commit", "-q", "-m", "check n_jobs")
    serial, two = _run(grid, "s"), _run(grid, "p", jobs=2)
    rf_rows = [row for row in two.results if "/rf/" in row]
    assert len(rf_rows) == 4 and {row: two.results[row] for row in rf_rows} == {row: serial.results[row] for row in rf_rows}


LATE_IMPORT = """
target = root / "late.py"
if "VERSION = 1" in target.read_text():
    target.write_text("VERSION = 2\\n")  # an edit made while the run is going on
import late
self._record("late", {"version": float(late.VERSION)})
"""


@pytest.mark.parametrize("jobs", [1, 2])
def test_an_edit_made_mid_run_changes_nothing(repo: Path, jobs: int) -> None:
    """The first cell rewrites late.py, then every cell imports it: all of them run the bytes read at the start."""
    _project(repo, LATE_IMPORT, {"late.py": "VERSION = 1\n"})
    record = _run(repo, "edited", jobs=jobs)
    versions = {row: values["version"] for row, values in record.results.items() if row.endswith("/late")}
    assert len(versions) == 10 and set(versions.values()) == {1.0}
    assert (repo / "late.py").read_text() == "VERSION = 2\n", "the edit did happen"
    assert git(repo, "show", "run/edited:late.py") == "VERSION = 1\n", "the run captured the bytes it ran"


def test_workers_never_read_the_project_from_disk(grid: Path) -> None:
    """Fresh worker processes get the shipped bytes; the files on disk were changed after they were read."""
    from rerun_git.experiment.backends import Execution, run_remote
    from rerun_git.experiment.cells import Cell, CellTask, ProjectCode
    from rerun_git.experiment.project import ProjectLoader
    from rerun_git.experiment.validation import validate_project
    from rerun_git.experiment.strategy import PassThroughStrategy

    loader = ProjectLoader(grid, PassThroughStrategy())
    with loader.importing():
        job = validate_project(loader, seed=1).jobs[0]
        split = job.manager.split(job.data, job.categorical, seed=1)[0]
    code = ProjectCode.of(grid, loader.freeze())
    (grid / "helper.py").write_text("raise SystemExit('read from disk')\n")
    (grid / "workflows" / "basic.py").write_text("raise SystemExit('read from disk')\n")
    cell = Cell("main", "diabetes", 0, "linear")
    task = CellTask(cell, 1, "basic", {}, output=cell.key, threads=1)
    results = list(run_remote(code, [(task, split)], Execution(jobs=2)))
    assert results[0].error is None, results[0].error
    assert [row for row, _values in results[0].rows] == ["test_scores"]
    assert "helper.py" in results[0].executed


def test_a_failing_cell_names_itself_and_its_last_traceback_line(repo: Path, cli) -> None:
    _project(repo, "if self.algorithm.name == 'dtr':\n    raise ValueError('boom in the tree')")
    result = cli("run", "--name", "fails", "--jobs", "2", cwd=repo)
    code, err = result.code, result.err
    assert code == 1  # as in Brisk, the other cells ran; the run is not captured
    failed = [line for line in err.splitlines() if "FAILED" in line]
    assert len(failed) == 2, err
    assert all(f"FAILED main/diabetes/split_{i}/dtr: workflows/basic.py:" in line and "ValueError: boom in the tree" in line
               for i, line in enumerate(failed))
    assert "2 of 10 experiments failed" in err
    assert "Traceback" not in err
    assert git(repo, "tag", "-l") == ""


def test_a_failing_cell_does_not_stop_the_others(repo: Path) -> None:
    from rerun_git.experiment.backends import Execution
    from rerun_git.experiment.strategy import PassThroughStrategy
    from rerun_git.experiment.project import ProjectLoader
    from rerun_git.experiment.runner import run_experiments

    _project(repo, "if self.algorithm.name == 'dtr':\n    raise ValueError('boom')")
    outcome = run_experiments(ProjectLoader(repo, PassThroughStrategy()), repo / "results" / "k", seed=7,
                              execution=Execution(jobs=2), continue_on_failure=True)
    assert sorted(outcome.failures) == ["main/diabetes/split_0/dtr", "main/diabetes/split_1/dtr"]
    assert all("ValueError: boom" in message for message in outcome.failures.values())
    assert len(outcome.metrics) == 8 and not any("/dtr/" in row for row in outcome.metrics)


def test_a_dead_worker_is_one_clear_error(repo: Path) -> None:
    _project(repo, "if self.algorithm.name == 'dtr':\n    os.kill(os.getpid(), 9)")
    with pytest.raises(RerunError, match="a worker process died while running cells") as caught:
        _run(repo, "dies", jobs=2)
    assert "--jobs 1" in caught.value.hint


SLEEPING = """
(root / f"running-{os.getpid()}").write_text("")
time.sleep(120)
"""


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupting_a_parallel_run_stops_its_workers_and_captures_nothing(repo: Path, sig: int) -> None:
    _project(repo, SLEEPING)
    proc = subprocess.Popen([*PYTHON_CLI, "run", "--name", "stopped", "--jobs", "2"], cwd=repo,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        workers = _wait_for_markers(repo, 2, proc)
        proc.send_signal(sig)
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    code, said = (130, "rerun-git: interrupted") if sig == signal.SIGINT else (143, "rerun-git: terminated")
    assert proc.returncode == code, err
    assert said in err and "Traceback" not in err
    assert git(repo, "tag", "-l") == "" and not (repo / "results" / ".stopped.lock").exists()
    deadline = time.monotonic() + 30
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_alive(pid) for pid in workers), "the workers were stopped"


def _wait_for_markers(repo: Path, count: int, proc: subprocess.Popen, timeout: float = 120) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [int(p.name.split("-")[1]) for p in repo.glob("running-*")]
        if len(found) >= count:
            return found
        if proc.poll() is not None:
            raise AssertionError(proc.communicate()[1])
        time.sleep(0.1)
    raise AssertionError("the cells did not start")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (exited, not yet reaped) is not running
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (OSError, IndexError):
        return False


@pytest.mark.slow
def test_a_parallel_run_reproduces_serially_and_a_serial_run_with_jobs_2(grid: Path) -> None:
    from rerun_git.reproduce.run import reproduce_run

    _run(grid, "serial")
    _run(grid, "parallel", jobs=2)
    forward = reproduce_run("parallel", grid, jobs=1)
    backward = reproduce_run("serial", grid, jobs=2)
    assert forward.matches and backward.matches
    assert len(forward.comparisons) == len(backward.comparisons) == 20  # 10 cells x (MAE, R2)


def test_scheduler_without_dask_is_one_error_naming_the_extra(grid: Path, monkeypatch: pytest.MonkeyPatch,
                                                              cli) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if rerun-git[dask] were not installed
    result = cli("run", "--name", "d", "--scheduler", "tcp://127.0.0.1:9", cwd=grid)
    code, err = result.code, result.err
    assert code == 1
    assert err.splitlines() == ["rerun-git: error: --scheduler needs Dask's distributed package, which is not installed",
                                "hint: install the Dask extra: pip install 'rerun-git[dask]'"]


def test_scheduler_resolution_order(monkeypatch: pytest.MonkeyPatch) -> None:
    from rerun_git.experiment.backends import resolve_execution

    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    assert resolve_execution(None, None, 3, None).jobs == 3
    assert resolve_execution(None, None, 1, "tcp://h:1").scheduler == "tcp://h:1"
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", "tcp://env:2")
    assert resolve_execution(None, None, 1, "tcp://h:1").scheduler == "tcp://env:2"
    assert resolve_execution(2, None).scheduler is None and resolve_execution(2, None).workers == 2
    assert resolve_execution(2, "tcp://cli:3").scheduler == "tcp://cli:3"
    with pytest.raises(RerunError, match="not a number of workers"):
        resolve_execution(0, None)
    with pytest.raises(RerunError, match="invalid scheduler address"):
        resolve_execution(None, "tcp://a b")


@pytest.mark.slow
def test_a_local_dask_cluster_gives_serial_numbers(grid: Path) -> None:
    """A real distributed.LocalCluster (2 worker processes, 1 thread each) runs every cell."""
    from distributed import Client, LocalCluster

    serial = _run(grid, "serial")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=":0") as cluster, Client(cluster) as client:
        pids = set(client.run(os.getpid).values())
        dask = _run(grid, "dask", scheduler=cluster.scheduler_address)
    assert dask.results == serial.results and dask.splits == serial.splits
    assert _result_files(grid, "dask") == _result_files(grid, "serial")
    ran_on = {int(where.rsplit(":", 1)[1]) for where in _where(grid, "dask")}
    assert ran_on and ran_on <= pids
    assert dask.execution == {**dask.execution, "backend": "dask", "scheduler": cluster.scheduler_address}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_cli_scheduler_on_dask_processes_started_by_hand(grid: Path, tmp_path: Path) -> None:
    """`dask scheduler` + two `dask worker` processes on 127.0.0.1; `rerun-git run --scheduler` uses them."""
    from distributed import Client

    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    dask = [str(Path(sys.executable).with_name("dask"))]
    logs = tmp_path / "logs"
    logs.mkdir()
    procs = [subprocess.Popen([*dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                              cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=(logs / "scheduler.log").open("w"))]
    try:
        for i in range(2):  # --no-nanny: the worker computes in the process we started
            procs.append(subprocess.Popen(
                [*dask, "worker", address, "--nthreads", "1", "--no-nanny", "--host", "127.0.0.1", "--no-dashboard"],
                cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=(logs / f"worker{i}.log").open("w")))
        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=120)
        serial = _run(grid, "serial")
        proc = subprocess.run([*PYTHON_CLI, "run", "--name", "cluster", "--seed", "7", "--scheduler", address], cwd=grid,
                              capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr
        from rerun_git.record.run_record import load_run

        cluster = load_run("cluster", grid)[1]
        assert cluster.results == serial.results and cluster.splits == serial.splits
        assert cluster.execution["scheduler"] == address
        ran_on = {int(where.rsplit(":", 1)[1]) for where in _where(grid, "cluster")}
        assert ran_on and ran_on <= {p.pid for p in procs[1:]}, "the cluster's worker processes ran the cells"
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def test_the_record_execution_table_is_validated() -> None:
    from rerun_git.record.run_record import RunRecord

    base = {"name": "r", "created": "2026-01-01T00:00:00Z", "seed": 1, "rerun_git_version": "0", "schema": 1}
    ok = RunRecord.from_dict({**base, "execution": {"backend": "loky", "jobs": 2, "cells": 4, "seconds": 1.5}})
    assert ok.execution["jobs"] == 2
    for bad in ({"jobs": "2"}, {"seconds": True}, {"unknown": 1}):
        with pytest.raises(RerunError, match="invalid execution"):
            RunRecord.from_dict({**base, "execution": bad})


def test_sys_exit_in_a_worker_is_a_failure_of_its_cell(repo: Path, cli) -> None:
    _project(repo, "if self.algorithm.name == 'dtr':\n    raise SystemExit(0)")
    result = cli("run", "--name", "exits", "--jobs", "2", cwd=repo)
    assert result.code == 1
    assert "project code called sys.exit(0) during the run (main/diabetes/split_" in result.err
    assert git(repo, "tag", "-l") == ""


PARENT_OF_CELL = """
(output_dir / "parent.txt").write_text(Path(f"/proc/{os.getppid()}/cmdline").read_bytes().decode().replace("\\0", " "))
"""


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="reads the process tree from /proc")
def test_the_command_line_forks_its_workers_from_one_server(repo: Path) -> None:
    """`rerun-git run --jobs 2`: the workers are children of one fork server that imported scikit-learn once."""
    _project(repo, PARENT_OF_CELL)
    done = subprocess.run([*PYTHON_CLI, "run", "--name", "forked", "--jobs", "2"], cwd=repo,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    parents = {p.read_text() for p in (repo / "results" / "forked").rglob("parent.txt")}
    assert len(parents) == 1 and "multiprocessing.forkserver" in parents.pop()
    assert len(_where(repo, "forked")) == 2, "two workers ran the cells"


def test_an_unguarded_script_keeps_lokys_own_worker_start(grid: Path) -> None:
    """A script calling the API at its top level would run again in a fork server: its workers start fresh."""
    script = grid.parent / "train.py"
    script.write_text(
        "from rerun_git.capture.run import run_project\n"
        f"run_project({str(grid)!r}, name='scripted', seed=7, jobs=2)\n"
        "from joblib.externals.loky.backend import context\n"
        "print(context.get_start_method())\n")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "None", "loky's default start method was kept"
    assert len(_where(grid, "scripted")) == 2


@pytest.mark.parametrize(("source", "importable"), [
    ('"""doc"""\nimport sys\nfrom x import main\nX = 1\nif __name__ == "__main__":\n    sys.exit(main())\n', True),
    ("def f():\n    pass\nclass A:\n    pass\nNAMES: list = []\n", True),
    ("from rerun_git.capture.run import run_project\nrun_project('.', name='n')\n", False),
    ("import sys\nCONFIG = load()\n", False),
    ("if __name__ != '__main__':\n    go()\n", False),
    ("for x in range(3):\n    pass\n", False),
])
def test_main_is_importable_only_when_it_only_defines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     source: str, importable: bool) -> None:
    import types

    from rerun_git.experiment.backends import main_is_importable

    main = types.ModuleType("__main__")
    main.__file__ = str(tmp_path / "main.py")
    Path(main.__file__).write_text(source)
    monkeypatch.setitem(sys.modules, "__main__", main)
    assert main_is_importable() is importable


def test_python_m_rerun_git_does_not_run_when_imported() -> None:
    """A worker importing ``__main__`` as ``__mp_main__`` must not start a second command."""
    done = subprocess.run([sys.executable, "-c", "import runpy; runpy.run_module('rerun_git', run_name='__mp_main__')"],
                          capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout == "" and done.stderr == ""


def test_project_imports_name_installed_modules_only(tmp_path: Path) -> None:
    from rerun_git.experiment.backends import project_imports

    (tmp_path / "workflows").mkdir()
    (tmp_path / "helper.py").write_text("import numpy\n")
    (tmp_path / "algorithms.py").write_text(
        "import sklearn.ensemble, helper\nfrom brisk.defaults import x\nfrom . import y\nfrom scipy import stats\n"
        "def f():\n    import inside_a_function\n")
    (tmp_path / "workflows" / "w.py").write_text("from pandas import DataFrame\nimport workflows.other\n")
    (tmp_path / "broken.py").write_text("import (\n")
    assert project_imports(tmp_path) == ["sklearn.ensemble", "scipy", "numpy", "pandas"]


@pytest.mark.slow
def test_an_unreachable_scheduler_is_one_error(grid: Path, cli) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = cli("run", "--name", "nowhere", "--scheduler", f"tcp://127.0.0.1:{port}", cwd=grid)
    lines = result.err.splitlines()
    assert result.code == 1 and len(lines) == 2, result.err
    assert lines[0].startswith(f"rerun-git: error: cannot reach the Dask scheduler at tcp://127.0.0.1:{port}")
    assert git(grid, "tag", "-l") == ""
