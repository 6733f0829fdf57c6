"""The ``Workflow`` base class users subclass in ``workflows/<name>.py``."""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rerun_git.errors import RerunError

if TYPE_CHECKING:
    from rerun_git.experiment.algorithms import AlgorithmWrapper
    from rerun_git.experiment.data import DataSplit
    from rerun_git.experiment.evaluators import EvaluatorRegistry
    from rerun_git.experiment.metrics import MetricManager
    from rerun_git.experiment.plot_settings import PlotSettings

_STEM = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")

Recorder = Callable[[str, dict[str, float]], None]


def check_filename(filename: Any) -> str:
    """Return ``filename`` when it is a plain file stem, else raise RerunError."""
    if not isinstance(filename, str) or not _STEM.match(filename) or ".." in filename:
        raise RerunError(f"invalid result filename {filename!r}",
                         hint="use a plain file stem such as 'test_scores' (no '/', no '..')")
    return filename


class Workflow:
    """Base class of an experiment workflow; implement :meth:`workflow`.

    Parameters
    ----------
    algorithm : AlgorithmWrapper
        The algorithm this run trains.
    metric_manager : MetricManager
        The project's metrics.
    evaluators : EvaluatorRegistry
        The project's evaluators.
    output_dir : Path
        Where this run writes its results.
    record : callable
        ``record(filename, {metric_abbr: value})`` adds a row to the metric table.
    seed : int, optional
        The run's seed (also the model's random_state unless set).
    workflow_args : dict, optional
        Extra values set as attributes of the workflow.
    plot_settings : PlotSettings, optional
        Figure settings.
    """

    def __init__(
        self,
        algorithm: AlgorithmWrapper,
        metric_manager: MetricManager,
        evaluators: EvaluatorRegistry,
        output_dir: Path,
        record: Recorder,
        seed: int | None = None,
        workflow_args: dict[str, Any] | None = None,
        plot_settings: PlotSettings | None = None,
    ) -> None:
        self.algorithm = algorithm
        self.metric_manager = metric_manager
        self.evaluators = evaluators
        self.output_dir = Path(output_dir)
        self._record = record
        self.seed = seed
        self.workflow_args = dict(workflow_args or {})
        self.plot_settings = plot_settings
        self.model = algorithm.instantiate(seed)
        for name, value in self.workflow_args.items():
            check_workflow_arg(type(self), name)
            setattr(self, name, value)

    def workflow(self, X_train: Any, X_test: Any, y_train: Any, y_test: Any,
                 output_dir: Path, feature_names: list[str]) -> None:
        """Train and evaluate; subclasses must implement this."""
        raise NotImplementedError(f"{type(self).__name__} must implement workflow()")

    def run(self, split: DataSplit) -> None:
        """Run :meth:`workflow` on one data split."""
        self.X_train, self.X_test = split.X_train, split.X_test
        self.y_train, self.y_test = split.y_train, split.y_test
        self.feature_names = list(split.feature_names)
        self.output_dir.mkdir(parents=True, exist_ok=True)
        self.workflow(self.X_train, self.X_test, self.y_train, self.y_test,
                      self.output_dir, self.feature_names)

    # -- helpers
    def _write_json(self, filename: str, data: dict[str, Any]) -> Path:
        path = self.output_dir / f"{check_filename(filename)}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, sort_keys=True, indent=2) + "\n", encoding="utf-8")
        return path

    def evaluate_model(self, model: Any, X: Any, y: Any, metrics: Sequence[str], filename: str) -> dict[str, float]:
        """Score ``model.predict(X)`` on each metric, write ``<filename>.json`` and record.

        Parameters
        ----------
        model : estimator
            A fitted model.
        X, y : array-like
            Features and true target.
        metrics : list of str
            Metric names, abbreviations or display names.
        filename : str
            Plain file stem for the JSON file and the metric-table row.

        Returns
        -------
        dict
            ``{metric_abbr: value}``.
        """
        check_filename(filename)
        if isinstance(metrics, str):
            metrics = [metrics]
        wrappers = [self.metric_manager.get_metric(m) for m in metrics]
        predictions = model.predict(X)
        scores = {w.key: w.compute(y, predictions) for w in wrappers}
        self._write_json(filename, {(w.display_name or w.key): scores[w.key] for w in wrappers})
        self._record(filename, dict(scores))
        return scores

    def save_model(self, model: Any, filename: str) -> Path:
        """Save ``model`` with joblib to ``<output_dir>/<filename>.pkl``; return the path."""
        import joblib

        path = self.output_dir / f"{check_filename(filename)}.pkl"
        path.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump(model, path)
        return path

    def run_evaluator(self, name: str, model: Any, X: Any, y: Any, filename: str) -> dict[str, float] | Path:
        """Run a registered evaluator.

        A ``measure`` evaluator's numbers are written to ``<filename>.json`` and
        recorded (returned as a dict); a ``plot`` evaluator writes
        ``<filename>.<file_format>`` (its path is returned).
        """
        check_filename(filename)
        evaluator = self.evaluators.get(name)
        if evaluator.kind == "plot":
            fmt = self.plot_settings.file_format if self.plot_settings is not None else "png"
            path = self.output_dir / f"{filename}.{fmt}"
            path.parent.mkdir(parents=True, exist_ok=True)
            evaluator.func(model, X, y, path)
            return path
        values = _as_measures(name, evaluator.func(model, X, y))
        self._write_json(filename, values)
        self._record(filename, dict(values))
        return values


def _as_measures(name: str, result: Any) -> dict[str, float]:
    items = result.items() if isinstance(result, dict) else [(name, result)]
    try:
        return {str(k): float(v) for k, v in items}
    except (TypeError, ValueError) as exc:
        raise RerunError(f"evaluator {name!r} returned {result!r}",
                         hint="a measure evaluator returns a number or a dict of numbers") from exc


def check_workflow_arg(cls: type, name: Any) -> None:
    """Raise RerunError when ``name`` cannot be a workflow attribute of ``cls``."""
    reserved = {"X_train", "X_test", "y_train", "y_test", "feature_names", "model", "algorithm",
                "metric_manager", "evaluators", "output_dir", "seed", "workflow_args", "plot_settings"}
    if not isinstance(name, str) or not name.isidentifier() or name.startswith("_") \
            or name in reserved or hasattr(cls, name):
        raise RerunError(f"invalid workflow argument name {name!r}",
                         hint="workflow_args keys must be identifiers that do not shadow Workflow attributes")
