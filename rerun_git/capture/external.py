"""Capture for external scripts: ``rerun-git capture``, ``rerun_git.capture()`` and
``rerun_git.recording()``.

A training script that does not follow the project layout can still be
captured: the project files (``[capture] include`` globs plus the bytes of the
project modules the script imported), an existing results folder (its
``keep_results`` files) and a metric table become one run, through the same
:func:`~rerun_git.capture.publish.capture_snapshot` as ``rerun-git run``.

>>> import rerun_git                                                    # doctest: +SKIP
>>> with rerun_git.recording(name="baseline") as run:                   # doctest: +SKIP
...     model = train()
...     run.log_metric("MAE", mae(model))
>>> run.tag                                                             # doctest: +SKIP
'run/baseline'
"""
from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import json
import numbers
import sys
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rerun_git.errors import RerunError

#: The row of the metric table that flat metrics (``{"MAE": 1.2}``) go to.
DEFAULT_ROW = "metrics"
_VENDORED = {"site-packages", "dist-packages"}


@dataclass
class CapturedRun:
    """A run captured from outside ``rerun-git run``."""

    name: str
    tag: str
    commit: str
    results_dir: Path
    metrics: dict[str, dict[str, float]]


# -- metric tables ----------------------------------------------------------------------------


def metric_table(data: Any, origin: str = "metrics", row: str = DEFAULT_ROW) -> dict[str, dict[str, float]]:
    """Normalise metrics into the run's metric table ``{row: {metric: value}}``.

    Accepts a flat mapping (``{"MAE": 1.2}``, put in row ``row``), a table
    (``{"test": {"MAE": 1.2}}``) or a document whose ``results`` key holds a
    table (as in ``.rerun/run.toml``).
    """
    if isinstance(data, Mapping) and isinstance(data.get("results"), Mapping) and _is_table(data["results"]):
        data = data["results"]
    if not isinstance(data, Mapping) or not data:
        raise RerunError(f"{origin}: no metrics", hint='give name = value pairs, e.g. {"MAE": 42.1}')
    if all(_is_number(v) for v in data.values()):
        return {row: {_key(k, origin): float(v) for k, v in data.items()}}
    if _is_table(data):
        table: dict[str, dict[str, float]] = {}
        for name, metrics in data.items():
            bad = [k for k, v in metrics.items() if not _is_number(v)]
            if bad or not metrics:
                raise RerunError(f"{origin}: [{name}] {bad[0] + ' ' if bad else ''}is not a number",
                                 hint="every metric value must be a number")
            table[_key(name, origin)] = {_key(k, origin): float(v) for k, v in metrics.items()}
        return table
    bad = next(k for k, v in data.items() if not _is_number(v))
    raise RerunError(f"{origin}: metric {bad!r} is not a number", hint="give name = value pairs, or a table of them")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_table(data: Mapping) -> bool:
    return bool(data) and all(isinstance(v, Mapping) for v in data.values())


def _key(key: Any, origin: str) -> str:
    from rerun_git.record.validation import plain_label

    if not isinstance(key, str) or not plain_label(key):
        raise RerunError(f"{origin}: invalid metric or row name {key!r}", hint="use non-empty names without control characters")
    return key


