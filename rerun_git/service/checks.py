"""``rerun-git check``: validate a project without running its experiments.

What a later run or reproduction needs is checked, and every problem is
collected (not just the first):

- ``rerun.toml`` parses; every ``.py`` file of the project compiles;
- the project modules import (``settings.py``, ``data.py``, ``algorithms.py``,
  ``metrics.py``, ``evaluators.py`` and the groups' workflows, with whatever
  they import), errors reported as ``file:line``;
- ``create_configuration()`` builds; every group's data config, algorithms,
  datasets (exist, readable, columns) and workflow (one ``Workflow`` subclass)
  resolve; the group's preprocessors work with the algorithms
  (``DataManager.check_context``, as the runner checks before training);
- the literal metric and evaluator names of the workflows' helper calls
  (``evaluate_model``, ``evaluate_model_cv``, ``run_evaluator`` ...) exist,
  found by :func:`rerun_git.experiment.static_checks.literal_names`, the same
  scan the runner uses.

Nothing is trained; datasets are opened, not loaded.
"""
from __future__ import annotations

import csv
import gzip
import io
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rerun_git.errors import RerunError

#: The project modules that make a project a Brisk-style experiment project.
CONVENTION_FILES = ("settings.py", "data.py", "algorithms.py", "metrics.py")
_HEADER_BYTES = 1 << 16


@dataclass(frozen=True)
class Problem:
    """One thing that would break a run: ``"<file>[:<line>]: <what>"`` plus a hint."""

    text: str
    hint: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"problem": self.text, "hint": self.hint}


@dataclass
class CheckReport:
    """The outcome of checking one project.

    ``import_seconds`` is the time spent importing and calling project code;
    ``own_seconds`` is everything else check did (its budget is 0.5 s).
    """

    root: Path
    problems: list[Problem] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)
    import_seconds: float = 0.0
    own_seconds: float = 0.0
    script_project: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, text: str, hint: str | None = None) -> None:
        if all(p.text != text for p in self.problems):
            self.problems.append(Problem(text, hint))

    def add_error(self, exc: RerunError, context: str = "") -> None:
        self.add(f"{context}{exc.message}", exc.hint)

    def as_dict(self) -> dict[str, Any]:
        return {
            "project": str(self.root), "ok": self.ok, "problems": [p.as_dict() for p in self.problems],
            "checked": dict(self.checked), "import_seconds": round(self.import_seconds, 4),
            "own_seconds": round(self.own_seconds, 4), "script_project": self.script_project,
        }


class _PassThrough:
    """A loader service that hands every loaded object back unchanged and records nothing."""

    def handle_load_base_data_manager(self, data_manager: Any) -> Any:
        return data_manager

    def handle_load_algorithms(self, algorithm_config: Any) -> Any:
        return algorithm_config

    def handle_load_metric_config(self, metric_config: Any) -> Any:
        return metric_config

    def handle_load_custom_evaluators(self, module: Any, evaluators_file: Path) -> Any:
        return module

    def handle_load_workflow(self, workflow: Any, workflow_name: str) -> Any:
        return workflow


