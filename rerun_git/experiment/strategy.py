"""RerunStrategy: what the project loader hands each loaded part of a project to.

The loader (:class:`~rerun_git.experiment.project.ProjectLoader`) calls one
``handle_load_*`` method per part; a capture records it, a reproduction
rebuilds or checks it. Brisk's name for this interface is kept.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any


class RerunStrategy(ABC):
    """What is done with each part of a project as the project loader loads it."""

    @abstractmethod
    def handle_load_base_data_manager(self, data_manager: Any) -> Any:
        """Handle the ``BASE_DATA_MANAGER`` loaded from ``data.py``; return the one to use."""

    @abstractmethod
    def handle_load_algorithms(self, algorithm_config: Any) -> Any:
        """Handle the ``ALGORITHM_CONFIG`` loaded from ``algorithms.py``; return the one to use."""

    @abstractmethod
    def handle_load_metric_config(self, metric_config: Any) -> Any:
        """Handle the ``METRIC_CONFIG`` loaded from ``metrics.py``; return the one to use."""

    @abstractmethod
    def handle_load_custom_evaluators(self, module: Any, evaluators_file: Path) -> Any:
        """Handle the module loaded from ``evaluators.py``; return the one to use."""

    @abstractmethod
    def handle_load_workflow(self, workflow: Any, workflow_name: str) -> Any:
        """Handle the Workflow class loaded from ``workflows/<workflow_name>.py``; return the one to use."""
