"""rerun-git: capture scikit-learn experiment runs into git and reproduce them from their tags.

The experiment model (``DataManager``, ``Workflow``, ...) and the service
(``RerunService``) are importable from here; they load lazily so that
``import rerun_git`` stays cheap for the read-only commands.
"""
from __future__ import annotations

import importlib

from rerun_git._version import __version__

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
    """Load an export on first use (PEP 562); ``capture`` is the callable ``rerun_git.capture`` package."""
    if name in _EXPERIMENT:
        return getattr(importlib.import_module("rerun_git.experiment"), name)
    if name in _SERVICE:
        return getattr(importlib.import_module("rerun_git.service"), name)
    if name == "capture":
        return importlib.import_module("rerun_git.capture")
    if name == "recording":
        return importlib.import_module("rerun_git.capture.external").recording
    if name == "RerunError":
        return importlib.import_module("rerun_git.errors").RerunError
    raise AttributeError(f"module 'rerun_git' has no attribute {name!r}")
