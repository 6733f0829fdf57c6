"""``rerun-git check``: validate a project without running its experiments.

What a later run or reproduction needs is checked, and every problem is
collected (not just the first):

- ``rerun.toml`` parses; every ``.py`` file of the project compiles;
- everything the runner validates before training, by the same code
  (:func:`rerun_git.experiment.validation.validate_project`, collecting):
  the project modules import (errors as ``file:line``), ``create_configuration()``
  builds, every group's data manager, preprocessors, workflow (and its
  ``workflow_args`` names), algorithms and datasets (readable, distinct results
  labels, columns) are valid, and the literal metric and evaluator names of the
  workflows exist.

Nothing is trained; datasets are opened and only their headers read.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rerun_git.errors import RerunError
from rerun_git.experiment.validation import Problem, Problems, validate_project

#: The project modules that make a project a Brisk-style experiment project.
CONVENTION_FILES = ("settings.py", "data.py", "algorithms.py", "metrics.py")


@dataclass
class CheckReport:
    """The outcome of checking one project.

    ``import_seconds`` is the time spent importing and calling project code;
    ``own_seconds`` is everything else check did (its budget, 0.5 s, is measured in ``benchmarks/``).
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

    def as_dict(self, timings: bool = False) -> dict[str, Any]:
        """The report as plain data; the timing fields only with ``timings`` (they differ run to run)."""
        data = {
            "project": str(self.root), "ok": self.ok,
            "problems": [{"problem": p.text, "hint": p.hint} for p in self.problems],
            "checked": dict(self.checked), "script_project": self.script_project,
        }
        if timings:
            data.update(import_seconds=round(self.import_seconds, 4), own_seconds=round(self.own_seconds, 4))
        return data


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


class _Collected(Problems):
    """Collects a check's problems into its report, timing the project's own code apart from ours."""

    def __init__(self, report: CheckReport, loader: Any) -> None:
        super().__init__(collect=True)
        self.found = report.problems
        self.report = report
        self.loader = loader

    def load(self, func: Callable[..., Any], *args: Any, where: str = "") -> Any:
        start = time.perf_counter()
        try:
            return func(*args)
        except RerunError as exc:
            self.add(exc, where)
        except Exception as exc:  # project code raising something unexpected
            self.add(self.loader.error_from(exc), where)
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
    from rerun_git.experiment.project import ProjectLoader
    from rerun_git.settings import load_project_settings
    from rerun_git.capture.selection import iter_project_files

    started = time.perf_counter()
    report = CheckReport(Path(root).resolve())
    try:
        load_project_settings(report.root)
    except RerunError as exc:
        report.add_error(exc)
    py_files = [p for p in iter_project_files(report.root) if p.endswith(".py")]
    report.checked["files"] = len(py_files)
    _compile_all(report.root, py_files, report)
    if not any((report.root / name).is_file() for name in CONVENTION_FILES):
        report.script_project = True  # plain scripts (captured with `rerun-git capture`): syntax only
    else:
        _check_experiment(report, ProjectLoader(report.root, _PassThrough()))
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


def _check_experiment(report: CheckReport, loader: Any) -> None:
    checked = validate_project(loader, _Collected(report, loader), load_data=False)
    if checked.plan is None:
        return
    report.checked["groups"] = len(checked.plan.groups)
    report.checked["datasets"] = len({str(d) for g in checked.plan.groups for d in g.datasets})
    report.checked["workflows"] = len(checked.workflows)
    report.checked["metric_names"] = checked.metric_names


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
    from rerun_git.settings import MARKER

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
    from rerun_git.settings import find_project_root

    if not paths:
        return [check_project(find_project_root(cwd))]
    return [check_project(root) for root in project_roots(paths, top=_repo_top(cwd), base=cwd)]


def _repo_top(cwd: Path) -> Path | None:
    from rerun_git.store.repo import Repo

    try:
        return Repo.open(cwd).top
    except RerunError:
        return None
