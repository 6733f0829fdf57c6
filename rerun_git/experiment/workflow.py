"""The ``Workflow`` base class users subclass in ``workflows/<name>.py``."""
from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from rerun_git.errors import RerunError
from rerun_git.experiment._params import check_choice

if TYPE_CHECKING:
    from rerun_git.experiment.algorithms import AlgorithmCollection, AlgorithmWrapper
    from rerun_git.experiment.data import DataSplit
    from rerun_git.experiment.evaluators import EvaluatorRegistry
    from rerun_git.experiment.metrics import MetricManager, MetricWrapper
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
    algorithm : AlgorithmWrapper or sequence of AlgorithmWrapper
        The algorithm this run trains (``self.model``); for a Brisk multi-algorithm
        experiment, several: ``self.model``, ``self.model2``, ``self.model3``, ...
        (``self.algorithm`` is the first, ``self.experiment_algorithms`` all of them).
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
    algorithms : AlgorithmCollection, optional
        The project's algorithms (display names of compared models).
    """

    def __init__(
        self,
        algorithm: AlgorithmWrapper | Sequence[AlgorithmWrapper],
        metric_manager: MetricManager,
        evaluators: EvaluatorRegistry,
        output_dir: Path,
        record: Recorder,
        seed: int | None = None,
        workflow_args: dict[str, Any] | None = None,
        plot_settings: PlotSettings | None = None,
        algorithms: AlgorithmCollection | None = None,
    ) -> None:
        wrappers = tuple(algorithm) if isinstance(algorithm, (list, tuple)) else (algorithm,)
        if not wrappers:
            raise RerunError("a workflow needs at least one algorithm", hint="name one in the experiment group")
        self.experiment_algorithms = wrappers
        self.algorithm = wrappers[0]
        self.algorithms = algorithms
        self.algorithm_names = [w.name for w in wrappers]
        self.split_metadata: dict[str, Any] = {}
        self.metric_manager = metric_manager
        self.evaluators = evaluators
        self.output_dir = Path(output_dir)
        self._record = record
        self.seed = seed
        self.workflow_args = dict(workflow_args or {})
        self.plot_settings = plot_settings
        for name, wrapper in zip(model_attributes(len(wrappers)), wrappers):
            setattr(self, name, wrapper.instantiate(seed))
        for name, value in self.workflow_args.items():
            check_workflow_arg(type(self), name)
            setattr(self, name, value)

    @property
    def evaluation_manager(self) -> Any:
        """Brisk's ``self.evaluation_manager``: ``get_evaluator(name)`` for custom and built-in evaluators."""
        from rerun_git.experiment.evaluators import EvaluationManager

        return EvaluationManager(self, self.evaluators)

    def workflow(self, X_train: Any, X_test: Any, y_train: Any, y_test: Any,
                 output_dir: Path, feature_names: list[str]) -> None:
        """Train and evaluate; subclasses must implement this."""
        raise NotImplementedError(f"{type(self).__name__} must implement workflow()")

    def run(self, split: DataSplit) -> None:
        """Run :meth:`workflow` on one data split."""
        self.X_train, self.X_test = split.X_train, split.X_test
        self.y_train, self.y_test = split.y_train, split.y_test
        for part, is_test in ((self.X_train, False), (self.y_train, False), (self.X_test, True), (self.y_test, True)):
            part.attrs["is_test"] = is_test
        self.feature_names = list(split.feature_names)
        self.split_metadata = {"num_features": len(split.X_train.columns),
                               "num_samples": len(split.X_train) + len(split.X_test)}
        self._groups = (split.groups_train, split.groups_test)
        self.output_dir.mkdir(parents=True, exist_ok=True)
        self.workflow(self.X_train, self.X_test, self.y_train, self.y_test,
                      self.output_dir, self.feature_names)

    # -- helpers
    def _write_json(self, filename: str, data: dict[str, Any], models: Any = None, X: Any = None,
                    method: str = "") -> Path:
        """Write ``<filename>.json``; with ``method``, Brisk's ``_metadata`` block is added."""
        path = self.output_dir / f"{check_filename(filename)}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        if method:
            data = {**data, "_metadata": self._metadata(method, models, X)}
        path.write_text(json.dumps(data, indent=4) + "\n", encoding="utf-8")
        return path

    def plot_path(self, filename: str) -> Path:
        """``<output_dir>/<filename>.<file_format>``, its folder created (for plot evaluators)."""
        fmt = self.plot_settings.file_format if self.plot_settings is not None else "png"
        path = self.output_dir / f"{check_filename(filename)}.{fmt}"
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def _metadata(self, method: str, models: Any, X: Any) -> dict[str, Any]:
        """Brisk's ``_metadata`` (without its wall-clock timestamp, so results stay reproducible)."""
        listed = list(models) if isinstance(models, (list, tuple)) else [models]
        return {"method": method, "type": "model",
                "models": dict(self._model_name(m) for m in listed),
                "is_test": str(_is_test(X))}

    def _model_name(self, model: Any) -> tuple[str, str]:
        """``(algorithm name, display name)`` of a model built from one of the project's algorithms."""
        name = getattr(model, "wrapper_name", None)
        if name is None:  # built in the workflow, not from an algorithm: named by its class
            return type(model).__name__, type(model).__name__
        wrapper = self._algorithm_named(name)
        return (name, wrapper.display_name) if wrapper is not None else (str(name), str(name))

    def _wrapper_of(self, model: Any) -> AlgorithmWrapper:
        """The algorithm ``model`` was built from (``self.algorithm`` when it names none of the experiment's)."""
        return self._algorithm_named(getattr(model, "wrapper_name", None)) or self.algorithm

    def _algorithm_named(self, name: Any) -> AlgorithmWrapper | None:
        """The experiment's algorithm called ``name``, else the project's, else None."""
        for wrapper in self.experiment_algorithms:
            if wrapper.name == name:
                return wrapper
        if name is not None and self.algorithms is not None and name in self.algorithms:
            return self.algorithms[name]
        return None

    def _score(self, wrapper: MetricWrapper, y: Any, predictions: Any) -> Any:
        return wrapper.compute(y, predictions, self.split_metadata)

    def _cv_splitter(self, y: Any, n_splits: int, n_repeats: int | None = None) -> tuple[Any, Any]:
        """Brisk's CV splitter for ``y``, and the groups to pass with it.

        (Stratified)KFold, unshuffled, stratified when fewer than 5% of the values
        are distinct (Brisk's rule); Repeated(Stratified)KFold seeded with the run's
        seed when ``n_repeats`` is given; (Stratified)GroupKFold on the group values
        when the data has a group column.
        """
        from sklearn import model_selection as ms

        series = pd_series(y)
        categorical = series.nunique() / len(series) < 0.05
        groups = self._groups[1 if _is_test(y) else 0] if hasattr(self, "_groups") else None
        if groups is not None:
            cls = ms.StratifiedGroupKFold if categorical else ms.GroupKFold
            return cls(n_splits=n_splits), groups
        if n_repeats:
            cls = ms.RepeatedStratifiedKFold if categorical else ms.RepeatedKFold
            return cls(n_splits=n_splits, n_repeats=n_repeats, random_state=self.seed), None
        return (ms.StratifiedKFold if categorical else ms.KFold)(n_splits=n_splits), None

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
        scores = {w.key: self._score(w, y, predictions) for w in wrappers}
        self._write_json(filename, {(w.display_name or w.key): scores[w.key] for w in wrappers},
                         model, X, "brisk_evaluate_model")
        self._record(filename, _numbers(scores))
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

    # -- Brisk's workflow helpers
    def _metric_list(self, metrics: Sequence[str] | str) -> list[MetricWrapper]:
        names = [metrics] if isinstance(metrics, str) else list(metrics)
        if not names:
            raise RerunError("no metrics given", hint="name at least one metric, e.g. ['MAE']")
        return [self.metric_manager.get_metric(m) for m in names]

    def _scorer(self, wrapper: MetricWrapper) -> MetricScorer:
        """Brisk's scorer: the metric, negated when smaller is better."""
        return MetricScorer(wrapper, 1.0 if wrapper.greater_is_better else -1.0, self.split_metadata)

    def evaluate_model_cv(self, model: Any, X: Any, y: Any, metrics: Sequence[str], filename: str,
                          cv: Any = 5, n_jobs: int | None = None) -> dict[str, float]:
        """Cross-validate ``model`` on each metric, write ``<filename>.json`` and record the means.

        Parameters
        ----------
        model : estimator
            An estimator (cloned and refitted on every fold).
        X, y : array-like
            Features and target.
        metrics : list of str
            Metric names, abbreviations or display names.
        filename : str
            Plain file stem for the JSON file and the metric-table row.
        cv : int or splitter
            Folds, split as Brisk does (see :meth:`_cv_splitter`), or a scikit-learn splitter.
        n_jobs : int, optional
            Parallel folds; results do not depend on it.

        Returns
        -------
        dict
            ``{metric_abbr: mean score}``; as in Brisk, a loss (``greater_is_better=False``)
            is reported negated, e.g. ``-MAE``.
        """
        from sklearn.model_selection import cross_validate

        check_filename(filename)
        wrappers = self._metric_list(metrics)
        groups = None
        if isinstance(cv, int):
            cv, groups = self._cv_splitter(y, _check_int(cv, 2, "cv"))
        scoring = {w.key: self._scorer(w) for w in wrappers}
        result = cross_validate(model, X, y, groups=groups, scoring=scoring, cv=cv, n_jobs=n_jobs,
                                error_score="raise")
        scores = {w.key: [float(v) for v in result[f"test_{w.key}"]] for w in wrappers}
        means = {key: float(np.mean(values)) for key, values in scores.items()}
        self._write_json(filename, {
            (w.display_name or w.key): {
                "mean_score": means[w.key],
                "std_dev": float(np.std(scores[w.key])),
                "all_scores": scores[w.key],
            } for w in wrappers
        }, model, X, "brisk_evaluate_model_cv")
        self._record(filename, dict(means))
        return means

    def hyperparameter_tuning(self, model: Any, method: str, X_train: Any, y_train: Any, scorer: str,
                              kf: int, num_rep: int, n_jobs: int | None = None, plot_results: bool = False,
                              n_iter: int = 10, filename: str = "hyperparameter_tuning") -> Any:
        """Search the algorithm's ``hyperparam_grid`` with repeated k-fold; return the best model.

        The folds are Brisk's (:meth:`_cv_splitter`) with ``num_rep`` repetitions seeded
        with the run's seed, and a random search samples with the same seed, so the
        chosen parameters depend only on the run's seed (not on ``n_jobs``). An empty
        grid is one candidate (the default parameters). The choice is written to
        ``<filename>.json``; the best cross-validated score is recorded.

        Parameters
        ----------
        model : estimator
            The estimator to tune (usually ``self.model``).
        method : {"grid", "random"}
            ``GridSearchCV`` or ``RandomizedSearchCV`` (as :mod:`rerun_git.experiment.search`
            runs them: the same results, dispatched in linear time).
        X_train, y_train : array-like
            Training data.
        scorer : str
            A metric name, abbreviation or display name.
        kf : int
            Folds per repetition (>= 2).
        num_rep : int
            Repetitions (>= 1).
        n_jobs : int, optional
            Parallel fits.
        plot_results : bool
            Also plot the mean score of every candidate (``<filename>.<format>``).
        n_iter : int
            Candidates sampled by the random search (at most the grid size).
        filename : str
            File stem of the JSON file, the plot and the metric-table row.

        Returns
        -------
        estimator
            The best estimator, refitted on all of ``X_train``.
        """
        from rerun_git.experiment.search import GridSearch, RandomizedSearch

        check_choice(method, ("grid", "random"), "hyperparameter_tuning method")
        check_filename(filename)
        metric = self._metric_list([scorer])[0]
        wrapper = self._wrapper_of(model)
        grid = check_param_grid(model, wrapper.hyperparam_grid, f"algorithm {wrapper.name!r}")
        cv, groups = self._cv_splitter(y_train, _check_int(kf, 2, "kf"), _check_int(num_rep, 1, "num_rep"))
        sign = 1.0 if metric.greater_is_better else -1.0
        common: dict[str, Any] = {"scoring": self._scorer(metric), "cv": cv, "n_jobs": n_jobs,
                                  "refit": True, "error_score": np.nan}  # Brisk: failing candidates are skipped
        if method == "grid" or not grid:
            search = GridSearch(model, grid, **common)
        else:
            size = int(np.prod([len(v) for v in grid.values()]))
            n = min(_check_int(n_iter, 1, "n_iter"), size)
            search = RandomizedSearch(model, grid, n_iter=n, random_state=self.seed, **common)
        search.fit(X_train, y_train, groups=groups)
        best_score = sign * float(search.best_score_)
        self._write_json(filename, {
            "method": method,
            "scorer": metric.display_name or metric.key,
            "best_params": _jsonable(search.best_params_),
            "best_score": best_score,
            "n_candidates": len(search.cv_results_["params"]),
            "cv": {"type": type(cv).__name__, "n_splits": kf, "n_repeats": num_rep, "random_state": self.seed},
        })
        self._record(filename, {metric.key: best_score})
        best = search.best_estimator_
        best.wrapper_name = getattr(model, "wrapper_name", self.algorithm.name)
        if plot_results and grid:
            self._plot_tuning(filename, search, metric)
        return best

    def _plot_tuning(self, filename: str, search: Any, metric: MetricWrapper) -> Path:
        plotting = self._plotting()
        scores = np.asarray(search.cv_results_["mean_test_score"], dtype=float)
        label = metric.display_name or metric.key
        return self._save_plot(filename, lambda ax, s: plotting.draw_tuning(ax, scores, label, s))

    def compare_models(self, *models: Any, X: Any, y: Any, metrics: Sequence[str], filename: str,
                       calculate_diff: bool = False) -> dict[str, dict[str, float]]:
        """Score several fitted models on the same data; write ``<filename>.json`` and record.

        As in Brisk, models are named by their algorithm's display name (a model
        built in the workflow by its class; repeats get ``_2``, ``_3``), and
        ``calculate_diff`` adds ``"B - A"`` for every pair; the metric-table row
        holds ``"<model>.<metric>"``.

        Returns
        -------
        dict
            ``{model name: {metric_abbr: value}}``.
        """
        check_filename(filename)
        if not models:
            raise RerunError("compare_models needs at least one model", hint="pass fitted models")
        wrappers = self._metric_list(metrics)
        results: dict[str, dict[str, Any]] = {}
        for model in models:
            name = base = self._model_name(model)[1]
            k = 1
            while name in results:  # the same algorithm twice: "Ridge", "Ridge_2"
                k += 1
                name = f"{base}_{k}"
            predictions = model.predict(X)
            results[name] = {w.key: self._score(w, y, predictions) for w in wrappers}
        data: dict[str, Any] = {
            name: {(w.display_name or w.key): values[w.key] for w in wrappers} for name, values in results.items()
        }
        if calculate_diff and len(results) > 1:
            pairs = list(itertools.combinations(results, 2))
            data["differences"] = {
                (w.display_name or w.key): {f"{b} - {a}": results[b][w.key] - results[a][w.key] for a, b in pairs}
                for w in wrappers
            }
        self._write_json(filename, data, list(models), X, "brisk_compare_models")
        self._record(filename, _numbers({f"{name}.{key}": value for name, vals in results.items()
                                         for key, value in vals.items()}))
        return results

    def confusion_matrix(self, model: Any, X: Any, y: Any, filename: str) -> dict[str, Any]:
        """Write the confusion matrix of ``model.predict(X)`` to ``<filename>.json`` (Brisk's keys)."""
        from sklearn.metrics import confusion_matrix

        check_filename(filename)
        y_pred = model.predict(X)
        labels = sorted(set(np.asarray(y).tolist()) | set(np.asarray(y_pred).tolist()), key=str)
        data = {"confusion_matrix": confusion_matrix(y, y_pred, labels=labels).tolist(),
                "labels": [_jsonable(label) for label in labels]}
        self._write_json(filename, data, model, X, "brisk_confusion_matrix")
        return data

    def load_model(self, path: str | Path) -> Any:
        """Load a model saved with :meth:`save_model` (a relative path is under ``output_dir``)."""
        import joblib

        target = Path(path)
        if not target.is_absolute():
            target = self.output_dir / target
        if not target.exists() and not target.suffix:
            target = target.with_suffix(".pkl")
        if not target.is_file():
            raise RerunError(f"no saved model at {target}", hint="save it first with self.save_model(model, 'name')")
        return joblib.load(target)

    # -- plots (the optional ``plots`` extra)
    @staticmethod
    def plots_available() -> bool:
        """Whether matplotlib is installed (the ``rerun-git[plots]`` extra)."""
        from rerun_git.experiment.plotting import matplotlib_available

        return matplotlib_available()

    def _plotting(self) -> Any:
        from rerun_git.experiment import plotting

        plotting.require_matplotlib()
        return plotting

    def _save_plot(self, filename: str, draw: Callable[[Any, PlotSettings], None]) -> Path:
        from rerun_git.experiment.plot_settings import PlotSettings

        plotting = self._plotting()
        settings = self.plot_settings or PlotSettings()
        path = self.output_dir / f"{check_filename(filename)}.{settings.file_format.lower()}"
        fig, ax = plotting.new_figure(settings)
        draw(ax, settings)
        fig.tight_layout()
        return plotting.save_figure(fig, path, settings)

    def plot_pred_vs_obs(self, model: Any, X: Any, y_true: Any, filename: str = "pred_vs_obs") -> Path:
        """Scatter predicted against observed values; write ``<filename>.<format>``."""
        plotting = self._plotting()
        check_filename(filename)
        y_pred = model.predict(X)
        return self._save_plot(filename, lambda ax, s: plotting.draw_pred_vs_obs(ax, y_true, y_pred, s))

    def plot_residuals(self, model: Any, X: Any, y: Any, filename: str = "residuals",
                       add_fit_line: bool = False) -> Path:
        """Scatter residuals against predictions (optionally with a fitted line)."""
        plotting = self._plotting()
        check_filename(filename)
        y_pred = np.asarray(model.predict(X), dtype=float)
        residuals = np.asarray(y, dtype=float) - y_pred
        return self._save_plot(filename, lambda ax, s: plotting.draw_residuals(ax, y_pred, residuals, s, add_fit_line))

    def plot_learning_curve(self, model: Any, X_train: Any, y_train: Any, filename: str = "learning_curve",
                            cv: int = 5, num_repeats: int = 1, n_jobs: int | None = -1,
                            metric: str = "neg_mean_absolute_error") -> Path:
        """Learning curve over five training sizes (Brisk's argument order and default metric).

        When the default metric is not among the project's metrics (Brisk's own
        classification template), the first metric is used instead of failing.
        """
        from sklearn.model_selection import learning_curve

        plotting = self._plotting()
        check_filename(filename)
        if metric == "neg_mean_absolute_error" and not self.metric_manager.has(metric):
            wrapper = self._first_metric()
        else:
            wrapper = self._metric_list([metric])[0]
        splitter, groups = self._cv_splitter(y_train, _check_int(cv, 2, "cv"),
                                             _check_int(num_repeats, 1, "num_repeats"))
        sizes, train, test = learning_curve(model, X_train, y_train, cv=splitter, groups=groups,
                                            scoring=self._scorer(wrapper), n_jobs=n_jobs,
                                            train_sizes=np.linspace(0.1, 1.0, 5))
        label = wrapper.display_name or wrapper.key
        return self._save_plot(filename, lambda ax, s: plotting.draw_learning_curve(ax, sizes, train, test, label, s))

    def plot_model_comparison(self, *models: Any, X: Any, y: Any, metric: str, filename: str) -> Path:
        """Bar chart of one metric for several fitted models (named by display name)."""
        plotting = self._plotting()
        check_filename(filename)
        wrapper = self._metric_list([metric])[0]
        names = [self._model_name(m)[1] for m in models]
        values = [float(self._score(wrapper, y, m.predict(X))) for m in models]
        label = wrapper.display_name or wrapper.key
        return self._save_plot(filename, lambda ax, s: plotting.draw_model_comparison(ax, names, values, label, s))

    def plot_precision_recall_curve(self, model: Any, X: Any, y: Any, filename: str = "precision_recall_curve",
                                    pos_label: Any = 1) -> Path:
        """Precision-recall curve and average precision of a binary classifier."""
        from sklearn.metrics import average_precision_score, precision_recall_curve

        plotting = self._plotting()
        check_filename(filename)
        scores = _positive_scores(model, X, pos_label)
        precision, recall, _ = precision_recall_curve(y, scores, pos_label=pos_label)
        ap = float(average_precision_score(y, scores, pos_label=pos_label))
        return self._save_plot(filename, lambda ax, s: plotting.draw_precision_recall(ax, recall, precision, ap, s))

    def plot_shapley_values(self, model: Any, X: Any, y: Any, filename: str = "shapley_values",
                            plot_type: str = "bar") -> Path:
        """Mean |SHAP value| per feature (needs the ``shap`` extra: ``pip install 'rerun-git[shap]'``)."""
        import importlib.util

        check_choice(plot_type, ("bar",), "plot_shapley_values plot_type")
        if importlib.util.find_spec("shap") is None:
            raise RerunError("plot_shapley_values needs the shap package",
                             hint="pip install 'rerun-git[shap]'")
        import shap

        plotting = self._plotting()
        check_filename(filename)
        explainer = shap.Explainer(model.predict, X, seed=self.seed)
        values = np.abs(np.asarray(explainer(X).values, dtype=float)).mean(axis=0)
        names = _feature_names(X, None)
        return self._save_plot(filename, lambda ax, s: plotting.draw_model_comparison(
            ax, names, list(values), "mean |SHAP value|", s))

    def _first_metric(self) -> MetricWrapper:
        for wrapper in self.metric_manager:
            return wrapper
        raise RerunError("the MetricManager has no metrics", hint="add metrics in metrics.py")

    def plot_feature_importance(self, model: Any, X: Any, y: Any, threshold: int | float = 10,
                                feature_names: list[str] | None = None, filename: str = "feature_importance",
                                metric: str | None = None, num_rep: int = 5) -> Path:
        """Permutation importance (seeded with the run's seed) of the top features.

        ``threshold`` is a number of features (int) or a fraction of them (float in (0, 1]).
        """
        from sklearn.inspection import permutation_importance

        plotting = self._plotting()
        check_filename(filename)
        wrapper = self._metric_list([metric])[0] if metric is not None else self._first_metric()
        names = _feature_names(X, feature_names)
        keep = _top_count(threshold, len(names))
        sign = 1.0 if wrapper.greater_is_better else -1.0
        result = permutation_importance(model, X, y, scoring=MetricScorer(wrapper, sign),
                                        n_repeats=_check_int(num_rep, 1, "num_rep"), random_state=self.seed)
        order = np.argsort(-result.importances_mean, kind="stable")[:keep]
        top, values = [str(names[i]) for i in order], result.importances_mean[order]
        label = wrapper.display_name or wrapper.key
        return self._save_plot(filename, lambda ax, s: plotting.draw_feature_importance(ax, top, values, label, s))

    def plot_confusion_heatmap(self, model: Any, X: Any, y: Any, filename: str = "confusion_matrix") -> Path:
        """Confusion matrix heatmap with counts and row percentages (classification)."""
        from sklearn.metrics import confusion_matrix

        plotting = self._plotting()
        check_filename(filename)
        y_pred = model.predict(X)
        labels = sorted(set(np.asarray(y).tolist()) | set(np.asarray(y_pred).tolist()), key=str)
        matrix = confusion_matrix(y, y_pred, labels=labels)
        names = [str(label) for label in labels]
        return self._save_plot(filename, lambda ax, s: plotting.draw_confusion_heatmap(ax, matrix, names, s))

    def plot_roc_curve(self, model: Any, X: Any, y: Any, filename: str = "roc_curve", pos_label: Any = 1) -> Path:
        """ROC curve and AUC of a binary classifier (``predict_proba`` or ``decision_function``)."""
        from sklearn.metrics import auc, roc_curve

        plotting = self._plotting()
        check_filename(filename)
        scores = _positive_scores(model, X, pos_label)
        fpr, tpr, _ = roc_curve(y, scores, pos_label=pos_label)
        area = float(auc(fpr, tpr))
        return self._save_plot(filename, lambda ax, s: plotting.draw_roc_curve(ax, fpr, tpr, area, s))


