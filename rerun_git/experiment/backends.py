"""Where cells run: in this process, in joblib's loky processes, or on a Dask cluster.

Every parallel path goes through ``joblib.Parallel`` (``return_as="generator_unordered"``):
``--jobs N`` with joblib's loky backend, ``--scheduler ADDRESS`` with joblib's
Dask backend on a ``distributed.Client``. Another joblib backend (Ray's, say)
plugs in the same way (docs/scaling.md).
"""
from __future__ import annotations

import ast
import contextlib
import os
import sys
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rerun_git.errors import RerunError
from rerun_git.experiment.guard import WORKER_DEATHS

if TYPE_CHECKING:
    from rerun_git.experiment.cells import CellResult, CellTask, ProjectCode
    from rerun_git.experiment.data import DataSplit

#: Environment variables by which a user sets BLAS/OpenMP threads; when one is set, workers are not limited.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS")

DASK_HINT = "install the Dask extra: pip install 'rerun-git[dask]'"


@dataclass(frozen=True)
class Execution:
    """How a run executes its cells.

    Parameters
    ----------
    jobs : int
        Worker processes on this machine (``1``: in this process; ``-1``: one per core).
    scheduler : str or None
        Address of a Dask scheduler; when set the cells run on its cluster and ``jobs`` is ignored.
    """

    jobs: int = 1
    scheduler: str | None = None

    @property
    def parallel(self) -> bool:
        """Whether cells run in other processes."""
        return self.scheduler is not None or self.workers > 1

    @property
    def workers(self) -> int:
        """Local worker processes (``-1`` resolved to the number of cores)."""
        return max(1, os.cpu_count() or 1) if self.jobs == -1 else self.jobs

    @property
    def backend(self) -> str:
        """``"serial"``, ``"loky"`` or ``"dask"``."""
        if self.scheduler is not None:
            return "dask"
        return "loky" if self.parallel else "serial"

    def worker_threads(self) -> int | None:
        """BLAS/OpenMP threads per worker: 1, unless in this process or the user set them."""
        if not self.parallel or any(os.environ.get(name) for name in THREAD_VARIABLES):
            return None
        return 1


def resolve_execution(jobs: int | None, scheduler: str | None, settings_jobs: int = 1,
                      settings_scheduler: str | None = None) -> Execution:
    """The execution a command asks for.

    ``--scheduler`` wins; then ``--jobs``; then ``DASK_SCHEDULER_ADDRESS``; then
    ``[run] scheduler``; then ``[run] jobs``.
    """
    if jobs is not None and not (jobs >= 1 or jobs == -1):
        raise RerunError(f"--jobs {jobs}: not a number of workers", hint="give a positive integer, or -1 for all cores")
    if scheduler:
        return Execution(jobs=1, scheduler=_check_address(scheduler, "--scheduler"))
    if jobs is not None:
        return Execution(jobs=jobs)
    from_env = os.environ.get("DASK_SCHEDULER_ADDRESS", "").strip()
    if from_env:
        return Execution(scheduler=_check_address(from_env, "DASK_SCHEDULER_ADDRESS"))
    if settings_scheduler:
        return Execution(scheduler=_check_address(settings_scheduler, "[run] scheduler"))
    return Execution(jobs=settings_jobs)


def _check_address(address: str, origin: str) -> str:
    address = address.strip()
    if not address or any(c.isspace() or not c.isprintable() for c in address):
        raise RerunError(f"{origin}: invalid scheduler address {address!r}", hint="e.g. tcp://127.0.0.1:8786")
    return address


def run_remote(code: ProjectCode, items: list[tuple[CellTask, DataSplit]], execution: Execution) -> Iterator[CellResult]:
    """Yield each cell's result as it finishes, from the workers ``execution`` names.

    Closing the generator (the caller stopped: a failed cell, Ctrl-C, SIGTERM, which the CLI raises as
    a KeyboardInterrupt) cancels the cells not yet run.
    """
    import joblib

    from rerun_git.experiment.cells import run_cell

    with _backend(execution) as (backend, n_jobs):
        with joblib.parallel_config(backend=backend, n_jobs=n_jobs):
            results = joblib.Parallel(return_as="generator_unordered", batch_size=1)(
                joblib.delayed(run_cell)(code, task, split) for task, split in items)
            try:
                yield from _worker_errors(results)
            finally:
                close_quietly(results)
    if backend == "loky" and _forking_from_server():
        _release_workers()