def load_metrics_file(path: Path | str) -> dict[str, dict[str, float]]:
    """Read a JSON or TOML metrics file into a metric table (see :func:`metric_table`)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RerunError(f"cannot read metrics file {path}: {exc.strerror}", hint="check the path") from None
    except UnicodeDecodeError:
        raise RerunError(f"metrics file {path} is not UTF-8 text", hint="write it as JSON or TOML") from None
    parsers = [_parse_toml] if path.suffix.lower() == ".toml" else [_parse_json]
    if path.suffix.lower() not in (".toml", ".json"):
        parsers = [_parse_json, _parse_toml]
    errors = []
    for parse in parsers:
        try:
            return metric_table(parse(text), origin=str(path))
        except ValueError as exc:  # json.JSONDecodeError and tomllib.TOMLDecodeError
            errors.append(str(exc))
    raise RerunError(f"cannot parse metrics file {path}: {errors[-1]}", hint="write it as JSON or TOML")


def _parse_json(text: str) -> Any:
    return json.loads(text)


def _parse_toml(text: str) -> Any:
    return tomllib.loads(text)


# -- which project files ran ---------------------------------------------------------------------


def _project_relpath(root: Path, filename: Any) -> str | None:
    """``filename`` relative to ``root`` when it is a project ``.py`` file (not a vendored one)."""
    from rerun_git.capture.selection import SKIPPED_DIRS

    if not isinstance(filename, str) or not filename.endswith(".py"):
        return None
    try:
        rel = Path(filename).resolve().relative_to(root)
    except (ValueError, OSError):
        return None
    if any(part in SKIPPED_DIRS or part in _VENDORED for part in rel.parts[:-1]):
        return None
    return rel.as_posix()


def imported_project_files(root: Path) -> dict[str, bytes]:
    """The bytes of every module in ``sys.modules`` (``__main__`` included) whose file is in ``root``."""
    files: dict[str, bytes] = {}
    for module in list(sys.modules.values()):
        rel = _project_relpath(root, getattr(module, "__file__", None))
        if rel is not None and rel not in files:
            with contextlib.suppress(OSError):
                files[rel] = (root / rel).read_bytes()
    return files


class _ImportRecorder(importlib.abc.MetaPathFinder):
    """Watches imports (it never loads anything): notes the bytes of project modules as they are found."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.seen: dict[str, bytes] = {}

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> None:
        try:
            spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        except Exception:  # never break the script's import: the real finders will report it
            return None
        origin = getattr(spec, "origin", None)
        rel = _project_relpath(self.root, origin)
        if rel is not None and rel not in self.seen:
            with contextlib.suppress(OSError):
                self.seen[rel] = (self.root / rel).read_bytes()
        return None


# -- capture ----------------------------------------------------------------------------------------


@dataclass
class _Target:
    root: Path
    settings: Any
    name: str
    results_dir: Path


def _find_root(project: Path | str | None) -> Path:
    from rerun_git.settings import find_project_root

    if project is not None:
        return find_project_root(Path(project))
    try:
        return find_project_root(Path.cwd())
    except RerunError:
        main = getattr(sys.modules.get("__main__"), "__file__", None)
        if main:
            with contextlib.suppress(RerunError):
                return find_project_root(Path(main).resolve().parent)
        raise


def _prepare(project: Path | str | None, name: str | None, results: Path | str | None, must_exist: bool) -> _Target:
    """Everything checkable before the script's work: project, repository, run name, results folder."""
    from rerun_git.settings import load_project_settings
    from rerun_git.store.repo import Repo
    from rerun_git.store.runs import RefSettings, check_name_free, default_run_name, validate_run_name

    root = _find_root(project)
    settings = load_project_settings(root)
    name = validate_run_name(name) if name is not None else default_run_name()
    check_name_free(Repo.open(root), RefSettings.of(settings), name)
    if results is None:
        results_dir = root / "results" / name
    else:
        results_dir = Path(results).resolve()
        if must_exist and not results_dir.is_dir():
            raise RerunError(f"results folder {results} does not exist", hint="give the folder your script wrote its results to")
    return _Target(root, settings, name, results_dir)


def _capture(target: _Target, table: dict[str, dict[str, float]], files: dict[str, bytes],
             message: str, seed: int, command: dict[str, Any] | None = None,
             datasets: list[str] | None = None) -> CapturedRun:
    from rerun_git.capture.publish import capture_snapshot
    from rerun_git.capture.recorder import ConfigRecorder

    recorder = ConfigRecorder(target.name)
    context = recorder.bind_project(target.root, target.settings, seed, message)
    context.executed_files = dict(files)
    context.command = dict(command or {})
    context.datasets = [(filename, None) for filename in dict.fromkeys(datasets or [])]
    recorder.sections["results"] = {row: dict(metrics) for row, metrics in table.items()}
    published, _record = capture_snapshot(recorder, context, target.results_dir)
    return CapturedRun(target.name, published.tag, published.commit, target.results_dir, table)


