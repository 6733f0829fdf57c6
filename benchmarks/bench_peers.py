"""Peers side by side: DVC's ``exp save`` / ``exp list`` / ``exp show``, in a throwaway virtual environment."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bench_util import commit_all, git, median, object_store_bytes, time_process, unreachable_objects


def install_dvc(venv: Path, timeout: float) -> tuple[Path | None, str]:
    """``pip install dvc`` into a new venv; the dvc executable, or None and why not."""
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=60)
        proc = subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check", "dvc"],
                              capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, f"pip install dvc took longer than {timeout:.0f} s"
    except (OSError, subprocess.CalledProcessError) as exc:
        return None, f"could not create a venv: {exc}"
    dvc = venv / "bin" / "dvc"
    if proc.returncode != 0 or not dvc.is_file():
        last = proc.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
        return None, f"pip install dvc failed: {last[0]}"
    return dvc, ""


def dvc_environment() -> dict[str, str]:
    env = dict(os.environ)
    env.update(DVC_NO_ANALYTICS="1", DVC_NO_UPDATER="1")
    return env


def measure_dvc(dvc: Path, project: Path, saves: int, experiments: int) -> dict[str, float]:
    """Time ``dvc exp save`` on ``project`` (a committed copy of the demo), then list/show at ``experiments``.

    Experiments beyond the timed saves are copies of the last saved
    experiment commit under new exp refs (what ``exp save`` writes), so that
    reaching ``experiments`` does not take minutes.
    """
    env = dvc_environment()
    time_process([str(dvc), "init", "-q"], project, 1, env)
    commit_all(project, "dvc init")
    time_process([str(dvc), "exp", "save", "-q"], project, 1, env)  # warm-up (caches, site dir)
    before_bytes, before_count = object_store_bytes(project)
    before_unreachable = unreachable_objects(project)
    save = time_process([str(dvc), "exp", "save", "-q"], project, saves, env)
    after_bytes, after_count = object_store_bytes(project)
    figures = {
        "save": median(save),
        "save_bytes": (after_bytes - before_bytes) / saves,
        "save_objects": (after_count - before_count) / saves,
        "save_unreachable": (unreachable_objects(project) - before_unreachable) / saves,
    }
    _clone_experiments(project, experiments - saves - 1)
    figures["list"] = median(time_process([str(dvc), "exp", "list"], project, 3, env))
    figures["show"] = median(time_process([str(dvc), "exp", "show", "--no-pager"], project, 3, env))
    figures["experiments"] = len(_exp_refs(project))
    return figures


def _exp_refs(project: Path) -> list[tuple[str, str]]:
    out = git(project, "for-each-ref", "--format=%(objectname) %(refname)", "refs/exps/")
    return [tuple(line.split(" ", 1)) for line in out.splitlines() if "/exec/" not in line]  # type: ignore[misc]


def _clone_experiments(project: Path, count: int) -> None:
    sha, ref = _exp_refs(project)[-1]
    tree = git(project, "rev-parse", f"{sha}^{{tree}}").strip()
    parent = git(project, "rev-parse", f"{sha}^").strip()
    base = ref.rsplit("/", 1)[0]
    lines = []
    for i in range(count):
        commit = git(project, "commit-tree", tree, "-p", parent, "-m", f"dvc: commit experiment bench-{i}").strip()
        lines.append(f"create {base}/bench-{i:03d} {commit}\n")
    git(project, "update-ref", "--stdin", input="".join(lines).encode())
