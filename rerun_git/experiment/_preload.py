"""Imported once by the workers' fork server: the installed modules a project imports.

:func:`rerun_git.experiment.backends.warm_up` names them in ``RERUN_GIT_PRELOAD``
(space-separated). A module that fails to import is skipped: the cell that
needs it reports the failure, with the project's own traceback.
"""
from __future__ import annotations

import importlib
import os


def _preload() -> None:
    for name in os.environ.get("RERUN_GIT_PRELOAD", "").split():
        try:
            importlib.import_module(name)
        except (Exception, SystemExit):  # a hint only: never end the server over it
            continue


_preload()
