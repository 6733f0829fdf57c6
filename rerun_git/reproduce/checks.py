"""Guards and checks of ``reproduce`` that are not about the snapshot (those live in :mod:`rerun_git.record.validation`)."""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from rerun_git.errors import RerunError


def check_tolerances(rtol: float, atol: float) -> None:
    """Tolerances must be finite and non-negative."""
    for flag, value in (("--rtol", rtol), ("--atol", atol)):
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
            raise RerunError(f"{flag} must be a non-negative number, not {value!r}", hint=f"e.g. {flag} 1e-9")


def compare_split_distributions(kept: Path, reproduced: Path, rtol: float = 0.0, atol: float = 0.0) -> list[str]:
    """One line per ``split_distribution/*.json`` the run kept that the reproduction wrote differently.

    Parameters
    ----------
    kept : Path
        The snapshot's kept results (``<worktree>/.rerun/results``; untrusted bytes).
    reproduced : Path
        The reproduction's results folder.
    rtol, atol : float
        Tolerances for numbers, as for metrics (NaN equals NaN).

    Files the run did not keep (``[capture] keep_results``) are not compared.
    """
    problems: list[str] = []
    for path in sorted(reproduced.glob("*/*/split_*/split_distribution/*.json")):
        rel = path.relative_to(reproduced).as_posix()
        recorded = kept / rel
        if not recorded.is_file():
            continue
        try:
            same = _same_json(json.loads(recorded.read_bytes()), json.loads(path.read_bytes()), rtol, atol)
        except (ValueError, RecursionError):
            same = False
        if not same:
            problems.append(f"{rel}: statistics differ from the recorded run")
    return problems


def _same_json(old: Any, new: Any, rtol: float, atol: float) -> bool:
    if isinstance(old, dict) and isinstance(new, dict):
        return old.keys() == new.keys() and all(_same_json(old[k], new[k], rtol, atol) for k in old)
    if isinstance(old, list) and isinstance(new, list):
        return len(old) == len(new) and all(_same_json(a, b, rtol, atol) for a, b in zip(old, new))
    if isinstance(old, float) and isinstance(new, float):
        return (math.isnan(old) and math.isnan(new)) or math.isclose(old, new, rel_tol=rtol, abs_tol=atol)
    return type(old) is type(new) and old == new
