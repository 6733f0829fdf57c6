"""Capture: run a project (or an external command) and publish it as one snapshot commit + one tag.

Name claims, file and dataset selection, the recorded configuration, the
draft record, publishing, the post-run hook. May import record, experiment,
store, settings and errors; never reproduce, browse, check, report, service
or commands.

``rerun_git.capture(...)`` is also the external-script API
(:func:`rerun_git.capture.external.capture`): this package is callable.
"""
from __future__ import annotations

import sys
import types
from typing import Any


class _CallablePackage(types.ModuleType):
    """Keeps ``rerun_git.capture(name=..., metrics=...)`` working now that ``capture`` is also a package."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from rerun_git.capture.external import capture

        return capture(*args, **kwargs)


sys.modules[__name__].__class__ = _CallablePackage