class _Checker:
    """Runs the checks of one project, timing the project's own code apart from ours."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.report = CheckReport(root)
        self.loader: Any = None

    def project_call(self, func: Callable[..., Any], *args: Any, context: str = "") -> Any:
        """Call project-loading ``func``; a failure becomes a problem and ``None``."""
        start = time.perf_counter()
        try:
            return func(*args)
        except RerunError as exc:
            self.report.add_error(exc, context)
        except Exception as exc:  # project code raising something unexpected
            self.report.add_error(self.loader.error_from(exc), context)
        finally:
            self.report.import_seconds += time.perf_counter() - start
        return None


def check_project(root: Path | str) -> CheckReport:
    """Check the project whose root (the folder holding ``rerun.toml``) is ``root``.

    Returns
    -------
    CheckReport
        ``report.ok`` is true when nothing would break a run.
    """
    from rerun_git.experiment.project import ProjectLoader, load_project_settings
    from rerun_git.service.capture import iter_project_files

    started = time.perf_counter()
    checker = _Checker(Path(root).resolve())
    report = checker.report
    try:
        load_project_settings(checker.root)
    except RerunError as exc:
        report.add_error(exc)
    py_files = [p for p in iter_project_files(checker.root) if p.endswith(".py")]
    report.checked["files"] = len(py_files)
    _compile_all(checker.root, py_files, report)
    if not any((checker.root / name).is_file() for name in CONVENTION_FILES):
        report.script_project = True  # plain scripts (captured with `rerun-git capture`): syntax only
    else:
        checker.loader = ProjectLoader(checker.root, _PassThrough())
        with checker.loader.importing():
            _check_experiment(checker)
    report.own_seconds = time.perf_counter() - started - report.import_seconds
    return report


def _compile_all(root: Path, py_files: list[str], report: CheckReport) -> None:
    for rel in py_files:
        try:
            source = (root / rel).read_bytes()
            compile(source, str(root / rel), "exec", dont_inherit=True)
        except SyntaxError as exc:
            report.add(f"{rel}:{exc.lineno}: SyntaxError: {exc.msg}", "fix the syntax error")
        except (OSError, ValueError) as exc:
            report.add(f"{rel}: cannot be read as Python source: {exc}", "save it as UTF-8 text")


def _check_experiment(checker: _Checker) -> None:
    from rerun_git.experiment.plot_settings import PlotSettings

    loader, report = checker.loader, checker.report
    plan = checker.project_call(loader.load_configuration)
    base = checker.project_call(loader.load_base_data_manager)
    algorithms = checker.project_call(loader.load_algorithms)
    metrics = checker.project_call(loader.load_metrics)
    plot_settings = plan.plot_settings if plan is not None else PlotSettings()
    evaluators = checker.project_call(loader.load_evaluators, plot_settings)
    if metrics is not None:
        _check_metric_functions(metrics, report)
    if plan is None:
        return
    report.checked["groups"] = len(plan.groups)
    workflows: dict[str, Any] = {}
    for group in plan.groups:
        where = f"group {group.name!r}: "
        if group.workflow not in workflows:
            workflows[group.workflow] = checker.project_call(loader.load_workflow, group.workflow, context=where)
        manager = _group_manager(base, algorithms, group, report) if base is not None else None
        if algorithms is not None:
            _check_algorithms(algorithms, group, report)
        for dataset in group.datasets:
            _check_dataset(checker.root, plan, manager, group, dataset, report)
    report.checked["datasets"] = len({str(d) for g in plan.groups for d in g.datasets})
    report.checked["workflows"] = len(workflows)
    names = 0
    for name, workflow in workflows.items():
        if workflow is not None:
            names += _check_workflow_names(loader, f"workflows/{name}.py", metrics, evaluators, report)
    report.checked["metric_names"] = names


def _check_metric_functions(metrics: Any, report: CheckReport) -> None:
    for wrapper in metrics:
        try:
            wrapper.resolve_func()
        except RerunError as exc:
            report.add_error(exc, "metrics.py: ")


def _group_manager(base: Any, algorithms: Any, group: Any, report: CheckReport) -> Any:
    """The group's data manager (as the runner builds it), or ``None`` when it is invalid.

    Its preprocessors are checked against the algorithms (e.g. a feature-selection
    estimator name) unless ``algorithms.py`` failed to load, which is reported already.
    """
    from rerun_git.experiment.runner import group_data_manager

    try:
        manager = group_data_manager(base, group.data_config)
    except RerunError as exc:
        report.add_error(exc, f"group {group.name!r}: ")
        return None
    if algorithms is not None:
        try:
            manager.check_context(algorithms)
        except RerunError as exc:
            report.add_error(exc, f"group {group.name!r}: ")
    return manager


def _check_algorithms(algorithms: Any, group: Any, report: CheckReport) -> None:
    for name in group.algorithms:
        try:
            algorithms[name].validate()
        except RerunError as exc:
            report.add_error(exc, f"group {group.name!r}: ")


# -- datasets ---------------------------------------------------------------------------------


def _check_dataset(root: Path, plan: Any, manager: Any, group: Any, dataset: Any, report: CheckReport) -> None:
    """The dataset exists, is readable and (for tables with a header) has the named columns."""
    from rerun_git.experiment.configuration import split_dataset
    from rerun_git.experiment.data import SQLITE_SUFFIXES, SUFFIXES, dataset_key
    from rerun_git.experiment.project import dataset_path

    file, table = split_dataset(dataset)
    label = f"datasets/{dataset_key(file, table)}"
    where = f"{label} (group {group.name!r})"
    try:
        path = dataset_path(root, file)
    except RerunError as exc:
        report.add_error(exc, f"group {group.name!r}: ")
        return
    suffix = next((s for s in SUFFIXES if path.name.lower().endswith(s)), path.suffix.lower())
    if not path.is_file():
        report.add(f"{where}: not found", "put the file under the project's datasets/ folder")
        return
    if suffix not in SUFFIXES:
        report.add(f"{where}: unsupported dataset type {suffix or path.name!r}", f"use one of {', '.join(SUFFIXES)}")
        return
    try:
        columns = _columns(path, suffix, table, SQLITE_SUFFIXES)
    except (OSError, ValueError, sqlite3.Error, csv.Error, EOFError) as exc:
        report.add(f"{where}: cannot be read: {exc}", "check the file's format and permissions")
        return
    except RerunError as exc:
        report.add(f"{where}: {exc.message}", exc.hint)
        return
    if columns is not None:
        _check_columns(columns, plan.categorical_for(file, table), manager, where, report)


def _columns(path: Path, suffix: str, table: str | None, sqlite_suffixes: tuple[str, ...]) -> list[str] | None:
    """The column names of a CSV/TSV header or SQLite table; ``None`` when not cheaply known."""
    if suffix in sqlite_suffixes:
        return _sqlite_columns(path, table)
    if table is not None and suffix != ".xlsx":
        raise RerunError("a table name only applies to SQLite or Excel files", hint="give the dataset as a plain file name")
    opener = gzip.open if suffix == ".csv.gz" else open
    with opener(path, "rb") as handle:
        head = handle.read(_HEADER_BYTES)
    if suffix not in (".csv", ".csv.gz", ".tsv"):
        return None
    first = head.decode("utf-8-sig").splitlines()[:1]
    if not first:
        raise RerunError("the file is empty", hint="a dataset needs a header line and rows")
    return next(csv.reader(io.StringIO(first[0]), delimiter="\t" if suffix == ".tsv" else ","))


def _sqlite_columns(path: Path, table: str | None) -> list[str]:
    if not table:
        raise RerunError("a SQLite dataset needs a table name", hint=f'give the dataset as ("{path.name}", "<table>")')
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table','view')")]
        if table not in tables:
            raise RerunError(f"no table {table!r}", hint=f"tables: {', '.join(sorted(tables)) or '(none)'}")
        quoted = '"' + table.replace('"', '""') + '"'
        return [row[1] for row in conn.execute(f"PRAGMA table_info({quoted})")]
    finally:
        conn.close()


def _check_columns(columns: list[str], categorical: list[str], manager: Any, where: str, report: CheckReport) -> None:
    if len(columns) < 2:
        report.add(f"{where}: only {len(columns)} column(s)", "need feature columns and the target as the last column")
        return
    features = columns[:-1]
    group_column = getattr(manager, "group_column", None)
    if group_column is not None and group_column not in features:
        report.add(f"{where}: group column {group_column!r} is not a feature column", f"columns: {', '.join(columns)}")
    missing = [c for c in categorical if c not in features]
    if missing:
        report.add(f"{where}: categorical feature(s) not in the dataset: {', '.join(missing)}",
                   f"feature columns: {', '.join(features)}")


# -- workflows: metric and evaluator names --------------------------------------------------------


def _check_workflow_names(loader: Any, rel: str, metrics: Any, evaluators: Any, report: CheckReport) -> int:
    """Look up every literal metric / evaluator name of a workflow file; return how many were checked.

    Names come from the experiment layer's scan (the one the runner uses); unlike the
    runner, which stops at the first unknown name, every unknown one is reported.
    """
    from rerun_git.experiment.static_checks import literal_names

    try:
        source = loader.read_bytes(rel)
    except RerunError:
        return 0  # already reported by the compile or import step
    lookups: dict[str, Callable[[str], Any] | None] = {
        "metric": metrics.get_metric if metrics is not None else None,
        "evaluator": evaluators.get if evaluators is not None else None,
    }
    count = 0
    for kind, line, name in literal_names(source, rel):
        get = lookups[kind]
        if get is None:
            continue  # metrics.py / evaluators.py failed to load: reported already
        count += 1
        try:
            get(name)
        except RerunError as exc:
            report.add_error(exc, f"{rel}:{line}: ")
    return count


# -- which projects -------------------------------------------------------------------------------


def project_roots(paths: Iterable[str | Path], top: Path | None = None, base: Path | None = None) -> list[Path]:
    """The project roots (folders holding ``rerun.toml``) containing ``paths``, each once, in order.

    Parameters
    ----------
    paths : iterable
        Files (existing or deleted), relative to ``base`` (default: the current folder).
    top : Path, optional
        Do not look above this folder (the repository's top level).
    """
    from rerun_git.experiment.project import MARKER

    base = Path(base or Path.cwd())
    top = top.resolve() if top is not None else None
    found: dict[Path, None] = {}
    seen: dict[Path, Path | None] = {}
    for path in paths:
        target = (base / path).resolve()
        folder = target if target.is_dir() else target.parent
        root = _root_above(folder, top, MARKER, seen)
        if root is not None:
            found.setdefault(root)
    return list(found)


def _root_above(folder: Path, top: Path | None, marker: str, seen: dict[Path, Path | None]) -> Path | None:
    walked = []
    for candidate in (folder, *folder.parents):
        if candidate in seen:
            root = seen[candidate]
            break
        walked.append(candidate)
        if (candidate / marker).is_file():
            root = candidate
            break
        if top is not None and candidate == top or top is not None and not candidate.is_relative_to(top):
            root = None
            break
    else:
        root = None
    for candidate in walked:
        seen[candidate] = root
    return root


def check_staged(cwd: Path) -> list[CheckReport]:
    """Check the projects touched by the commit being made (for the pre-commit hook)."""
    from rerun_git.store.hooks import staged_paths

    top, paths = staged_paths(cwd)
    return [check_project(root) for root in project_roots(paths, top=top, base=top)]


def check_paths(paths: list[str], cwd: Path) -> list[CheckReport]:
    """Check the projects containing ``paths``; with no paths, the project containing ``cwd``."""
    from rerun_git.experiment.project import find_project_root

    if not paths:
        return [check_project(find_project_root(cwd))]
    return [check_project(root) for root in project_roots(paths, top=_repo_top(cwd), base=cwd)]


def _repo_top(cwd: Path) -> Path | None:
    from rerun_git.store.repo import Repo

    try:
        return Repo.open(cwd).top
    except RerunError:
        return None
