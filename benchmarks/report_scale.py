"""``rerun-git report`` at scale: a full build of N runs, and the update after one new run.

Usage::

    python benchmarks/report_scale.py [--runs 1000] [--repeat 5] [--json]

Builds a repository of N runs with :func:`list_scale.build_runs` (each run a
real snapshot with its own record and annotated tag; no training), packs it
with ``git gc``, then times whole processes (``python -m rerun_git``), next to
``rerun-git list`` of the same runs:

- ``report -o NEW``: a full build into a new folder (every run page written);
- ``report -o SAME`` after one more run was captured: the update (one run page
  written, the index and compare pages rewritten).

``measure(repo, repeat)`` is importable (``benchmarks/run.py`` uses it).
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from list_scale import build_runs, bytecode_env, new_repo  # noqa: E402


def _timed(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    return time.perf_counter() - start


def measure(repo: Path, repeat: int, work: Path) -> dict[str, list[float]]:
    """Whole-process samples (seconds) of the full build, the one-run update and ``list``, interleaved.

    With Python's bytecode cache on (:func:`list_scale.bytecode_env`), as for an installed package.
    """
    rerun, env = [sys.executable, "-m", "rerun_git"], bytecode_env(work / "pycache")
    samples: dict[str, list[float]] = {"build": [], "update": [], "list": [], "unchanged": []}
    site = work / "site"
    subprocess.run([*rerun, "report", "-o", str(site)], cwd=repo, check=True, capture_output=True, env=env)  # warm-up
    for attempt in range(repeat):
        fresh = work / f"fresh-{attempt}"
        samples["build"].append(_timed([*rerun, "report", "-o", str(fresh)], repo, env))
        shutil.rmtree(fresh)
        build_runs(repo, 1, prefix=f"new{attempt}-")
        samples["update"].append(_timed([*rerun, "report", "-o", str(site)], repo, env))
        samples["unchanged"].append(_timed([*rerun, "report", "-o", str(site)], repo, env))
        samples["list"].append(_timed([*rerun, "list"], repo, env))
    return samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="rerun-report-bench-"))
    try:
        repo = new_repo(work / "repo")
        build_runs(repo, args.runs)
        subprocess.run(["git", "gc", "--quiet"], cwd=repo, check=True)
        samples = measure(repo, args.repeat, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    figures = {name: statistics.median(values) for name, values in samples.items()}
    if args.json:
        print(json.dumps({"runs": args.runs, "median_s": figures, "samples_s": samples}, indent=2))
    else:
        for name, value in figures.items():
            print(f"{name:10} {value * 1000:8.0f} ms  (median of {len(samples[name])}, {args.runs} runs)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
