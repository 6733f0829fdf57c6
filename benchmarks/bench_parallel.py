"""Parallel cells: serial vs ``--jobs 2`` vs a local Dask cluster on a 12-cell grid, per-cell overhead, projection.

Used by ``benchmarks/run.py`` (its "parallel" rows); runnable alone::

    python benchmarks/bench_parallel.py [--quick]
"""
from __future__ import annotations

import math
import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from textwrap import dedent

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_util import git, median, rerun_git_command  # noqa: E402

# A grid of 2 groups x 1 dataset x 3 splits x 2 algorithms = 12 cells. Each cell fits a forest sized by
# RERUN_BENCH_TREES (n_jobs=1) and writes when it finished (time to first cell result).
FILES = {
    "rerun.toml": "[capture]\nembed_datasets_max_mb = 5\n",
    "settings.py": """
        from rerun_git import Configuration

        def create_configuration():
            config = Configuration(default_workflow="fit", default_algorithms=["forest", "boost"])
            config.add_experiment_group(name="a", datasets=["diabetes.csv"])
            config.add_experiment_group(name="b", datasets=["diabetes.csv"], data_config={"test_size": 0.3})
            return config
    """,
    "data.py": """
        from rerun_git import DataManager

        BASE_DATA_MANAGER = DataManager(test_size=0.2, n_splits=3, problem_type="regression", random_state=5)
    """,
    "algorithms.py": """
        from sklearn.ensemble import GradientBoostingRegressor, RandomForestRegressor
        from rerun_git import AlgorithmCollection, AlgorithmWrapper

        TREES = TREES_HERE
        ALGORITHM_CONFIG = AlgorithmCollection(
            AlgorithmWrapper("forest", "Forest", RandomForestRegressor, {"n_estimators": TREES, "n_jobs": 1}),
            AlgorithmWrapper("boost", "Boosting", GradientBoostingRegressor, {"n_estimators": TREES * 2}),
        )
    """,
    "metrics.py": """
        from rerun_git import REGRESSION_METRICS, MetricManager

        METRIC_CONFIG = MetricManager(*REGRESSION_METRICS)
    """,
    "workflows/fit.py": """
        import time
        from rerun_git import Workflow


        class Fit(Workflow):
            def workflow(self, X_train, X_test, y_train, y_test, output_dir, feature_names):
                if self.algorithm.name != "none":
                    self.model.fit(X_train, y_train)
                    self.evaluate_model(self.model, X_test, y_test, ["MAE", "R2"], "test_metrics")
                (output_dir / "done.txt").write_text(repr(time.time()))
    """,
}


@dataclass
class Figure:
    """One measured figure for the harness's table."""

    name: str
    value: float | None
    unit: str
    baseline: float | None = None
    baseline_label: str = ""
    goal: str = ""
    met: bool | None = None
    note: str = ""


def make_grid(path: Path, trees: int) -> Path:
    """A committed project whose 12 cells each fit ``trees`` trees."""
    from sklearn.datasets import load_diabetes

    path.mkdir(parents=True)
    git(path, "init", "-q")
    for rel, text in FILES.items():
        target = path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(dedent(text).lstrip("\n").replace("TREES_HERE", str(trees)))
    (path / "datasets").mkdir()
    load_diabetes(as_frame=True).frame.to_csv(path / "datasets" / "diabetes.csv", index=False)
    (path / ".gitignore").write_text("results/\n")
    git(path, "add", ".")
    git(path, "-c", "user.name=bench", "-c", "user.email=bench@example.invalid", "commit", "-q", "-m", "grid")
    return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class DaskCluster:
    """``dask scheduler`` plus single-threaded ``dask worker`` processes on 127.0.0.1."""

    def __init__(self, workers: int, cwd: Path) -> None:
        self.address = f"tcp://127.0.0.1:{_free_port()}"
        dask = str(Path(sys.executable).with_name("dask"))
        port = self.address.rsplit(":", 1)[1]
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "cwd": cwd}
        self.procs = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", port, "--no-dashboard"],
                                       **quiet)]
        self.procs += [subprocess.Popen([dask, "worker", self.address, "--nthreads", "1", "--no-nanny",
                                         "--host", "127.0.0.1", "--no-dashboard"], **quiet) for _ in range(workers)]
        from distributed import Client

        with Client(self.address, timeout=120) as client:
            client.wait_for_workers(workers, timeout=120)

    def close(self) -> None:
        for proc in reversed(self.procs):
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def _timed_run(project: Path, name: str, *extra: str) -> tuple[float, float]:
    """Whole ``rerun-git run`` seconds, and seconds from its start to the first finished cell."""
    start_wall, start = time.time(), time.perf_counter()
    proc = subprocess.run([*rerun_git_command(), "run", "--name", name, "--seed", "11", *extra], cwd=project,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"rerun-git run {' '.join(extra)} failed: {proc.stderr[-2000:]}")
    first = min(float(p.read_text()) for p in (project / "results" / name).rglob("done.txt"))
    return seconds, first - start_wall


