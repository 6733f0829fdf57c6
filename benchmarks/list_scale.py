"""``rerun-git list`` / ``show`` at scale, next to the bare git cost of the same data.

Usage::

    python benchmarks/list_scale.py [--runs 10000] [--repeat 7] [--keep] [--json] [--synthetic]

Captures one real run in each of two projects with ``rerun-git run`` (the
regression template with a clean tree; the classification template, more
metrics, with an uncommitted edit: a dirty tree), then builds, for each tag
shape alone and for the two mixed, a repository of N runs copied from them
through the store API (own record, commit and tag per run; names, metric
values and dates vary), packs it with ``git gc`` and times, whole-process,
interleaved (``*_pyc``: with Python's bytecode cache, as for an installed
package; ``*_nopyc`` also when ``PYTHONDONTWRITEBYTECODE`` is set here):

- ``git for-each-ref`` printing what ``list`` prints: ref name, tagger date,
  the ``Rerun-Source`` and ``Rerun-Dirty`` trailers and the subject
  (``git_same_fields``), and the older, lighter baseline: refname, tagger
  date, subject, peeled commit (``git_for_each_ref``)
- ``rerun-git list`` (and ``--format json``, ``--sort=-<metric> --limit=10``)
- ``rerun-git show <run>``

``--synthetic`` uses generated records instead of real runs (no training).
``build_runs(repo_path, n)`` is importable (``benchmarks/run.py`` and the tests use it).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, NamedTuple

#: 2026-11-01T00:00:00Z: the first run's date; each next run is one minute later.
START = 1_793_491_200
BARE_FORMAT = "--format=%(refname) %(taggerdate:unix) %(subject) %(*objectname)"
#: What ``rerun-git list`` prints (run, date, source, dirty, headline), printed by git itself.
SAME_FIELDS_FORMAT = ("--format=%(refname:lstrip=2) %(taggerdate:format:%Y-%m-%d %H:%M) "
                      "%(trailers:key=Rerun-Source,valueonly,separator=%x20) "
                      "%(trailers:key=Rerun-Dirty,valueonly,separator=%x20) %(subject)")

_PROJECT_FILES = {
    "rerun.toml": b"[capture]\ninclude = [\"**/*.py\", \"rerun.toml\"]\n",
    "settings.py": b"from rerun_git import Configuration\n\n\ndef create_configuration():\n"
                   b"    config = Configuration(default_workflow='regression', default_algorithms=['linear', 'ridge'])\n"
                   b"    config.add_experiment_group('baseline', datasets=['diabetes.csv'])\n    return config\n",
    "data.py": b"from rerun_git import DataManager\n\nBASE_DATA_MANAGER = DataManager(test_size=0.2, n_splits=3)\n",
    "algorithms.py": b"from rerun_git import REGRESSION_ALGORITHMS as ALGORITHM_CONFIG\n",
    "metrics.py": b"from rerun_git import REGRESSION_METRICS as METRIC_CONFIG\n",
    "workflows/regression.py": b"from rerun_git import Workflow\n\n\nclass Regression(Workflow):\n"
                               b"    def workflow(self, X_train, X_test, y_train, y_test, output_dir, feature_names):\n"
                               b"        pass\n",
}


def _record(name: str, index: int, timestamp: int, env: dict, source: str | None):
    """A realistic run record: config, env, one dataset, a 12-row metric table."""
    from datetime import datetime, timezone

    from rerun_git._version import __version__
    from rerun_git.record.run_record import RunRecord

    rows = {}
    for split in range(3):
        for algo_index, algo in enumerate(("linear", "ridge")):
            row = f"baseline/diabetes/split_{split}/{algo}/test_metrics"
            rows[row] = {"MAE": 40.0 + ((index * 7919 + split * 13 + algo_index) % 1000) / 100.0,
                         "R2": 0.40 + ((index * 104729 + split) % 300) / 1000.0}
    return RunRecord(
        name=name,
        created=datetime.fromtimestamp(timestamp, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        seed=index,
        rerun_git_version=__version__,
        source_commit=source,
        dirty=index % 5 == 0,
        env=env,
        base_data_manager={"params": {"test_size": 0.2, "n_splits": 3, "split_method": "shuffle", "random_state": None},
                           "preprocessors": []},
        configuration={"default_workflow": "regression", "default_algorithms": ["linear", "ridge"]},
        experiment_groups=[{"name": "baseline", "datasets": ["diabetes.csv"], "workflow": "regression"}],
        algorithms=[{"name": "linear", "class": "sklearn.linear_model.LinearRegression", "params": {}},
                    {"name": "ridge", "class": "sklearn.linear_model.Ridge", "params": {"alpha": 1.0}}],
        workflows={"regression": {"file": "workflows/regression.py", "class": "Regression"}},
        datasets={"diabetes.csv": {"filename": "diabetes.csv", "table_name": None, "size": 95137,
                                   "sha256": "f16718c1e660" + "0" * 52, "embedded": False, "feature_names": [],
                                   "num_features": 10, "num_samples": 442}},
        files={path: "0" * 64 for path in _PROJECT_FILES},
        results=rows,
    )


class RunShape(NamedTuple):
    """A real run to copy: its tag message and every file of its snapshot (the record's parts included)."""

    label: str
    message: Any
    files: dict[str, bytes]


def real_run_shapes(work: Path) -> list[RunShape]:
    """One run captured by ``rerun-git run`` in each of two projects (see the module docstring)."""
    from rerun_git.scaffold import write_template
    from rerun_git.store.refs import TagMessage

    shapes = []
    for template, dirty in (("regression", False), ("classification", True)):
        repo = work / template
        repo.mkdir(parents=True)
        _git(repo, "init", "-q")
        write_template(repo, template)
        _git(repo, "add", ".")
        _git(repo, "-c", "user.name=Bench", "-c", "user.email=bench@example.invalid", "commit", "-q", "-m", template)
        if dirty:
            with (repo / "settings.py").open("a") as handle:
                handle.write("# an uncommitted edit\n")
        subprocess.run([sys.executable, "-m", "rerun_git", "run", "--name", "shape"], cwd=repo, check=True,
                       capture_output=True)
        message = TagMessage.parse(_out(repo, "cat-file", "tag", "run/shape").split("\n\n", 1)[1])
        files = {}
        for line in _out(repo, "ls-tree", "-r", "run/shape").splitlines():
            meta, path = line.split("\t", 1)
            files[path] = subprocess.run(["git", "cat-file", "blob", meta.split()[2]], cwd=repo, check=True,
                                         capture_output=True).stdout
        shapes.append(RunShape(f"{template}{' (dirty)' if dirty else ''}", message, files))
    return shapes


def _shaped(shape: RunShape, name: str, index: int, head: str | None) -> tuple[dict[str, bytes], Any]:
    """The files and message of run ``name``: ``shape`` renamed, its metrics moved a little."""
    import re
    from dataclasses import replace

    from rerun_git.record.run_record import headline

    files = dict(shape.files)
    files[".rerun/run.toml"] = re.sub(rb'(?m)^name = "shape"$', f'name = "{name}"'.encode(), files[".rerun/run.toml"], 1)
    metrics = {key: value * (1 + ((index * 7919) % 1000) / 1e5) for key, value in shape.message.metrics.items()}
    return files, replace(shape.message, name=name, headline=headline(metrics), metrics=metrics, source=head)


def build_runs(repo_path: Path | str, n: int, *, prefix: str = "bench-", via_publish: bool = False,
               shapes: list[RunShape] | None = None) -> list[str]:
    """Add ``n`` runs named ``<prefix>00000``... to the repository at ``repo_path``; return their names.

    Each run is a real snapshot (project files, its own record, commit on
    the runs branch, annotated tag with the usual trailers), dated one minute
    apart from 2026-11-01: copies of ``shapes`` in turn (see
    :func:`real_run_shapes`), or generated records when there are none. By
    default all refs are written in one ``git update-ref --stdin`` transaction
    (seconds for 10,000 runs); ``via_publish=True`` goes through
    :func:`publish_run` once per run instead (the capture code path).
    """
    from rerun_git.capture.publish import run_message
    from rerun_git.record.environment import capture_environment
    from rerun_git.store.objects import ObjectWriter, TreeEntry
    from rerun_git.store.refs import RefSettings
    from rerun_git.store.repo import Repo
    from rerun_git.store.snapshot import Identity, publish_run

    repo = Repo.open(repo_path)
    refs = RefSettings()
    writer = ObjectWriter(repo)
    env = capture_environment()
    head, tip = repo.resolve_revisions("HEAD^{commit}", refs.branch_ref)
    blobs = {path: TreeEntry("100644", writer.write_blob(data)) for path, data in _PROJECT_FILES.items()}
    names, payload = [], []
    for index in range(n):
        name = f"{prefix}{index:05d}"
        stamp = START + 60 * index
        if shapes:
            files, message = _shaped(shapes[index % len(shapes)], name, index, head)
            entries = {path: TreeEntry("100644", writer.write_blob(data)) for path, data in files.items()}
        else:
            record = _record(name, index, stamp, env, head)
            entries = dict(blobs)
            entries.update((path, TreeEntry("100644", writer.write_blob(data))) for path, data in record.to_blobs().items())
            message = run_message(record)
        tree = writer.write_tree(entries)
        ident = f"Bench <bench@example.invalid> {stamp} +0000"
        if via_publish:
            publish_run(repo, writer, refs, tree=tree, head=head, message=message, identity=Identity(ident, ident))
        else:
            parents = [p for p in (tip, head) if p]
            tip = writer.write_commit(tree, parents, ident, ident, message.format(with_metrics=False))
            tag = writer.write_tag(tip, refs.tag_prefix + name, ident, message.format())
            payload.append(f"create {refs.tag_ref(name)} {tag}\n")
        names.append(name)
    if payload:
        old = repo.resolve_revisions(refs.branch_ref)[0] or repo.zero_id
        payload.append(f"update {refs.branch_ref} {tip} {old}\n")
        repo.git("update-ref", "--stdin", input="".join(payload).encode())
    return names


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def _out(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def new_repo(path: Path) -> Path:
    """An empty repository with one user commit and a marked project (``rerun.toml``)."""
    path.mkdir(parents=True)
    _git(path, "init", "-q")
    (path / "rerun.toml").write_bytes(_PROJECT_FILES["rerun.toml"])
    _git(path, "add", "rerun.toml")
    _git(path, "-c", "user.name=Bench", "-c", "user.email=bench@example.invalid", "commit", "-q", "-m", "project")
    return path


def time_command(argv: list[str], cwd: Path, repeat: int, env: dict[str, str] | None = None) -> float:
    """Median wall time of ``argv`` as a whole process (output discarded), after one warm-up run."""
    times = []
    for attempt in range(repeat + 1):
        start = time.perf_counter()
        subprocess.run(argv, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        if attempt:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def bytecode_env(cache: Path) -> dict[str, str]:
    """The environment with Python's bytecode cache on (in ``cache``), as for an installed package.

    With ``PYTHONDONTWRITEBYTECODE`` set, every process recompiles rerun-git's
    modules from source; that is not what users of a pip install pay.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(cache)
    return env


def measure(repo: Path, repeat: int, env: dict[str, str] | None = None) -> dict[str, float]:
    """Whole-process medians (seconds) of bare git, ``rerun-git list`` and ``rerun-git show``, interleaved."""
    rerun = [sys.executable, "-m", "rerun_git"]
    first = subprocess.run(["git", "for-each-ref", "--count=1", "--format=%(refname:lstrip=3)", "refs/tags/run/"],
                           cwd=repo, check=True, capture_output=True, text=True).stdout.split()[0]
    metric = subprocess.run(["git", "for-each-ref", "--count=1", "--format=%(trailers:key=Rerun-Metric,valueonly)",
                             "refs/tags/run/"], cwd=repo, check=True, capture_output=True, text=True).stdout
    metric = metric.split("=", 1)[0].strip() or "MAE"
    commands = {
        "git_for_each_ref": ["git", "for-each-ref", BARE_FORMAT, "refs/tags/run/"],
        "git_same_fields": ["git", "for-each-ref", SAME_FIELDS_FORMAT, "refs/tags/run/"],
        "list": [*rerun, "list"],
        "list_json": [*rerun, "list", "--format", "json"],
        "list_sorted_limited": [*rerun, "list", f"--sort=-{metric}", "--limit=10"],
        "show": [*rerun, "show", first],
        "python_startup": [sys.executable, "-c", "pass"],
    }
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeat):  # interleaved, so that a busy moment hits every command alike
        for name, argv in commands.items():
            samples[name].append(time_command(argv, repo, 1, env))
    figures = {name: statistics.median(values) for name, values in samples.items()}
    figures["list_over_git"] = figures["list"] / figures["git_for_each_ref"]
    figures["list_over_same_fields"] = figures["list"] / figures["git_same_fields"]
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the repository and print its path")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--synthetic", action="store_true", help="generated records instead of real runs")
    args = parser.parse_args(argv)
    base = Path(tempfile.mkdtemp(prefix="rerun-list-scale-"))
    try:
        shapes = [] if args.synthetic else real_run_shapes(base / "projects")
        sets = {"synthetic": None} if args.synthetic else {**{s.label: [s] for s in shapes}, "mixed": shapes}
        results: dict[str, dict[str, float | int | str]] = {}
        for label, chosen in sets.items():
            repo = new_repo(base / f"repo-{len(results)}")
            start = time.perf_counter()
            build_runs(repo, args.runs, shapes=chosen)
            figures: dict[str, float | int | str] = {"runs": args.runs, "build_seconds": time.perf_counter() - start}
            _git(repo, "gc", "--quiet")
            if chosen:
                figures["tag_bytes"] = len(chosen[0].message.format().encode())
            figures.update({f"{k}_pyc": v for k, v in measure(repo, args.repeat, bytecode_env(base / "pycache")).items()})
            if os.environ.get("PYTHONDONTWRITEBYTECODE"):
                figures.update({f"{k}_nopyc": v for k, v in measure(repo, args.repeat).items()})
            results[label] = figures
        if args.json:
            print(json.dumps(results, indent=2))
        else:
            for label, figures in results.items():
                print(f"# tags: {label}")
                for key, value in figures.items():
                    print(f"{key:<28} {value:.4f}" if isinstance(value, float) else f"{key:<28} {value}")
        if args.keep:
            print(f"repository kept at {repo}", file=sys.stderr)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("GIT_CONFIG_NOSYSTEM", "1")
    raise SystemExit(main())
