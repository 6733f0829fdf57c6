"""A registry of named evaluators run from workflows."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from rerun_git.errors import RerunError
from rerun_git.experiment._params import dotted_name

EVALUATOR_KINDS = ("measure", "plot")


class Evaluator:
    """One registered evaluator.

    Parameters
    ----------
    name : str
        Registry name.
    func : callable
        ``measure``: ``func(model, X, y) -> float | dict[str, float]``;
        ``plot``: ``func(model, X, y, path)`` writing a figure to ``path``.
    kind : {"measure", "plot"}
        What the evaluator produces.
    """

    def __init__(self, name: str, func: Callable[..., Any], kind: str = "measure") -> None:
        self.name = name
        self.func = func
        self.kind = kind

    def __repr__(self) -> str:
        return f"Evaluator(name={self.name!r}, kind={self.kind!r})"


class BaseEvaluator:
    """Brisk's evaluator base class: an object registered with ``registry.register(instance)``.

    A workflow reaches it with ``self.evaluation_manager.get_evaluator(method_name)``;
    it is then bound to that workflow (:attr:`metric_config`, the output folder).

    Parameters
    ----------
    method_name : str
        Registry name.
    description : str
        Free text.
    """

    def __init__(self, method_name: str, description: str = "") -> None:
        self.method_name = method_name
        self.description = description
        self.metric_config: Any = None
        self.workflow: Any = None
        self.primary_color, self.secondary_color, self.accent_color = "#1175D5", "#00A878", "#DE6B48"

    def bind(self, workflow: Any) -> BaseEvaluator:
        """Attach the running workflow; return ``self``."""
        self.workflow = workflow
        self.metric_config = workflow.metric_manager
        return self

    def _generate_prediction(self, model: Any, X: Any) -> Any:
        return model.predict(X)

    def _bound(self) -> Any:
        if self.workflow is None:
            raise RerunError(f"evaluator {self.method_name!r} is not bound to a workflow",
                             hint="call it through self.evaluation_manager.get_evaluator(...) in a workflow")
        return self.workflow


class MeasureEvaluator(BaseEvaluator):
    """Brisk's measure evaluator: implement ``calculate_measures(predictions, y_true, metrics)``.

    :meth:`evaluate` writes the returned ``{name: value}`` to ``<filename>.json``
    (with Brisk's ``_metadata``) and records its numbers in the metric table.
    """

    def calculate_measures(self, predictions: Any, y_true: Any, metrics: list[str]) -> dict[str, Any]:
        """Return ``{measure name: value}``; subclasses implement this."""
        raise NotImplementedError(f"{type(self).__name__} must implement calculate_measures()")

    def evaluate(self, model: Any, X: Any, y: Any, metrics: list[str], filename: str) -> dict[str, Any]:
        """Compute the measures of ``model`` on ``X, y``; write and record them."""
        workflow = self._bound()
        results = self.calculate_measures(self._generate_prediction(model, X), y, metrics)
        if not isinstance(results, dict):
            raise RerunError(f"evaluator {self.method_name!r}: calculate_measures returned {type(results).__name__}",
                             hint="return a dict {name: number}")
        workflow._write_json(filename, results, model, X, self.method_name)
        workflow._record(filename, {str(k): float(v) for k, v in results.items()
                                    if isinstance(v, (int, float)) and not isinstance(v, bool)})
        return results


class PlotEvaluator(BaseEvaluator):
    """Brisk's plot evaluator: implement ``generate_plot_data`` and ``_create_plot``.

    :meth:`plot` saves the figure ``_create_plot`` returns (a matplotlib Figure,
    or any object with ``save(path)`` such as a plotnine plot) to
    ``<filename>.<file_format>``.

    Parameters
    ----------
    method_name : str
        Registry name.
    description : str
        Free text.
    plot_settings : PlotSettings, optional
        Colours are taken from it.
    """

    def __init__(self, method_name: str, description: str = "", plot_settings: Any = None) -> None:
        super().__init__(method_name, description)
        self.plot_settings = plot_settings
        for name in ("primary_color", "secondary_color", "accent_color"):
            if hasattr(plot_settings, name):
                setattr(self, name, getattr(plot_settings, name))

    def generate_plot_data(self, model: Any, X: Any, y: Any, **kwargs: Any) -> Any:
        """Return what :meth:`_create_plot` draws; subclasses implement this."""
        raise NotImplementedError(f"{type(self).__name__} must implement generate_plot_data()")

    def _create_plot(self, plot_data: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement _create_plot()")

    def plot(self, model: Any, X: Any, y: Any, filename: str) -> Path:
        """Draw and save the plot; return its path."""
        workflow = self._bound()
        figure = self._create_plot(self.generate_plot_data(model, X, y))
        path = workflow.plot_path(filename)
        if hasattr(figure, "savefig"):
            figure.savefig(path)
            import matplotlib.pyplot as plt

            plt.close(figure)
        elif hasattr(figure, "save"):
            figure.save(str(path), verbose=False)
        else:
            raise RerunError(f"evaluator {self.method_name!r}: _create_plot returned {type(figure).__name__}",
                             hint="return a matplotlib Figure (or an object with save(path))")
        return path


#: Brisk's built-in evaluators: registry name -> (Workflow helper, Brisk's call method).
BUILTIN_EVALUATORS: dict[str, tuple[str, str]] = {
    "brisk_evaluate_model": ("evaluate_model", "evaluate"),
    "brisk_evaluate_model_cv": ("evaluate_model_cv", "evaluate"),
    "brisk_compare_models": ("compare_models", "evaluate"),
    "brisk_plot_learning_curve": ("plot_learning_curve", "plot"),
    "brisk_plot_feature_importance": ("plot_feature_importance", "plot"),
    "brisk_plot_model_comparison": ("plot_model_comparison", "plot"),
    "brisk_plot_shapley_values": ("plot_shapley_values", "plot"),
    "brisk_plot_pred_vs_obs": ("plot_pred_vs_obs", "plot"),
    "brisk_plot_residuals": ("plot_residuals", "plot"),
    "brisk_confusion_matrix": ("confusion_matrix", "evaluate"),
    "brisk_plot_confusion_heatmap": ("plot_confusion_heatmap", "plot"),
    "brisk_plot_roc_curve": ("plot_roc_curve", "plot"),
    "brisk_plot_precision_recall_curve": ("plot_precision_recall_curve", "plot"),
    "brisk_hyperparameter_tuning": ("hyperparameter_tuning", "evaluate"),
}


class BuiltinEvaluator(BaseEvaluator):
    """One of Brisk's built-in evaluators: ``evaluate``/``plot`` call the workflow's helper."""

    def __init__(self, method_name: str) -> None:
        super().__init__(method_name, f"Brisk's {method_name}")
        self.helper, call = BUILTIN_EVALUATORS[method_name]
        setattr(self, call, self._call)

    def _call(self, *args: Any, **kwargs: Any) -> Any:
        return getattr(self._bound(), self.helper)(*args, **kwargs)


class EvaluationManager:
    """What ``Workflow.evaluation_manager`` is: ``get_evaluator(name)`` bound to the workflow."""

    def __init__(self, workflow: Any, registry: EvaluatorRegistry | None) -> None:
        self.workflow = workflow
        self.registry = registry

    def get_evaluator(self, name: str) -> BaseEvaluator:
        """Return the custom (``registry.register(instance)``) or built-in evaluator ``name``."""
        if self.registry is not None and name in self.registry.instances:
            return self.registry.instances[name].bind(self.workflow)
        if name in BUILTIN_EVALUATORS:
            return BuiltinEvaluator(name).bind(self.workflow)
        known = sorted([*(self.registry.instances if self.registry is not None else {}), *BUILTIN_EVALUATORS])
        raise RerunError(f"unknown evaluator {name!r}", hint=f"known evaluators: {', '.join(known)}")

    def save_model(self, model: Any, filename: str) -> Path:
        """Brisk's ``evaluation_manager.save_model``."""
        return self.workflow.save_model(model, filename)


class EvaluatorRegistry:
    """Named evaluators; filled by the project's ``register_custom_evaluators``."""

    def __init__(self) -> None:
        self._evaluators: dict[str, Evaluator] = {}
        self.instances: dict[str, BaseEvaluator] = {}

    def register(self, name: str | BaseEvaluator, func: Callable[..., Any] | None = None,
                 kind: str = "measure") -> None:
        """Register ``func`` under ``name``, or (as in Brisk) an evaluator instance.

        Parameters
        ----------
        name : str or BaseEvaluator
            Unique evaluator name, or a :class:`MeasureEvaluator` / :class:`PlotEvaluator`
            instance (registered under its ``method_name``).
        func : callable
            The evaluator function (see :class:`Evaluator`).
        kind : {"measure", "plot"}
            ``measure`` returns numbers that are recorded; ``plot`` writes a file.
        """
        if isinstance(name, BaseEvaluator):
            self._register_instance(name)
            return
        if not isinstance(name, str) or not name:
            raise RerunError(f"invalid evaluator name {name!r}", hint="use a non-empty string")
        if name in self._evaluators or name in self.instances:
            raise RerunError(f"evaluator {name!r} registered twice", hint="give every evaluator a unique name")
        if not callable(func):
            raise RerunError(f"evaluator {name!r}: func is not callable", hint="pass a function")
        if kind not in EVALUATOR_KINDS:
            raise RerunError(f"evaluator {name!r}: invalid kind {kind!r}",
                             hint=f"choose one of {', '.join(EVALUATOR_KINDS)}")
        self._evaluators[name] = Evaluator(name, func, kind)

    def _register_instance(self, evaluator: BaseEvaluator) -> None:
        name = evaluator.method_name
        if not isinstance(name, str) or not name:
            raise RerunError(f"invalid evaluator method_name {name!r}", hint="use a non-empty string")
        if name in self._evaluators or name in self.instances:
            raise RerunError(f"evaluator {name!r} registered twice", hint="give every evaluator a unique name")
        self.instances[name] = evaluator

    def get(self, name: str) -> Evaluator:
        """Return the evaluator named ``name``."""
        try:
            return self._evaluators[name]
        except KeyError:
            known = ", ".join(self.names()) or "(none registered)"
            raise RerunError(f"unknown evaluator {name!r}", hint=f"known evaluators: {known}") from None

    def names(self) -> list[str]:
        """Return the registered names (functions, then instances) in registration order."""
        return [*self._evaluators, *self.instances]

    def __contains__(self, name: object) -> bool:
        return name in self._evaluators or name in self.instances

    def __len__(self) -> int:
        return len(self._evaluators) + len(self.instances)

    def export_params(self) -> dict[str, dict[str, str]]:
        """Return ``{name: {"func": "module.qualname", "kind": kind}}`` (instances: their class)."""
        out = {n: {"func": dotted_name(e.func), "kind": e.kind} for n, e in self._evaluators.items()}
        for name, instance in self.instances.items():
            kind = "plot" if isinstance(instance, PlotEvaluator) else "measure"
            out[name] = {"func": dotted_name(type(instance)), "kind": kind}
        return out