def _metrics(project: Path, name: str) -> str:
    text = git(project, "show", f"run/{name}:.rerun/run.toml")
    return text[text.index("[results"):text.index("[execution]")] if "[execution]" in text else text


def grid_figures(base: Path, quick: bool) -> list[Figure]:
    """Serial vs --jobs 2, then serial vs the Dask cluster, on the 12-cell grid: whole commands, interleaved.

    The cluster runs only during the second phase: its idle scheduler and workers share the same
    two cores, which is no part of ``--jobs 2``'s cost; each ratio compares runs of one phase.
    """
    trees = 4 if quick else int(os.environ.get("RERUN_BENCH_TREES", "160"))
    repeats = 1 if quick else 3
    project = make_grid(base / "parallel-grid", trees)
    local = _interleaved(project, {"serial": (), "jobs2": ("--jobs", "2")}, repeats)
    cluster = DaskCluster(2, base)
    try:
        remote = _interleaved(project, {"serial-d": (), "dask": ("--scheduler", cluster.address)}, repeats)
    finally:
        cluster.close()
    samples = {**local, **remote}
    same = len({_metrics(project, f"{mode}-0") for mode in ("serial", "jobs2", "dask")}) == 1
    serial, jobs2 = median([s for s, _ in samples["serial"]]), median([s for s, _ in samples["jobs2"]])
    serial_d, dask = median([s for s, _ in samples["serial-d"]]), median([s for s, _ in samples["dask"]])
    per_cell = serial / 12
    note = f"12 cells, ~{per_cell:.2f} s per cell serially (whole command / 12); metric tables identical: {same}"
    return [
        Figure("grid: serial vs --jobs 2 (speed-up)", serial / jobs2, "x", goal=">= 1.6x" if not quick else "",
               met=(serial / jobs2 >= 1.6) if not quick else None,
               note=f"{note}; serial {serial:.1f} s, --jobs 2 {jobs2:.1f} s"),
        Figure("grid: serial vs Dask, 2 workers (speed-up)", serial_d / dask, "x", goal=">= 1.5x" if not quick else "",
               met=(serial_d / dask >= 1.5) if not quick else None,
               note=f"dask scheduler + 2 x `dask worker --nthreads 1` processes, started before these runs; "
                    f"serial {serial_d:.1f} s, Dask {dask:.1f} s"),
        Figure("grid: time to first cell result, serial", median([f for _, f in samples["serial"]]), "s"),
        Figure("grid: time to first cell result, --jobs 2", median([f for _, f in samples["jobs2"]]), "s"),
        Figure("grid: time to first cell result, Dask", median([f for _, f in samples["dask"]]), "s"),
        Figure("grid: identical metric tables (serial, --jobs 2, Dask)", 1.0 if same else 0.0, "yes/no",
               goal="yes", met=same),
    ]


def _interleaved(project: Path, modes: dict[str, tuple[str, ...]], repeats: int) -> dict[str, list[tuple[float, float]]]:
    """``repeats`` rounds of one run per mode: {mode: [(whole seconds, seconds to the first cell result)]}."""
    samples: dict[str, list[tuple[float, float]]] = {mode: [] for mode in modes}
    for i in range(repeats):
        for mode, extra in modes.items():
            samples[mode].append(_timed_run(project, f"{mode}-{i}", *extra))
    return samples