def _metrics_argument(metrics: Mapping[str, Any] | str | Path | None) -> dict[str, dict[str, float]]:
    if metrics is None:
        return {}
    if isinstance(metrics, (str, Path)):
        return load_metrics_file(metrics)
    return metric_table(metrics)


def capture(
    results: Path | str | None = None,
    *,
    name: str | None = None,
    metrics: Mapping[str, Any] | str | Path | None = None,
    message: str = "",
    project: Path | str | None = None,
    seed: int = 0,
    imported_modules: bool = True,
) -> CapturedRun:
    """Capture the project as it is now as a run, with an existing results folder and metrics.

    Parameters
    ----------
    results : path, optional
        A folder the script wrote its results to; its ``keep_results`` files go
        into the run. Default: ``results/<name>`` of the project.
    name : str, optional
        The run name (default ``YYYYMMDD-HHMMSS-xxxx``).
    metrics : mapping or path, optional
        ``{"MAE": 1.2}``, ``{"row": {"MAE": 1.2}}`` or a JSON / TOML file of either.
    message : str
        A note stored with the run.
    project : path, optional
        A folder of the project (default: the current folder, else the main script's).
    seed : int
        Recorded as the run's seed (rerun-git does not seed external scripts).
    imported_modules : bool
        Also capture the exact bytes of the project modules imported by this process.

    Returns
    -------
    CapturedRun
    """
    target = _prepare(project, name, results, must_exist=results is not None)
    files = imported_project_files(target.root) if imported_modules else {}
    return _capture(target, _metrics_argument(metrics), files, message, seed)


# -- external commands ----------------------------------------------------------------------------

#: Set while ``reproduce`` re-runs a ``recording()`` script: the file the logged metrics go to (nothing is captured).
METRICS_OUT_ENV = "RERUN_GIT_METRICS_OUT"
#: What a captured command finds in its environment.
RUN_NAME_ENV, RESULTS_DIR_ENV, SEED_ENV = "RERUN_GIT_RUN_NAME", "RERUN_GIT_RESULTS_DIR", "RERUN_GIT_SEED"


def command_environment(name: str, results_dir: Path, seed: int, metrics_out: Path | None = None) -> dict[str, str]:
    """The environment a captured (or reproduced) command runs with: ours plus the run's name, results folder, seed."""
    import os

    env = {**os.environ, RUN_NAME_ENV: name, RESULTS_DIR_ENV: str(results_dir), SEED_ENV: str(seed)}
    env.pop(METRICS_OUT_ENV, None)
    if metrics_out is not None:
        env[METRICS_OUT_ENV] = str(metrics_out)
    return env


def run_command(argv: list[str], cwd: Path, env: dict[str, str]) -> None:
    """Run ``argv`` (no shell) in ``cwd``; a missing program or a non-zero exit is one :class:`RerunError`.

    A first word ``python``/``python3`` is this interpreter (the environment rerun-git records and checks).
    """
    import subprocess

    program = [sys.executable, *argv[1:]] if _is_python(argv[0]) else argv
    try:
        proc = subprocess.run(program, cwd=cwd, env=env, check=False)
    except OSError as exc:
        raise RerunError(f"cannot run {argv[0]!r}: {exc.strerror}", hint="check the command after `--`") from None
    if proc.returncode != 0:
        raise RerunError(f"the command exited with status {proc.returncode}; nothing was captured",
                         hint="fix the command and run the capture again (the run name stays free)")


def _is_python(word: str) -> bool:
    base = Path(word).name
    return base == "python" or (base.startswith("python") and base[6:].replace(".", "").isdigit())