class MetricScorer:
    """A picklable scikit-learn scorer: ``sign * metric(y, estimator.predict(X))``.

    Parameters
    ----------
    metric : MetricWrapper
        The metric to compute.
    sign : float
        ``-1.0`` turns a loss into a score to maximise (tuning), ``1.0`` keeps the value.
    """

    def __init__(self, metric: MetricWrapper, sign: float = 1.0,
                 split_metadata: dict[str, Any] | None = None) -> None:
        self.metric = metric
        self.sign = sign
        self.split_metadata = split_metadata

    def __call__(self, estimator: Any, X: Any, y: Any) -> float:
        return self.sign * self.metric.compute(y, estimator.predict(X), self.split_metadata)


def _is_test(data: Any) -> bool:
    return bool(getattr(data, "attrs", {}).get("is_test", False))


def pd_series(y: Any) -> Any:
    """``y`` as a pandas Series (for Brisk's distinct-values rule)."""
    import pandas as pd

    return y if isinstance(y, pd.Series) else pd.Series(np.asarray(y).ravel())


def _numbers(scores: dict[str, Any]) -> dict[str, float]:
    """The scalar scores (the metric table holds numbers; curves stay in the JSON files)."""
    return {k: v for k, v in scores.items() if isinstance(v, float)}


def _check_int(value: Any, low: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise RerunError(f"invalid {what} {value!r}", hint=f"use an integer >= {low}")
    return value


def _jsonable(value: Any) -> Any:
    """Plain JSON data for chosen parameters: numpy scalars unwrapped, other objects as repr."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    item = getattr(value, "item", None)
    if callable(item) and type(value).__module__ == "numpy":
        return _jsonable(item())
    return repr(value)


def check_param_grid(estimator: Any, grid: Any, who: str) -> dict[str, list[Any]]:
    """Return ``grid`` when every key is a parameter of ``estimator`` and every value a non-empty list.

    ``None`` or ``{}`` is the empty grid: one candidate, the estimator as it is (as in Brisk).
    """
    if grid is None:
        return {}
    if not isinstance(grid, dict):
        raise RerunError(f"{who}: hyperparam_grid must be a dict",
                         hint="give AlgorithmWrapper(..., hyperparam_grid={'alpha': [0.1, 1.0]})")
    params = set(estimator.get_params(deep=True))
    unknown = sorted(str(k) for k in grid if k not in params)
    if unknown:
        raise RerunError(f"{who}: hyperparam_grid key(s) {', '.join(unknown)} are not parameters of "
                         f"{type(estimator).__name__}", hint=f"parameters: {', '.join(sorted(params))}")
    for key, values in grid.items():
        if not isinstance(values, (list, tuple, np.ndarray)) or len(values) == 0:
            raise RerunError(f"{who}: hyperparam_grid[{key!r}] must be a non-empty list", hint=f"got {values!r}")
    return {k: list(v) for k, v in grid.items()}


def _as_measures(name: str, result: Any) -> dict[str, float]:
    items = result.items() if isinstance(result, dict) else [(name, result)]
    try:
        return {str(k): float(v) for k, v in items}
    except (TypeError, ValueError) as exc:
        raise RerunError(f"evaluator {name!r} returned {result!r}",
                         hint="a measure evaluator returns a number or a dict of numbers") from exc


def _feature_names(X: Any, given: list[str] | None) -> list[str]:
    width = np.shape(X)[1]
    if given is not None:
        if len(given) != width:
            raise RerunError(f"feature_names has {len(given)} names but X has {width} columns",
                             hint="pass one name per column, or leave feature_names out")
        return [str(n) for n in given]
    if hasattr(X, "columns"):
        return [str(c) for c in X.columns]
    return [f"x{i}" for i in range(width)]


def _top_count(threshold: Any, total: int) -> int:
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or threshold <= 0 or (
            isinstance(threshold, float) and threshold > 1):
        raise RerunError(f"invalid threshold {threshold!r}",
                         hint="give a number of features (int >= 1) or a fraction in (0, 1]")
    if isinstance(threshold, float):
        return max(1, int(np.ceil(threshold * total)))
    return min(threshold, total)


def _positive_scores(model: Any, X: Any, pos_label: Any) -> Any:
    classes = list(getattr(model, "classes_", []))
    if len(classes) != 2:
        raise RerunError(f"plot_roc_curve needs a binary classifier; the model has {len(classes)} classes",
                         hint="use plot_confusion_heatmap for multiclass targets")
    if pos_label not in classes:
        raise RerunError(f"pos_label {pos_label!r} is not a class of the model",
                         hint=f"classes: {', '.join(map(str, classes))}")
    if hasattr(model, "predict_proba"):
        return np.asarray(model.predict_proba(X))[:, classes.index(pos_label)]
    if hasattr(model, "decision_function"):
        scores = np.asarray(model.decision_function(X), dtype=float)
        return scores if classes.index(pos_label) == 1 else -scores
    raise RerunError(f"{type(model).__name__} has neither predict_proba nor decision_function",
                     hint="plot_roc_curve needs class scores")


def model_attributes(count: int) -> list[str]:
    """Brisk's names of an experiment's models: ``model``, ``model2``, ``model3``, ..."""
    return ["model"] + [f"model{i}" for i in range(2, count + 1)]


_MODEL_ATTRIBUTE = re.compile(r"model[0-9]+")


def check_workflow_arg(cls: type, name: Any) -> None:
    """Raise RerunError when ``name`` cannot be a workflow attribute of ``cls``."""
    if isinstance(name, str) and _MODEL_ATTRIBUTE.fullmatch(name):
        raise RerunError(f"invalid workflow argument name {name!r}",
                         hint="model, model2, model3, ... are the experiment's models")
    reserved = {"evaluation_manager", "plot_path", "X_train", "X_test", "y_train", "y_test", "feature_names", "model", "algorithm", "algorithms",
                "algorithm_names", "experiment_algorithms", "split_metadata",
                "metric_manager", "evaluators", "output_dir", "seed", "workflow_args", "plot_settings"}
    if not isinstance(name, str) or not name.isidentifier() or name.startswith("_") \
            or name in reserved or hasattr(cls, name):
        raise RerunError(f"invalid workflow argument name {name!r}",
                         hint="workflow_args keys must be identifiers that do not shadow Workflow attributes")