def overhead_figures(base: Path, quick: bool) -> tuple[list[Figure], dict[str, float]]:
    """Per-cell parallel overhead with an empty workflow: warm pool, in-process, cells phase only."""
    from rerun_git.experiment.backends import Execution
    from rerun_git.experiment.strategy import PassThroughStrategy
    from rerun_git.experiment.project import ProjectLoader
    from rerun_git.experiment.runner import run_experiments

    cells = 16 if quick else 48
    project = make_grid(base / "parallel-empty", 1)
    (project / "settings.py").write_text(dedent("""
        from rerun_git import Configuration

        def create_configuration():
            config = Configuration(default_workflow="fit", default_algorithms=["none"])
            config.add_experiment_group(name="empty", datasets=["diabetes.csv"])
            return config
    """).lstrip())
    (project / "algorithms.py").write_text(dedent("""
        from sklearn.dummy import DummyRegressor
        from rerun_git import AlgorithmCollection, AlgorithmWrapper

        ALGORITHM_CONFIG = AlgorithmCollection(AlgorithmWrapper("none", "Nothing", DummyRegressor))
    """).lstrip())
    (project / "data.py").write_text(dedent(f"""
        from rerun_git import DataManager

        BASE_DATA_MANAGER = DataManager(n_splits={cells}, split_method="kfold", problem_type="regression")
    """).lstrip())

    def phase(execution: Execution) -> tuple[float, int]:
        outcome = run_experiments(ProjectLoader(project, PassThroughStrategy()), base / "empty-out", seed=1,
                                  execution=execution)
        shutil.rmtree(base / "empty-out", ignore_errors=True)
        return outcome.execution["seconds"], outcome.execution["cells"]

    phase(Execution(jobs=2))  # warm the pool: worker start-up is its own figure
    repeats = 2 if quick else 5
    serial = median([phase(Execution())[0] for _ in range(repeats)])
    parallel_samples = [phase(Execution(jobs=2)) for _ in range(repeats)]
    assert parallel_samples[0][1] == cells
    parallel = median([s for s, _ in parallel_samples])
    overhead = max(0.0, (parallel - serial) / cells)
    start = _pool_start()
    forked = _pool_start(fork_server=True)
    figures = [
        Figure("parallel overhead per cell (empty workflow, --jobs 2)", overhead, "s", goal="<= 20 ms",
               met=overhead <= 0.020,
               note=f"{cells} empty cells: run_experiments {parallel * 1000:.0f} ms with a warm pool "
                    f"vs {serial * 1000:.0f} ms in-process; (difference) / cells"),
        Figure("worker start-up (2 loky workers, numpy+pandas+sklearn imported)", start, "s",
               note="each worker a fresh interpreter (loky's default; an API script whose main is not guarded)"),
        Figure("worker start-up, forked from one server (the command line)", forked, "s",
               note="the server imports them once; overlapped with the parent's own project loading"),
    ]
    return figures, {"overhead": overhead, "start": forked}


def _pool_start(fork_server: bool = False) -> float:
    """Seconds until 2 fresh workers have imported numpy, pandas and scikit-learn."""
    import multiprocessing

    from joblib.externals.loky import get_reusable_executor
    from joblib.externals.loky.backend import context

    from rerun_git.experiment import backends
    from rerun_git.experiment.backends import PRELOAD, Execution, warm_up

    get_reusable_executor().shutdown(wait=True, kill_workers=True)
    backends._WARMING.clear()  # a fresh pool: time its start, not the finished warm-up of an earlier run
    if fork_server:  # this script's main is not one backends.main_is_importable accepts: choose it here
        multiprocessing.set_forkserver_preload(list(PRELOAD))
        context.set_start_method("forkserver", force=True)
    start = time.perf_counter()
    thread = warm_up(Execution(jobs=2))
    assert thread is not None
    thread.join()
    return time.perf_counter() - start


def projection_table(cell_seconds: float, overhead: float, start: float, cells: int = 12) -> str:
    """Projected whole-grid seconds and speed-up for N workers: start + ceil(cells / N) x (cell + overhead)."""
    lines = ["| workers | projected cells phase | speed-up vs serial |", "| ---: | ---: | ---: |"]
    serial = cells * cell_seconds
    for workers in (1, 2, 4, 8, 16, 32):
        wall = serial if workers == 1 else start + math.ceil(cells / workers) * (cell_seconds + overhead)
        lines.append(f"| {workers} | {wall:.2f} s | {serial / wall:.2f}x |")
    return "\n".join(lines)


def main() -> int:
    import tempfile

    quick = "--quick" in sys.argv
    base = Path(tempfile.mkdtemp(prefix="rerun-git-bench-parallel-"))
    try:
        figures = grid_figures(base, quick)
        more, measured = overhead_figures(base, quick)
        for figure in figures + more:
            print(f"{figure.name}: {figure.value:.4g} {figure.unit}  {figure.goal} {figure.note}")
        per_cell = float(figures[0].note.split("~")[1].split(" s")[0])
        print(projection_table(per_cell, measured["overhead"], measured["start"]))
        print(projection_table(per_cell, measured["overhead"], measured["start"], cells=480))
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
