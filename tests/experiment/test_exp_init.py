from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import rerun_git.experiment as experiment

REPO = Path(__file__).resolve().parents[2]


def test_import_is_light():
    code = ("import sys, rerun_git.experiment, rerun_git.experiment.project; "
            "print(sorted(m for m in ('sklearn', 'pandas') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_lazy_exports():
    from rerun_git.experiment.data import DataManager
    from rerun_git.experiment.workflow import Workflow

    assert experiment.DataManager is DataManager and experiment.Workflow is Workflow
    for name in experiment.__all__:
        assert getattr(experiment, name) is not None


def test_no_git_or_upper_layers():
    source = "\n".join(p.read_text() for p in (REPO / "rerun_git" / "experiment").glob("*.py"))
    for forbidden in ("import git", "rerun_git.store", "rerun_git.service", "subprocess"):
        assert forbidden not in source
