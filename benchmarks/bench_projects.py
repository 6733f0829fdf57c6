"""The benchmark's projects: the demo template, a scaled variant, trained runs and captures."""
from __future__ import annotations

import copy
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench_util import commit_all, git, init_repo

SCALED_SETTINGS = '''"""Which experiments to run: the template's group plus one on a 20 MB dataset."""
from rerun_git import Configuration


def create_configuration():
    config = Configuration(default_workflow="regression", default_algorithms=["linear", "ridge"])
    config.add_experiment_group(name="baseline", datasets=["diabetes.csv"], description="diabetes")
    config.add_experiment_group(name="scaled", datasets=["big.csv"], description="a 20 MB dataset")
    return config
'''

FILLER_MODULE = '''"""Feature helper {index} (filler so the project has as many files as a real one)."""
import math


def feature_{index}(values, scale={index}.0):
    """Scale, shift and clip a list of numbers."""
    out = []
    for value in values:
        shifted = (value - scale) / (abs(scale) + 1.0)
        out.append(max(-10.0, min(10.0, math.tanh(shifted) * scale)))
    return out
'''


def make_demo(path: Path) -> Path:
    """The ``rerun-git create`` template, committed at the top of a new repository."""
    from rerun_git.scaffold import write_template

    init_repo(path)
    write_template(path)
    commit_all(path, "Start the demo project")
    return path


def make_scaled(path: Path, n_files: int = 50, dataset_mb: int = 20) -> Path:
    """The template plus filler modules up to ``n_files`` captured files and a ``dataset_mb`` MB dataset in use."""
    from rerun_git.settings import load_project_settings
    from rerun_git.capture.selection import select_project_files
    from rerun_git.scaffold import write_template

    init_repo(path)
    write_template(path)
    (path / "settings.py").write_text(SCALED_SETTINGS)
    write_dataset(path / "datasets" / "big.csv", dataset_mb)
    settings = load_project_settings(path)
    have = len(select_project_files(path, settings.include, settings.exclude, {}))
    (path / "features").mkdir()
    for index in range(n_files - have):
        (path / "features" / f"feature_{index:02d}.py").write_text(FILLER_MODULE.format(index=index))
    commit_all(path, "Start the scaled project")
    return path


def write_dataset(path: Path, megabytes: int) -> None:
    """A regression CSV of about ``megabytes`` MB, dated an hour back (a dataset is not written mid-run)."""
    import numpy as np

    rng = np.random.default_rng(0)
    rows = int(megabytes * 1_000_000 / 110)
    X = rng.normal(size=(rows, 10))
    y = X @ rng.normal(size=10) + rng.normal(scale=0.1, size=rows)
    header = ",".join([f"x{i}" for i in range(10)] + ["y"])
    np.savetxt(path, np.column_stack([X, y]), fmt="%.7f", delimiter=",", header=header, comments="")
    past = time.time() - 3600
    os.utime(path, (past, past))


@dataclass
class Trained:
    """One training of a project, kept so that captures can be timed without re-training."""

    root: Path
    #: The service's Brisk ``configs`` and its record ``sections``, as the loader left them.
    configs: tuple[dict[str, Any], dict[str, Any]]
    outcome: Any
    files: dict[str, bytes]
    results: Path
    seconds: float


def train(root: Path, name: str = "trained") -> Trained:
    """Run the project's experiments once (no capture) and keep what a capture needs."""
    from rerun_git.experiment.project import ProjectLoader
    from rerun_git.settings import load_project_settings
    from rerun_git.experiment.runner import run_experiments
    from rerun_git.service.service import RerunService

    service = RerunService(name, mode="capture")
    service.bind_project(root, load_project_settings(root), seed=0)
    loader = ProjectLoader(root, service)
    results = root / "results" / name
    start = time.perf_counter()
    outcome = run_experiments(loader, results, seed=0)
    seconds = time.perf_counter() - start
    return Trained(root, copy.deepcopy((service.configs, service.sections)), outcome, dict(loader.files), results, seconds)


def prepare_capture(trained: Trained, root: Path, name: str) -> tuple[Any, Path]:
    """A capturing service for ``name`` in ``root`` holding ``trained``'s outcome; results copied in place."""
    from rerun_git.settings import load_project_settings
    from rerun_git.service.service import RerunService

    results = root / "results" / name
    shutil.copytree(trained.results, results, ignore=shutil.ignore_patterns("run_config.json"))
    service = RerunService(name, mode="capture")
    service.bind_project(root, load_project_settings(root), seed=0)
    service.configs, service.sections = copy.deepcopy(trained.configs)
    service.record_outcome(trained.outcome, trained.files)
    return service, results


