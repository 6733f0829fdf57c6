"""The Brisk-shaped experiment model (no git in here).

Public names are imported lazily (PEP 562) so that ``import
rerun_git.experiment`` does not import scikit-learn or pandas.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS: dict[str, str] = {
    "DataManager": "data",
    "DataSplit": "data",
    "load_dataset": "data",
    "BasePreprocessor": "preprocessing",
    "MissingDataPreprocessor": "preprocessing",
    "ScalingPreprocessor": "preprocessing",
    "CategoricalEncodingPreprocessor": "preprocessing",
    "FeatureSelectionPreprocessor": "preprocessing",
    "FitContext": "preprocessing",
    "AlgorithmWrapper": "algorithms",
    "AlgorithmCollection": "algorithms",
    "REGRESSION_ALGORITHMS": "algorithms",
    "CLASSIFICATION_ALGORITHMS": "algorithms",
    "MetricWrapper": "metrics",
    "MetricManager": "metrics",
    "REGRESSION_METRICS": "metrics",
    "CLASSIFICATION_METRICS": "metrics",
    "Workflow": "workflow",
    "MetricScorer": "workflow",
    "new_figure": "plotting",
    "save_figure": "plotting",
    "EvaluatorRegistry": "evaluators",
    "Configuration": "configuration",
    "PlotSettings": "plot_settings",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:
    from rerun_git.experiment.algorithms import (
        CLASSIFICATION_ALGORITHMS, REGRESSION_ALGORITHMS, AlgorithmCollection, AlgorithmWrapper,
    )
    from rerun_git.experiment.configuration import Configuration
    from rerun_git.experiment.data import DataManager, DataSplit, load_dataset
    from rerun_git.experiment.evaluators import EvaluatorRegistry
    from rerun_git.experiment.metrics import (
        CLASSIFICATION_METRICS, REGRESSION_METRICS, MetricManager, MetricWrapper,
    )
    from rerun_git.experiment.plot_settings import PlotSettings
    from rerun_git.experiment.plotting import new_figure, save_figure
    from rerun_git.experiment.preprocessing import (
        BasePreprocessor, CategoricalEncodingPreprocessor, FeatureSelectionPreprocessor, FitContext,
        MissingDataPreprocessor, ScalingPreprocessor,
    )
    from rerun_git.experiment.workflow import MetricScorer, Workflow


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
