"""Brisk's names for rerun-git's classes: ``import brisk`` while a project loads and runs.

:class:`BriskFinder` is a meta-path finder that the project loader installs only
while project code runs. It answers ``brisk`` and the public module paths of
Brisk 1.2 (brisk-ml) with modules whose attributes are rerun-git's classes;
brisk-ml itself is never imported, installed or not. A path Brisk has but
rerun-git does not provide fails with one line naming it.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
from types import ModuleType
from typing import Any

from rerun_git.errors import RerunError

#: The Brisk version whose names and numbers these are.
BRISK_VERSION = "1.2.0"

_E = "rerun_git.experiment"
_TOP = {
    "AlgorithmWrapper": f"{_E}.algorithms", "AlgorithmCollection": f"{_E}.algorithms",
    "ConfigurationManager": f"{_E}.configuration:ExperimentPlan", "Configuration": f"{_E}.configuration",
    "DataManager": f"{_E}.data",
    "REGRESSION_ALGORITHMS": f"{_E}.algorithms", "CLASSIFICATION_ALGORITHMS": f"{_E}.algorithms",
    "REGRESSION_METRICS": f"{_E}.metrics", "CLASSIFICATION_METRICS": f"{_E}.metrics",
    "MetricManager": f"{_E}.metrics", "MetricWrapper": f"{_E}.metrics",
    "EvaluationManager": f"{_E}.evaluators", "PlotEvaluator": f"{_E}.evaluators",
    "MeasureEvaluator": f"{_E}.evaluators", "EvaluatorRegistry": f"{_E}.evaluators",
    "Workflow": f"{_E}.workflow",
}
_PREPROCESSORS = ("BasePreprocessor", "MissingDataPreprocessor", "ScalingPreprocessor",
                  "CategoricalEncodingPreprocessor", "FeatureSelectionPreprocessor")

#: Brisk module path -> {public name: "rerun_git module[:attribute]"} (empty: a package node).
BRISK_MODULES: dict[str, dict[str, str]] = {
    "brisk": _TOP,
    "brisk.version": {},
    "brisk.configuration": {},
    "brisk.configuration.configuration": {"Configuration": f"{_E}.configuration"},
    "brisk.configuration.configuration_manager": {"ConfigurationManager": f"{_E}.configuration:ExperimentPlan"},
    "brisk.configuration.algorithm_wrapper": {"AlgorithmWrapper": f"{_E}.algorithms"},
    "brisk.configuration.algorithm_collection": {"AlgorithmCollection": f"{_E}.algorithms"},
    "brisk.data": {},
    "brisk.data.data_manager": {"DataManager": f"{_E}.data"},
    "brisk.data.preprocessing": {name: f"{_E}.preprocessing" for name in _PREPROCESSORS},
    "brisk.training": {},
    "brisk.training.workflow": {"Workflow": f"{_E}.workflow"},
    "brisk.evaluation": {},
    "brisk.evaluation.metric_manager": {"MetricManager": f"{_E}.metrics"},
    "brisk.evaluation.metric_wrapper": {"MetricWrapper": f"{_E}.metrics"},
    "brisk.evaluation.evaluation_manager": {"EvaluationManager": f"{_E}.evaluators"},
    "brisk.evaluation.evaluators": {},
    "brisk.evaluation.evaluators.registry": {"EvaluatorRegistry": f"{_E}.evaluators"},
    "brisk.evaluation.evaluators.base": {"BaseEvaluator": f"{_E}.evaluators"},
    "brisk.evaluation.evaluators.measure_evaluator": {"MeasureEvaluator": f"{_E}.evaluators"},
    "brisk.evaluation.evaluators.plot_evaluator": {"PlotEvaluator": f"{_E}.evaluators"},
    "brisk.defaults": {},
    "brisk.defaults.regression_algorithms": {"REGRESSION_ALGORITHMS": f"{_E}.algorithms"},
    "brisk.defaults.classification_algorithms": {"CLASSIFICATION_ALGORITHMS": f"{_E}.algorithms"},
    "brisk.defaults.regression_metrics": {
        "REGRESSION_METRICS": f"{_E}.metrics", "concordance_correlation_coefficient": f"{_E}.metrics",
        "adjusted_r2_score": f"{_E}.metrics"},
    "brisk.defaults.classification_metrics": {"CLASSIFICATION_METRICS": f"{_E}.metrics"},
    "brisk.theme": {"PlotSettings": f"{_E}.plot_settings"},
    "brisk.theme.plot_settings": {"PlotSettings": f"{_E}.plot_settings"},
}


def _is_package(path: str) -> bool:
    return any(other.startswith(path + ".") for other in BRISK_MODULES)


class _BriskModule(ModuleType):
    """A Brisk module whose public names resolve (lazily) to rerun-git's objects."""

    def __getattr__(self, name: str) -> Any:
        target = BRISK_MODULES.get(self.__name__, {}).get(name)
        if target is None:
            raise AttributeError(f"rerun-git provides no {self.__name__}.{name}")
        module, _, attribute = target.partition(":")
        value = getattr(importlib.import_module(module), attribute or name)
        setattr(self, name, value)
        return value

    def __dir__(self) -> list[str]:
        return sorted(set(BRISK_MODULES.get(self.__name__, {})) | set(super().__dir__()))


class _MissingBriskModule(ModuleType):
    """A Brisk path rerun-git does not provide: any use names the whole path in one line.

    Importing it succeeds (so that ``from brisk.a.b import X`` reaches the leaf
    ``brisk.a.b`` instead of failing at ``brisk.a``); taking a name from it raises.
    """

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        raise RerunError(f"rerun-git does not provide the Brisk module {self.__name__}",
                         hint="see docs/brisk.md for the Brisk paths rerun-git provides")


class BriskFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Answer ``brisk`` and its public submodules with rerun-git's classes.

    Attributes
    ----------
    used : bool
        Whether the project imported any ``brisk`` path (recorded by capture).
    """

    def __init__(self) -> None:
        self.used = False
        self.loaded: set[str] = set()

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        if fullname != "brisk" and not fullname.startswith("brisk."):
            return None
        self.used = True
        known = fullname in BRISK_MODULES
        if not known and fullname.rpartition(".")[2][:1].isupper():  # `from brisk import TrainingManager`
            raise RerunError(f"rerun-git does not provide {fullname}",
                             hint="see docs/brisk.md for the Brisk names rerun-git provides")
        return importlib.machinery.ModuleSpec(fullname, self, is_package=not known or _is_package(fullname))

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        module = (_BriskModule if spec.name in BRISK_MODULES else _MissingBriskModule)(spec.name)
        if spec.submodule_search_locations is not None:
            module.__path__ = []
        return module

    def exec_module(self, module: ModuleType) -> None:
        self.loaded.add(module.__name__)
        if module.__name__ in ("brisk", "brisk.version"):
            module.__version__ = BRISK_VERSION

    def install(self) -> dict[str, ModuleType]:
        """Put the finder first on ``sys.meta_path``; return (and hide) any real brisk modules."""
        hidden = {name: sys.modules.pop(name) for name in list(sys.modules)
                  if name == "brisk" or name.startswith("brisk.")}
        sys.meta_path.insert(0, self)
        return hidden

    def uninstall(self, hidden: dict[str, ModuleType]) -> None:
        """Remove the finder and its modules; restore what :meth:`install` hid."""
        if self in sys.meta_path:
            sys.meta_path.remove(self)
        for name in self.loaded:
            sys.modules.pop(name, None)
        self.loaded.clear()
        sys.modules.update(hidden)