def _inside(root: Path, path: Path, what: str) -> str:
    """``path`` relative to ``root`` (POSIX); outside the project: :class:`RerunError`."""
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        raise RerunError(f"{what} {path} is outside the project {root}", hint="keep it inside the project") from None


def _argument_files(root: Path, cwd: Path, argv: list[str]) -> tuple[dict[str, bytes], list[str]]:
    """The project files named on the command line (their bytes, read before the run) and the datasets among them."""
    files: dict[str, bytes] = {}
    datasets: list[str] = []
    for word in argv:
        candidate = cwd / word
        if word.startswith("-") or not candidate.is_file():
            continue
        try:
            rel = candidate.resolve().relative_to(root).as_posix()
        except ValueError:
            continue
        if rel.startswith("datasets/"):
            datasets.append(rel[len("datasets/"):])
        else:
            files[rel] = candidate.read_bytes()
    return files, datasets


def _named_datasets(root: Path, paths: list[str]) -> list[str]:
    names = []
    for path in paths:
        rel = _inside(root, Path(path), "dataset")
        if not rel.startswith("datasets/") or not (root / rel).is_file():
            raise RerunError(f"dataset {path} is not a file in the project's datasets/ folder",
                             hint="put the data file under datasets/ and name it there")
        names.append(rel[len("datasets/"):])
    return names


def capture_command(
    argv: list[str],
    *,
    name: str | None = None,
    metrics: str | Path | None = None,
    datasets: list[str] | None = None,
    message: str = "",
    project: Path | str | None = None,
    seed: int | str | None = None,
) -> CapturedRun:
    """Run ``argv`` (no shell) and capture it as a reproducible run.

    Recorded: the command line, the project files (the ``include`` globs plus
    the files named on the command line, with the bytes they had when the
    command started), the datasets named by ``datasets`` or on the command
    line, the metrics file ``metrics`` (read after the command; relative to the
    current folder), and the environment. The command runs in the current
    folder (inside the project) with ``RERUN_GIT_RUN_NAME``,
    ``RERUN_GIT_RESULTS_DIR`` and ``RERUN_GIT_SEED`` set; a failing command
    captures nothing and leaves the name free. ``reproduce`` re-runs it in the
    snapshot's worktree and compares the metrics.
    """
    from rerun_git.capture.names import claim_run_name
    from rerun_git.capture.recorder import choose_seed
    from rerun_git.experiment.seeds import DEFAULT_SEED

    if not argv:
        raise RerunError("no command to run after `--`", hint="rerun-git capture --name N -- python train.py")
    target = _prepare(project, name, None, must_exist=False)
    chosen = choose_seed(seed, target.settings.seed)
    run_seed = DEFAULT_SEED if chosen is None else chosen
    cwd = Path.cwd().resolve() if Path.cwd().resolve().is_relative_to(target.root) else target.root
    command: dict[str, Any] = {"argv": list(argv), "cwd": _inside(target.root, cwd, "folder")}
    if command["cwd"] == ".":
        command["cwd"] = ""
    metrics_path = None
    if metrics is not None:
        metrics_path = cwd / metrics
        command["metrics"] = _inside(target.root, metrics_path, "metrics file")
    files, seen_datasets = _argument_files(target.root, cwd, argv)
    named = _named_datasets(target.root, [str(cwd / p) for p in datasets or []]) + seen_datasets
    with claim_run_name(target.root, target.name).held() as claim:
        target.results_dir = claim.results_dir
        run_command(argv, cwd, command_environment(target.name, claim.results_dir, run_seed))
        table = load_metrics_file(metrics_path) if metrics_path is not None else {}
        return _capture(target, table, files, message, run_seed, command, named)


