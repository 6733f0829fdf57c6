"""Guards of ``reproduce`` that are not about the snapshot (those live in :mod:`rerun_git.record.validation`)."""
from __future__ import annotations

import math

from rerun_git.errors import RerunError


def check_tolerances(rtol: float, atol: float) -> None:
    """Tolerances must be finite and non-negative."""
    for flag, value in (("--rtol", rtol), ("--atol", atol)):
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
            raise RerunError(f"{flag} must be a non-negative number, not {value!r}", hint=f"e.g. {flag} 1e-9")
