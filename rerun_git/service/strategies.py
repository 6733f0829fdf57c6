"""Brisk's strategy names: the interface and the capture / coordinate implementations.

They live with their flows (``experiment.strategy``, ``capture.recorder``,
``reproduce.coordinator``); this module is where Brisk's API finds them.
"""
from __future__ import annotations

from rerun_git.capture.recorder import CaptureStrategy
from rerun_git.experiment.strategy import RerunStrategy
from rerun_git.reproduce.coordinator import CoordinatingStrategy

__all__ = ["CaptureStrategy", "CoordinatingStrategy", "RerunStrategy"]
