#!/usr/bin/env python
"""Where a capture's time and bytes go: per-stage timings and the objects one unchanged re-run adds.

Usage::

    python benchmarks/profile_capture.py [demo|scaled] [--repeats N]

Times each stage of ``capture_snapshot`` (by wrapping the functions it
calls) over N first captures (fresh repository copies) and N unchanged
re-runs, prints min and median per stage, then lists the loose objects one
unchanged re-run writes with their compressed sizes.
"""
from __future__ import annotations

import argparse
import functools
import shutil
import statistics
import sys
import tempfile
import time
import zlib
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_projects import make_demo, make_scaled, train, time_capture  # noqa: E402
from bench_util import copy_repo, git  # noqa: E402

TIMES: dict[str, list[float]] = defaultdict(list)


def timed(label: str, func: Callable) -> Callable:
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return func(*args, **kwargs)
        finally:
            TIMES[label].append(time.perf_counter() - start)

    return wrapper


def instrument() -> None:
    """Wrap the stages of a capture (module attributes, so capture_snapshot calls the wrappers)."""
    import rerun_git.capture.post_run as hooks
    import rerun_git.capture.publish as snap
    from rerun_git.record.run_record import RunRecord
    from rerun_git.service.service import RerunService
    from rerun_git.store.objects import ObjectWriter
    from rerun_git.store.repo import Repo

    for name in ("select_project_files", "_probe_refs", "_capture_datasets", "kept_results", "write_snapshot_tree",
                 "publish_run"):
        setattr(snap, name, timed(name, getattr(snap, name)))
    hooks.after_capture = timed("after_capture (post-run hook lookup)", hooks.after_capture)
    for name in ("to_blobs", "to_json", "to_dict"):
        setattr(RunRecord, name, timed(f"RunRecord.{name}", getattr(RunRecord, name)))
    RerunService.build_record = timed("build_record (incl. environment)", RerunService.build_record)
    ObjectWriter._store = timed("object writes (all)", ObjectWriter._store)
    Repo.open = classmethod(timed("Repo.open", Repo.open.__func__))


def report(title: str, totals: list[float]) -> None:
    n = len(totals)
    print(f"\n{title}: min {min(totals) * 1000:.1f} ms, median {statistics.median(totals) * 1000:.1f} ms ({n} captures)")
    print(f"  {'stage':40s} {'calls':>5s} {'min':>8s} {'median':>8s}   (ms per capture)")
    rows = []
    for label, samples in TIMES.items():
        k = len(samples) // n
        if k and len(samples) == k * n:  # the same number of calls in every capture: per-capture sums
            per_capture = [sum(samples[i * k:(i + 1) * k]) for i in range(n)]
            rows.append((label, k, min(per_capture) * 1000, statistics.median(per_capture) * 1000))
        else:
            mean = sum(samples) / n * 1000
            rows.append((label, len(samples) / n, mean, mean))
    for label, calls, low, mid in sorted(rows, key=lambda r: -r[3]):
        print(f"  {label:40s} {calls:5.1f} {low:8.2f} {mid:8.2f}")
    TIMES.clear()


def new_objects(repo: Path, before: set[str]) -> list[tuple[str, str, int, int]]:
    """(id, type, size, compressed bytes) of the loose objects not in ``before``."""
    found = []
    for folder in (repo / ".git" / "objects").iterdir():
        if len(folder.name) != 2:
            continue
        for obj in folder.iterdir():
            sha = folder.name + obj.name
            if sha not in before:
                raw = zlib.decompress(obj.read_bytes())
                kind, size = raw.split(b"\0", 1)[0].decode().split()
                found.append((sha, kind, int(size), obj.stat().st_size))
    return found


def loose_ids(repo: Path) -> set[str]:
    return {f.name + o.name for f in (repo / ".git" / "objects").iterdir() if len(f.name) == 2 for o in f.iterdir()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("project", nargs="?", choices=("demo", "scaled"), default="demo")
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="rerun-git-profile-"))
    try:
        project = (make_demo if args.project == "demo" else make_scaled)(base / args.project)
        trained = train(project)
        instrument()
        warm = copy_repo(project, base / "warm")
        for i in range(3):
            time_capture(trained, warm, f"w{i}")
        TIMES.clear()
        firsts = [time_capture(trained, copy_repo(project, base / f"first-{i}"), "first") for i in range(args.repeats)]
        report(f"{args.project}: first capture", firsts)
        reruns = [time_capture(trained, warm, f"r{i}") for i in range(args.repeats)]
        report(f"{args.project}: unchanged re-run", reruns)
        before = loose_ids(warm)
        time_capture(trained, warm, "one-more")
        objects = new_objects(warm, before)
        print(f"\nobjects written by one unchanged re-run: {len(objects)}, "
              f"{sum(o[3] for o in objects)} bytes compressed")
        names = {o[0]: path for path, o in _paths(warm, "run/one-more").items()}
        for sha, kind, size, packed in sorted(objects, key=lambda o: -o[3]):
            print(f"  {kind:6s} {size:6d} B raw {packed:6d} B on disk  {names.get(sha, '')}")
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return 0


def _paths(repo: Path, tag: str) -> dict[str, tuple[str]]:
    """``{label: (id,)}`` for the tag, its commit and every tree/blob of the run (to name the new objects)."""
    out = {"(tag object)": (git(repo, "rev-parse", tag).strip(),),
           "(commit)": (git(repo, "rev-parse", f"{tag}^{{commit}}").strip(),),
           "(root tree)": (git(repo, "rev-parse", f"{tag}^{{tree}}").strip(),)}
    for line in git(repo, "ls-tree", "-r", "-t", f"{tag}^{{tree}}").splitlines():
        meta, path = line.split("\t", 1)
        out[path] = (meta.split()[2],)
    return out


if __name__ == "__main__":
    sys.exit(main())
