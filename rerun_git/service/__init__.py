"""The seed's API: RerunService and its capture / coordinate strategies."""
from __future__ import annotations

__all__ = ["RerunService", "RerunStrategy", "CaptureStrategy", "CoordinatingStrategy"]


def __getattr__(name: str):
    if name == "RerunService":
        from rerun_git.service.service import RerunService

        return RerunService
    if name in ("RerunStrategy", "CaptureStrategy", "CoordinatingStrategy"):
        from rerun_git.service import strategies

        return getattr(strategies, name)
    raise AttributeError(name)
