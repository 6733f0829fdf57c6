"""Checks of a workflow's source made before anything trains.

A workflow names metrics and evaluators in calls such as
``self.evaluate_model(model, X, y, ["MAE", "R2"], "test")``. Names written
as string literals are looked up here, from the source, so that a typo is
one clear error before the first model is fitted. Names computed at run time
(variables, attributes) are checked when the call runs.
"""
from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from typing import Any

from rerun_git.errors import RerunError

#: helper -> (position of the argument after ``self``, keyword) of its metric name(s).
METRIC_ARGUMENTS: dict[str, tuple[int | None, str]] = {
    "evaluate_model": (3, "metrics"),
    "evaluate_model_cv": (3, "metrics"),
    "compare_models": (None, "metrics"),
    "hyperparameter_tuning": (4, "scorer"),
    "plot_learning_curve": (6, "metric"),
    "plot_feature_importance": (6, "metric"),
}
EVALUATOR_ARGUMENT = ("run_evaluator", 0, "name")


def _argument(call: ast.Call, position: int | None, keyword: str) -> ast.expr | None:
    for item in call.keywords:
        if item.arg == keyword:
            return item.value
    if position is None or any(isinstance(a, ast.Starred) for a in call.args[: position + 1]):
        return None
    return call.args[position] if len(call.args) > position else None


def _literals(node: ast.expr | None) -> Iterator[str]:
    """String constants of ``node``: a string, or a list / tuple / set of them (others skipped)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        for item in node.elts:
            if isinstance(item, ast.Constant) and isinstance(item.value, str):
                yield item.value


def literal_names(source: str | bytes, filename: str = "<workflow>") -> Iterator[tuple[str, int, str]]:
    """Yield ``(kind, line, name)`` for every literal metric (``"metric"``) or evaluator name.

    Only calls of an attribute (``self.evaluate_model(...)``) are considered.
    """
    try:
        tree = ast.parse(source, filename=filename)
    except (SyntaxError, ValueError):
        return
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        attr = node.func.attr
        if attr in METRIC_ARGUMENTS:
            for name in _literals(_argument(node, *METRIC_ARGUMENTS[attr])):
                yield "metric", node.lineno, name
        elif attr == EVALUATOR_ARGUMENT[0]:
            for name in _literals(_argument(node, *EVALUATOR_ARGUMENT[1:])):
                yield "evaluator", node.lineno, name


def check_workflow_names(source: str | bytes, filename: str, metrics: Any, evaluators: Any,
                         report: Callable[[RerunError], None] | None = None) -> int:
    """Look every literal metric and evaluator name up; return how many were looked up.

    An unknown name is a RerunError ``"<file>:<line>: unknown metric ..."``: raised
    (the first one) or, with ``report``, passed to it and the scan goes on.

    Parameters
    ----------
    source : str or bytes
        The workflow file's source.
    filename : str
        Its project-relative path, for the message.
    metrics : MetricManager or None
        Looks metric names up (``get_metric``); ``None`` skips metric names.
    evaluators : EvaluatorRegistry or None
        Looks evaluator names up (``get``); ``None`` skips evaluator names.
    report : callable, optional
        Receives each error instead of it being raised.
    """
    lookups: dict[str, Callable[[str], Any] | None] = {
        "metric": metrics.get_metric if metrics is not None else None,
        "evaluator": evaluators.get if evaluators is not None else None,
    }
    count = 0
    for kind, line, name in literal_names(source, filename):
        get = lookups[kind]
        if get is None:
            continue
        count += 1
        try:
            get(name)
        except RerunError as exc:
            error = RerunError(f"{filename}:{line}: {exc.message}", hint=exc.hint)
            if report is None:
                raise error from None
            report(error)
    return count
