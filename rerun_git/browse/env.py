"""``check-env`` and ``export-env``: a run's recorded environment against this one, and as requirements."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rerun_git.browse.listing import get_record
from rerun_git.errors import RerunError

if TYPE_CHECKING:
    from rerun_git.browse.changes import EnvCheck


# ---------------------------------------------------------------- environment
def check_env(name: str, path: Path | str = ".") -> EnvCheck:
    """Compare this interpreter's environment with the one run ``name`` recorded.

    Python's and the critical packages' (numpy, pandas, scikit-learn, scipy,
    joblib) major.minor must match; other version changes are reported as
    non-critical.
    """
    from rerun_git.browse.changes import EnvCheck
    from rerun_git.record.environment import capture_environment, compare_environment

    run, record = get_record(name, path)
    current = capture_environment()
    return EnvCheck(run.tag, record.env.get("python"), current.get("python"), compare_environment(record.env, current))


def export_env(name: str, path: Path | str = ".", include_all: bool = False) -> str:
    """A pinned requirements file for run ``name``: its critical packages, or every package with ``include_all``."""
    from rerun_git.record.environment import requirements_text

    _run, record = get_record(name, path)
    if not record.env.get("packages"):
        raise RerunError(f"run {record.name} recorded no packages", hint="its record has an empty [env.packages] table")
    return requirements_text(record.env, include_all=include_all)