def _release_workers() -> None:
    """Let the workers exit now, while the run is captured, rather than at exit (the next run forks new ones cheaply)."""
    from joblib.externals.loky import get_reusable_executor

    with contextlib.suppress(Exception):
        get_reusable_executor(reuse=True).shutdown(wait=False)


def warm_up(execution: Execution, project: Path | None = None) -> threading.Thread | None:
    """Start the local worker processes now, in the background, while this process loads the project.

    Each worker has numpy, pandas and scikit-learn imported; the pool is
    joblib's reusable loky executor, which :func:`run_remote` then uses. When
    possible, the workers are forked from one server process that imported
    them once (:func:`_fork_server`), so two workers cost one interpreter
    start-up, not two. ``project``, the user's own
    working tree, adds the installed modules its files import to what that
    server imports (never a snapshot's: those are untrusted until reproduced).
    Calling it again for the same number of workers returns the same thread.
    """
    if execution.backend == "dask":
        return _warm_dask(execution.scheduler)
    if execution.backend != "loky":
        return None
    started = _WARMING.get(execution.workers)
    if started is not None:
        return started
    import joblib

    _fork_server(project)

    def start() -> None:
        with contextlib.suppress(Exception):
            joblib.Parallel(n_jobs=execution.workers, batch_size=1)(
                joblib.delayed(_import_heavy)() for _ in range(execution.workers))

    thread = threading.Thread(target=start, name="rerun-git-warm-up", daemon=True)
    thread.start()
    _WARMING.clear()
    _WARMING[execution.workers] = thread
    return thread


#: The warm-up started in this process, by number of workers (a command starts it early, the runner joins it).
_WARMING: dict[int, threading.Thread] = {}

#: What every worker imports before its first cell (the fork server imports it once for all of them).
PRELOAD = ("numpy", "pandas", "sklearn.base", "rerun_git.experiment.cells", "rerun_git.experiment.workflow")
#: The variable naming the project's own imports for the fork server (read by ``experiment/_preload.py``).
PRELOAD_VARIABLE = "RERUN_GIT_PRELOAD"


def _fork_server(project: Path | None) -> None:
    """Have loky fork its workers from a server process that imported :data:`PRELOAD` once.

    Python's fork server imports the parent's ``__main__``; it is used only
    when that is harmless (:func:`main_is_importable`: rerun-git's command
    line, a guarded script, an interactive session). Otherwise loky starts
    each worker as a fresh interpreter, as joblib does by default.
    """
    import multiprocessing

    from joblib.externals.loky.backend import context

    if context.get_start_method() is not None or not main_is_importable():
        return  # a start method chosen by somebody else (or by an earlier run) stays
    os.environ[PRELOAD_VARIABLE] = " ".join(project_imports(project) if project is not None else [])
    multiprocessing.set_forkserver_preload(["__main__", *PRELOAD, "rerun_git.experiment._preload"])
    context.set_start_method("forkserver")


def _forking_from_server() -> bool:
    from joblib.externals.loky.backend import context

    return context.get_start_method() == "forkserver"


def main_is_importable() -> bool:
    """Whether importing this process's ``__main__`` again only defines things.

    True without a main file (``python -c``, a notebook) and for a file whose
    top level holds only imports, definitions, constants and an ``if __name__
    == "__main__":`` block (rerun-git's entry points, pytest's, a guarded script).
    """
    path = getattr(sys.modules.get("__main__"), "__file__", None)
    if path is None:
        return True
    try:
        tree = ast.parse(Path(path).read_bytes())
    except (OSError, SyntaxError, ValueError):
        return False
    return all(_only_defines(node) for node in tree.body)


def _only_defines(node: Any) -> bool:
    if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return True
    if isinstance(node, ast.Expr):
        return isinstance(node.value, ast.Constant)
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        return node.value is None or not any(isinstance(n, (ast.Call, ast.Await)) for n in ast.walk(node.value))
    if isinstance(node, ast.If):  # if __name__ == "__main__":
        test = node.test
        return (isinstance(test, ast.Compare) and isinstance(test.left, ast.Name) and test.left.id == "__name__"
                and len(test.comparators) == 1 and isinstance(test.comparators[0], ast.Constant)
                and test.comparators[0].value == "__main__" and isinstance(test.ops[0], ast.Eq)
                and all(_only_defines(n) for n in node.orelse))
    return False