@dataclass
class Recording:
    """The run being recorded by :func:`recording`; ``tag`` and ``commit`` are set once it is captured."""

    name: str
    root: Path
    results_dir: Path
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)
    tag: str | None = None
    commit: str | None = None

    def log_metric(self, name: str, value: float, row: str = DEFAULT_ROW) -> None:
        """Record ``name = value`` in row ``row`` of the run's metric table (a later value replaces it)."""
        if not isinstance(value, numbers.Real) or isinstance(value, bool):
            raise RerunError(f"metric {name!r}: {value!r} is not a number", hint="log int or float values")
        self.metrics.setdefault(_key(row, "log_metric"), {})[_key(name, "log_metric")] = float(value)

    def log_metrics(self, values: Mapping[str, float], row: str = DEFAULT_ROW) -> None:
        """Record several metrics at once."""
        for key, value in values.items():
            self.log_metric(key, value, row)


@contextlib.contextmanager
def recording(
    name: str | None = None,
    *,
    results: Path | str | None = None,
    message: str = "",
    project: Path | str | None = None,
    seed: int = 0,
    datasets: list[str] | None = None,
) -> Iterator[Recording]:
    """Record a script's run: on a clean exit of the block the run is captured.

    The project, the repository and the run name are checked on entry, before
    any work. Recorded like ``rerun-git capture -- python SCRIPT ARGS...``:
    the command line (``python`` + the main script + its arguments), the exact
    bytes of the project modules imported before and during the block, the
    ``datasets`` named, the logged metrics and the environment; ``reproduce``
    re-runs the script and compares the metrics it logs. When the block
    raises, nothing is captured and the name stays free.

    Parameters
    ----------
    name : str, optional
        The run name (default ``YYYYMMDD-HHMMSS-xxxx``).
    results : path, optional
        The results folder (default ``results/<name>``, created on entry).
    message, project, seed
        As for :func:`capture`.
    datasets : list of str, optional
        Paths of the data files the script reads (under the project's ``datasets/``).

    Yields
    ------
    Recording
        ``run.log_metric("MAE", value)``; after the block, ``run.tag`` and ``run.commit``.
    """
    import os

    if os.environ.get(METRICS_OUT_ENV):  # being reproduced: log the metrics for the reproducer, capture nothing
        yield from _reproducing(name)
        return
    from rerun_git.capture.names import claim_run_name

    target = _prepare(project, name, results, must_exist=False)
    named = _named_datasets(target.root, list(datasets or []))
    claim = claim_run_name(target.root, target.name) if results is None else None
    try:
        target.results_dir.mkdir(parents=True, exist_ok=True)
        files = imported_project_files(target.root)
        recorder = _ImportRecorder(target.root)
        run = Recording(target.name, target.root, target.results_dir)
        sys.meta_path.insert(0, recorder)
        try:
            yield run
        finally:
            with contextlib.suppress(ValueError):
                sys.meta_path.remove(recorder)
        for rel, data in imported_project_files(target.root).items():
            files.setdefault(rel, recorder.seen.get(rel, data))  # bytes read when the import happened
        captured = _capture(target, run.metrics, files, message, seed, _script_command(target.root), named)
        run.tag, run.commit = captured.tag, captured.commit
    except BaseException:
        if claim is not None:
            claim.discard()
            claim = None
        raise
    finally:
        if claim is not None:
            claim.release()


def _script_command(root: Path) -> dict[str, Any]:
    """``python SCRIPT ARGS...`` of this process when its main script is in the project (else no command)."""
    main = getattr(sys.modules.get("__main__"), "__file__", None)
    rel = _project_relpath(root, main)
    if rel is None:
        return {}
    return {"argv": ["python", rel, *sys.argv[1:]], "cwd": "", "recording": True}


def _reproducing(name: str | None) -> Iterator[Recording]:
    import os

    results_dir = Path(os.environ.get(RESULTS_DIR_ENV) or Path.cwd() / "results" / (name or "run"))
    results_dir.mkdir(parents=True, exist_ok=True)
    run = Recording(os.environ.get(RUN_NAME_ENV) or name or "run", Path.cwd(), results_dir)
    yield run
    Path(os.environ[METRICS_OUT_ENV]).write_text(json.dumps(run.metrics), encoding="utf-8")
