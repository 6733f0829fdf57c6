"""Brisk's RerunService facade and its strategies, nothing else.

May import the flows (capture, reproduce) and everything below them; nothing
but commands and the package root imports it. Exports load lazily (PEP 562).
"""
from __future__ import annotations

import importlib

_EXPORTS = {
    "RerunService": "rerun_git.service.service",
    "RerunStrategy": "rerun_git.service.strategies",
    "CaptureStrategy": "rerun_git.service.strategies",
    "CoordinatingStrategy": "rerun_git.service.strategies",
}
__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'rerun_git.service' has no attribute {name!r}")