def time_capture(trained: Trained, root: Path, name: str) -> float:
    """In-process seconds of ``export_and_save`` (snapshot + env + refs + run_config.json) for a new run."""
    service, results = prepare_capture(trained, root, name)
    service.environment = None  # read inside the timing, as `rerun-git run` does (RerunService reads it on creation)
    os.sync()  # the copies just made are written back now, not inside the timing
    start = time.perf_counter()
    service.export_and_save(results)
    return time.perf_counter() - start


def snapshot_paths(root: Path, name: str) -> list[str]:
    """The files a capture of ``name`` stores, as paths in the working tree (for the bash baseline)."""
    from rerun_git.settings import load_project_settings
    from rerun_git.capture.selection import kept_results, select_project_files

    settings = load_project_settings(root)
    paths = list(select_project_files(root, settings.include, settings.exclude, {}))
    paths += [p.relative_to(root).as_posix() for p in sorted((root / "datasets").iterdir())]
    results = root / "results" / name
    paths += [f"results/{name}/{rel}" for rel in kept_results(results, settings.keep_results)]
    return paths


BASELINE_SCRIPT = r'''set -e
export GIT_INDEX_FILE="$(mktemp -u)"
git add -f -- "$@"
tree=$(git write-tree)
commit=$(echo "baseline run" | git commit-tree "$tree" -p HEAD)
git update-ref -m baseline refs/heads/baseline "$commit"
rm -f "$GIT_INDEX_FILE"
'''


def time_baseline(trained: Trained, root: Path, name: str, record: dict[str, bytes]) -> float:
    """Whole-process seconds of the bash git-plumbing baseline storing the same files as a capture of ``name``."""
    import subprocess

    shutil.copytree(trained.results, root / "results" / name, ignore=shutil.ignore_patterns("run_config.json"))
    (root / ".rerun").mkdir(exist_ok=True)
    for path, data in record.items():
        (root / path).write_bytes(data)
    argv = ["bash", "-c", BASELINE_SCRIPT, "baseline", *snapshot_paths(root, name), *record]
    os.sync()
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=root, capture_output=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"baseline failed: {proc.stderr.decode(errors='replace')}")
    return seconds


def last_record(root: Path) -> dict[str, bytes]:
    """The record blobs (``.rerun/run.toml``, ``env.toml``, ``files.toml``) of the newest run on the runs branch."""
    from rerun_git.record.run_record import record_paths

    return {path: git(root, "cat-file", "blob", f"refs/heads/rerun/runs:{path}").encode() for path in record_paths()}


def add_synthetic_runs(root: Path, template_tag: str, start: int, count: int) -> None:
    """Add ``count`` runs that share ``template_tag``'s tree, written in-process and published in one ref transaction.

    Each run is a snapshot commit on the runs branch plus an annotated tag in
    rerun-git's format (the same writer as a capture); only the tree is shared.
    """
    from rerun_git._version import __version__
    from rerun_git.store.objects import ObjectWriter
    from rerun_git.store.refs import RefSettings, RunRef, TagMessage
    from rerun_git.store.repo import Repo

    repo = Repo.open(root)
    refs = RefSettings()
    writer = ObjectWriter(repo)
    tree = git(root, "rev-parse", f"{template_tag}^{{tree}}").strip()
    head = git(root, "rev-parse", "HEAD").strip()
    tip = old = git(root, "rev-parse", refs.branch_ref).strip()
    when = 1_700_000_000
    lines = []
    for i in range(start, start + count):
        name = f"bench-{i:05d}"
        ident = f"rerun-git bench <bench@rerun-git.invalid> {when + i} +0000"
        message = TagMessage(name, "R2=0.5", head, False, __version__, metrics={"R2": 0.5 + i / 1e6})
        commit = writer.write_commit(tree, [tip, head], ident, ident, message.format(with_metrics=False))
        run = RunRef(name, refs)
        tag = writer.write_tag(commit, run.tag, ident, message.format())
        lines.append(f"create {run.ref} {tag}\n")
        tip = commit
    lines.append(f"update {refs.branch_ref} {tip} {old}\n")
    git(root, "update-ref", "--stdin", input="".join(lines).encode())