def project_imports(root: Path) -> list[str]:
    """Installed modules the project's Python files import at top level (a preload hint, never executed here).

    Module names of the project's own files, ``brisk`` (served by rerun-git's
    import hook) and relative imports are left out; a file that does not parse
    is skipped (the run reports it).
    """
    files = [*root.glob("*.py"), *root.glob("workflows/*.py")]
    own = {p.stem for p in files} | {p.name for p in root.iterdir() if p.is_dir()}
    names: dict[str, None] = {}
    for path in sorted(files):
        try:
            tree = ast.parse(path.read_bytes(), filename=str(path))
        except (SyntaxError, ValueError, OSError):
            continue
        for node in tree.body:
            if isinstance(node, ast.Import):
                found = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found = [node.module]
            else:
                continue
            for name in found:
                top = name.split(".")[0]
                if top not in own and top not in ("brisk", "__main__") and name.replace(".", "").isidentifier():
                    names[name] = None
    return list(names)


def _import_heavy() -> int:
    import numpy  # noqa: F401
    import pandas  # noqa: F401
    import sklearn.base  # noqa: F401

    import rerun_git.experiment.cells  # noqa: F401
    import rerun_git.experiment.workflow  # noqa: F401

    return os.getpid()


def close_quietly(stream: Any) -> None:
    """Close a stream of results, cancelling what has not run (joblib's warning about it is the point)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        stream.close()


def _worker_errors(results: Iterator[CellResult]) -> Iterator[CellResult]:
    """Pass results through; a dead worker becomes one clear RerunError."""
    try:
        yield from results
    except RerunError:
        raise
    except Exception as exc:
        name = type(exc).__name__
        if any(kind.__name__ in WORKER_DEATHS for kind in type(exc).__mro__):
            detail = str(exc).splitlines()[-1] if str(exc) else name
            raise RerunError(f"a worker process died while running cells ({name}: {detail[:300]})",
                             hint="a cell crashed its process or ran out of memory; run with --jobs 1 to see which") from exc
        raise


@contextlib.contextmanager
def _backend(execution: Execution) -> Iterator[tuple[str, int]]:
    if execution.scheduler is None:
        yield "loky", execution.workers
        return
    client = _dask_client(execution.scheduler)
    try:
        yield "dask", -1
    finally:
        with contextlib.suppress(Exception):
            client.close()


class _DaskWarmUp(threading.Thread):
    """Connect to the scheduler and have every worker import the heavy modules, in the background."""

    def __init__(self, address: str) -> None:
        super().__init__(name="rerun-git-dask-warm-up", daemon=True)
        self.address = address
        self.client: Any = None
        self.error: RerunError | None = None

    def run(self) -> None:
        try:
            self.client = connect_dask(self.address)
        except RerunError as exc:
            self.error = exc
            return
        with contextlib.suppress(Exception):  # a hint only: the cells import what they need anyway
            from distributed import fire_and_forget

            # Not waited for: on a shared cluster a worker may be busy with somebody else's task.
            workers = list(self.client.scheduler_info()["workers"])
            fire_and_forget([self.client.submit(_import_heavy, workers=[w], allow_other_workers=False, pure=False)
                             for w in workers])


#: The Dask warm-up started in this process, by scheduler address (taken by the run that uses it).
_DASK_WARMING: dict[str, _DaskWarmUp] = {}


def _warm_dask(address: str | None) -> threading.Thread | None:
    if address is None:
        return None
    if address not in _DASK_WARMING:
        _DASK_WARMING[address] = warming = _DaskWarmUp(address)
        warming.start()
    return _DASK_WARMING[address]


def _dask_client(address: str) -> Any:
    """The warm-up's client for ``address`` (waiting for it), else a new connection."""
    warming = _DASK_WARMING.pop(address, None)
    if warming is None:
        return connect_dask(address)
    warming.join()
    if warming.error is not None:
        raise warming.error
    return warming.client


def connect_dask(address: str, timeout: float = 10.0) -> Any:
    """A ``distributed.Client`` on the scheduler at ``address`` (one RerunError if Dask is missing or unreachable)."""
    try:
        from distributed import Client
    except ImportError:
        raise RerunError("--scheduler needs Dask's distributed package, which is not installed",
                         hint=DASK_HINT) from None
    try:
        return Client(address, timeout=timeout, set_as_default=True)
    except (OSError, TimeoutError, ValueError) as exc:
        raise RerunError(f"cannot reach the Dask scheduler at {address}: {str(exc).splitlines()[0][:200]}",
                         hint="start one (`dask scheduler`) or check the address") from None
