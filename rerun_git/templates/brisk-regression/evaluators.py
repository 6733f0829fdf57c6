# evaluators.py: register MeasureEvaluator / PlotEvaluator instances here.
from brisk import MeasureEvaluator, PlotEvaluator  # noqa: F401
from brisk.evaluation.evaluators.registry import EvaluatorRegistry


def register_custom_evaluators(registry: EvaluatorRegistry, plot_settings) -> None:
    pass
