"""rerun-git: capture scikit-learn experiment runs into git and reproduce them from their tags.

The experiment model (``DataManager``, ``Workflow``, ...) and the service
(``RerunService``) are importable from here; they load lazily so that
``import rerun_git`` stays cheap for the read-only commands.
"""
from __future__ import annotations

__version__ = "0.1.0"

_EXPERIMENT = (
    "DataManager", "MissingDataPreprocessor", "ScalingPreprocessor", "CategoricalEncodingPreprocessor",
    "FeatureSelectionPreprocessor", "AlgorithmWrapper", "AlgorithmCollection",
    "MetricWrapper", "MetricManager", "REGRESSION_ALGORITHMS", "CLASSIFICATION_ALGORITHMS", "REGRESSION_METRICS",
    "CLASSIFICATION_METRICS", "Workflow", "EvaluatorRegistry", "Configuration", "PlotSettings",
)
_SERVICE = ("RerunService", "RerunStrategy", "CaptureStrategy", "CoordinatingStrategy")
#: Capture for external scripts (``rerun_git.capture(...)``, ``with rerun_git.recording(...) as run``).
_RECORDING = ("capture", "recording")

__all__ = ["RerunError", "__version__", *_EXPERIMENT, *_SERVICE, *_RECORDING]


def __getattr__(name: str):
    if name in _EXPERIMENT:
        from rerun_git import experiment

        return getattr(experiment, name)
    if name in _SERVICE:
        from rerun_git import service

        return getattr(service, name)
    if name in _RECORDING:
        from rerun_git.service import recording

        return getattr(recording, name)
    if name == "RerunError":
        from rerun_git.errors import RerunError

        return RerunError
    raise AttributeError(f"module 'rerun_git' has no attribute {name!r}")
