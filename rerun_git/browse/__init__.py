"""Browse: the Python API behind list, show, log, diff, compare, checkout, rm, gc, verify, check-env, export-env, push,
fetch.

Every function takes the path of any folder inside the repository (default:
the current directory); ``[refs]`` come from the project there. Results are
data (dataclasses), not text.

>>> from rerun_git.browse import list_runs, diff_runs          # doctest: +SKIP
>>> [run.name for run in list_runs(".", sort="-MAE", limit=3)]  # doctest: +SKIP
>>> diff_runs("baseline", "tuned").metrics                      # doctest: +SKIP

May import capture (working-tree diffs), record, experiment, store, settings
and errors. ``list`` and ``show`` stay import-light: exports load lazily (PEP 562).
"""
from __future__ import annotations

import importlib

_EXPORTS = {
    "list_runs": "listing", "sort_runs": "listing", "run_as_dict": "listing", "get_record": "listing",
    "show_run": "listing", "local_run_commits": "listing", "open_runs": "listing",
    "get_records": "listing", "get_authors": "listing", "get_kept_results": "listing", "read_kept": "listing",
    "log_runs": "log",
    "diff_runs": "diff", "WORKING_TREE": "diff",
    "compare_runs": "compare", "Comparison": "compare", "ComparedRun": "compare",
    "checkout_run": "manage", "remove_runs": "manage", "gc": "manage",
    "check_env": "env", "export_env": "env",
    "verify_runs": "verify", "RunVerdict": "verify", "tag_inconsistency": "verify",
    "push": "sharing", "fetch": "sharing", "Transfer": "sharing",
    "CheckedOut": "changes", "ConfigChange": "changes", "DatasetChange": "changes", "EnvCheck": "changes",
    "LogEntry": "changes", "MetricDelta": "changes", "RemovedRuns": "changes", "RunDiff": "changes",
    "SummaryDelta": "changes",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"rerun_git.browse.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'rerun_git.browse' has no attribute {name!r}")
