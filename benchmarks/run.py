#!/usr/bin/env python
"""rerun-git benchmark harness: every figure of issue 7, side by side with its baseline, in one run.

Usage::

    python benchmarks/run.py [--quick] [--json OUT] [--keep]

Builds the demo project and a scaled variant (50 project files, a 20 MB
dataset) in temporary repositories and prints one table. Every time is the
median of repeated measurements; baselines and peers are measured in the
same run. ``--quick`` uses fewer repeats and skips the peers (CI smoke test).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_projects import (  # noqa: E402
    Trained, add_synthetic_runs, last_record, make_demo, make_scaled, time_baseline, time_capture, train,
)
from bench_util import (  # noqa: E402
    copy_repo, count_objects, git, median, object_store_bytes, rerun_git_command, time_process, unreachable_objects,
)

FULL_BUDGET_S = 300


@dataclass
class Row:
    """One line of the table: rerun-git's figure, its baseline or peer, and the goal."""

    figure: str
    value: float | None
    unit: str  # "s" (shown in ms), "B", "n", "yes/no"
    baseline: float | None = None
    baseline_label: str = ""
    goal: str = ""
    met: bool | None = None
    note: str = ""
    samples: list[float] = field(default_factory=list)
    baseline_samples: list[float] = field(default_factory=list)

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.baseline:
            return None
        return self.value / self.baseline


@dataclass
class Config:
    """How much to measure: ``--quick`` (CI smoke test) or the full run."""

    quick: bool
    repeats: int
    process_repeats: int
    run_counts: tuple[int, ...]
    keep: bool


class Harness:
    """Runs each section of the table in the temporary folder ``base`` and collects its rows."""

    def __init__(self, config: Config, base: Path) -> None:
        self.config = config
        self.base = base
        self.rows: list[Row] = []
        self.started = time.perf_counter()
        #: The parallel section's projection table (markdown), printed under the main table.
        self.projection = ""
        self.cli = rerun_git_command()
        self._copies = 0
        self.rerun_bytes: dict[str, float] = {}
        # Whole processes run as an installed package does: with a bytecode cache (here in the
        # benchmark's temp dir, so the working tree stays clean), warmed by one untimed run.
        self.env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        self.env["PYTHONPYCACHEPREFIX"] = str(base / "pycache")

    # -- helpers ---------------------------------------------------------------------
    def add(self, row: Row) -> Row:
        if row.samples and row.unit == "s":
            spread = f"min {min(row.samples) * 1000:.1f}"
            if row.baseline_samples:
                spread += f" / {min(row.baseline_samples) * 1000:.1f}"
            row.note = f"{spread} ms; {row.note}" if row.note else f"{spread} ms"
        self.rows.append(row)
        shown = _format_value(row.value, row.unit)
        extra = f"  (baseline {_format_value(row.baseline, row.unit)})" if row.baseline is not None else ""
        print(f"  {row.figure}: {shown}{extra}", file=sys.stderr, flush=True)
        return row

    def timed_process(self, argv: list[str], cwd: Path, repeats: int | None = None) -> list[float]:
        """Whole-process times of ``argv`` after one untimed warm-up run (bytecode cache filled)."""
        time_process(argv, cwd, 1, self.env)
        return time_process(argv, cwd, repeats or self.config.process_repeats, self.env)

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def fresh_copy(self, source: Path, label: str) -> Path:
        self._copies += 1
        return copy_repo(source, self.base / f"{label}-{self._copies}")

    def drop(self, path: Path) -> None:
        if not self.config.keep:
            shutil.rmtree(path, ignore_errors=True)

    # -- capture ----------------------------------------------------------------------
    def capture_first(self, label: str, project: Path, trained: Trained, goal: bool) -> None:
        """First capture of a committed project (everything new to git) vs the bash plumbing baseline."""
        ours, theirs = [], []
        for i in range(self.config.repeats + 1):  # the first pair warms caches and is dropped
            copy = self.fresh_copy(project, f"{label}-capture")
            seconds = time_capture(trained, copy, "first")
            record = last_record(copy)
            self.drop(copy)
            copy = self.fresh_copy(project, f"{label}-baseline")
            base_seconds = time_baseline(trained, copy, "first", record)
            self.drop(copy)
            if i:
                ours.append(seconds)
                theirs.append(base_seconds)
        row = Row(f"capture, first run ({label})", median(ours), "s", median(theirs), "bash git plumbing",
                  samples=ours, baseline_samples=theirs)
        if goal:
            row.goal, row.met = "ratio <= 0.5", row.ratio is not None and row.ratio <= 0.5
        self.add(row)

    def capture_unchanged(self, label: str, project: Path, trained: Trained, time_goal: float | None) -> None:
        """Unchanged re-runs: time, bytes added to .git and unreferenced objects per re-run."""
        copy = self.fresh_copy(project, f"{label}-rerun")
        time_capture(trained, copy, "r000")
        time_capture(trained, copy, "r001")  # warm: the hash cache trusts files older than 2 s only
        before_gc = self.fresh_copy(copy, f"{label}-gc")
        before_bytes, before_count = object_store_bytes(copy)
        before_kib = count_objects(copy)["size"]
        before_unreachable = unreachable_objects(copy)
        n = self.config.repeats
        samples = [time_capture(trained, copy, f"r{i:03d}") for i in range(2, n + 2)]
        after_bytes, after_count = object_store_bytes(copy)
        after_kib = count_objects(copy)["size"]
        added_unreachable = unreachable_objects(copy) - before_unreachable
        baseline_copy = self.fresh_copy(project, f"{label}-rerun-baseline")
        record = last_record(copy)
        base = [time_baseline(trained, baseline_copy, f"b{i:03d}", record) for i in range(n + 1)][1:]
        row = Row(f"capture, unchanged re-run ({label})", median(samples), "s", median(base), "bash git plumbing",
                  samples=samples, baseline_samples=base)
        if time_goal is not None:
            row.goal, row.met = f"< {time_goal * 1000:.0f} ms", row.value < time_goal
        self.add(row)
        per_run = self.rerun_bytes[label] = (after_bytes - before_bytes) / n
        packed = packed_bytes_per_run(copy, before_gc, n)
        self.add(Row(f"bytes added per unchanged re-run ({label})", per_run, "B", goal="<= 3 KiB",
                     met=per_run <= 3 * 1024,
                     note=f"{(after_count - before_count) / n:.1f} loose objects; "
                          f"{(after_kib - before_kib) / n:.1f} KiB on disk (count-objects); "
                          f"{packed:.0f} B after git gc"))
        self.add(Row(f"unreferenced objects per unchanged re-run ({label})", added_unreachable / n, "n", goal="0",
                     met=added_unreachable == 0, note="git fsck --unreachable --no-reflogs"))
        self.drop(copy)
        self.drop(baseline_copy)
        self.drop(before_gc)

    # -- browse ------------------------------------------------------------------------
    def browse(self, project: Path, trained: Trained) -> Path:
        """``list`` at each run count vs ``git for-each-ref``; ``show`` at the largest; returns the repo."""
        repo = self.fresh_copy(project, "runs")
        time_capture(trained, repo, "first")
        have = 1
        fmt = "%(refname) %(taggerdate:unix) %(subject) %(*objectname)"
        for count in self.config.run_counts:
            build = time.perf_counter()
            add_runs(repo, have, count - have)
            have = count
            git(repo, "gc", "--quiet")
            print(f"  ({count} runs built and gc'd in {time.perf_counter() - build:.1f} s)", file=sys.stderr)
            ours = self.timed_process([*self.cli, "list"], repo)
            theirs = self.timed_process(["git", "for-each-ref", f"--format={fmt}", "refs/tags/run/"], repo)
            row = Row(f"list, {count} runs", median(ours), "s", median(theirs), "git for-each-ref", samples=ours,
                      baseline_samples=theirs)
            if count >= 10_000:
                row.goal = "< 0.5 s, ratio <= 3"
                row.met = row.value < 0.5 and row.ratio <= 3
            self.add(row)
        largest = self.config.run_counts[-1]
        show = self.timed_process([*self.cli, "show", "run/first"], repo)
        row = Row(f"show, {largest} runs", median(show), "s", samples=show)
        if largest >= 10_000:
            row.goal, row.met = "< 0.3 s", row.value < 0.3
        self.add(row)
        return repo

    # -- reproduce ----------------------------------------------------------------------
    def reproduce(self, project: Path, trained: Trained) -> None:
        """In-process ``reproduce_run`` minus the time of its own training (``run_experiments``)."""
        import rerun_git.experiment.runner as runner
        from rerun_git.reproduce.run import reproduce_run

        repo = self.fresh_copy(project, "reproduce")
        time_capture(trained, repo, "first")
        original = runner.run_experiments
        training: list[float] = []

        def timed_training(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                training.append(time.perf_counter() - start)

        runner.run_experiments = timed_training
        totals = []
        try:
            for _ in range(self.config.repeats + 1):
                start = time.perf_counter()
                result = reproduce_run("first", repo)
                totals.append(time.perf_counter() - start)
                if not result.matches:
                    raise RuntimeError("the benchmark's reproduction did not match its run")
        finally:
            runner.run_experiments = original
        overheads = [total - train for total, train in zip(totals[1:], training[1:])]
        self.add(Row("reproduce overhead (demo)", median(overheads), "s", median(training[1:]),
                     "the run's own training", goal="< 250 ms", met=median(overheads) < 0.25, samples=overheads,
                     note=f"whole reproduce_run {median(totals[1:]) * 1000:.0f} ms"))
        self.drop(repo)

    # -- start-up, imports, environment -------------------------------------------------------
    def startup(self, runs_repo: Path) -> None:
        reps = self.config.process_repeats * 2
        ours = self.timed_process([*self.cli, "--help"], self.base, reps)
        python = self.timed_process([sys.executable, "-c", "pass"], self.base, reps)
        cold_env = {k: v for k, v in self.env.items() if k != "PYTHONPYCACHEPREFIX"}
        cold_env["PYTHONDONTWRITEBYTECODE"] = "1"  # rerun_git compiled on every start unless its .pyc files exist
        cold = median(time_process([*self.cli, "--help"], self.base, reps, cold_env))
        self.add(Row("CLI start-up (rerun-git --help)", median(ours), "s", median(python), "python -c pass",
                     goal="< 150 ms", met=median(ours) < 0.15, samples=ours, baseline_samples=python,
                     note=f"{cold * 1000:.0f} ms with PYTHONDONTWRITEBYTECODE=1; script {self.cli[0]}"))
        heavy = {}
        for argv, cwd in ((["--help"], self.base), (["list"], runs_repo), (["show", "run/first"], runs_repo),
                          (["report", "first", "-o", str(self.base / "report-imports")], runs_repo)):
            heavy[" ".join(argv[:1])] = heavy_imports(argv, cwd)
        found = sorted({m for mods in heavy.values() for m in mods})
        self.add(Row("no scikit-learn/pandas import (--help, list, show, report)", 0.0 if not found else 1.0, "yes/no",
                     goal="none imported", met=not found,
                     note="python -X importtime" + (f"; imported: {', '.join(found[:5])}" if found else "")))

    def check(self, project: Path) -> None:
        """``rerun-git check``'s own time on the template, beside the time spent in project code."""
        from rerun_git.check.project import check_project

        reports = [check_project(project) for _ in range(self.config.repeats)]
        own = [r.own_seconds for r in reports]
        self.add(Row("check: its own time (template project)", median(own), "s",
                     median([r.import_seconds for r in reports]), "project code it imports",
                     goal="< 500 ms", met=median(own) < 0.5, samples=own))

    def report(self) -> None:
        """``rerun-git report`` of 1,000 runs (300 with ``--quick``): a full build, the update after one new run (vs ``list``)."""
        from list_scale import build_runs, new_repo
        from report_scale import measure

        runs = 300 if self.config.quick else 1_000
        repo = new_repo(self.base / "report-runs")
        build_runs(repo, runs)
        git(repo, "gc", "--quiet")
        samples = measure(repo, 2 if self.config.quick else 5, self.base / "report-out")
        listing = median(samples["list"])
        build, update = median(samples["build"]), median(samples["update"])
        full = runs >= 1_000  # the goals are set at 1,000 runs
        self.add(Row(f"report build, {runs} runs", build, "s", listing, "rerun-git list", goal="<= 10 s" if full else "",
                     met=build <= 10 if full else None, samples=samples["build"], baseline_samples=samples["list"]))
        self.add(Row(f"report update after 1 new run, {runs} runs", update, "s", listing, "rerun-git list",
                     goal="<= 1 s" if full else "", met=update <= 1 if full else None, samples=samples["update"],
                     baseline_samples=samples["list"], note=f"nothing new: {median(samples['unchanged']) * 1000:.0f} ms"))
        self.drop(repo)

    def environment(self) -> None:
        from rerun_git.record.environment import capture_environment

        capture_environment()
        ours = []
        for _ in range(self.config.repeats * 4):
            start = time.perf_counter()
            packages = len(capture_environment()["packages"])
            ours.append(time.perf_counter() - start)
        pip = self.timed_process([sys.executable, "-m", "pip", "list", "--format=json", "--disable-pip-version-check"],
                                 self.base, max(2, self.config.process_repeats // 2))
        self.add(Row("environment capture (in-process)", median(ours), "s", median(pip), "pip list --format=json",
                     goal="< 20 ms", met=median(ours) < 0.02, samples=ours, baseline_samples=pip,
                     note=f"{packages} packages"))

    def parallel(self) -> None:
        """Serial vs --jobs 2 vs a local Dask cluster on a 12-cell grid; per-cell overhead; projection."""
        try:
            rows, self.projection = _parallel_rows(self.base, self.config.quick)
        except (ImportError, FileNotFoundError) as exc:  # the Dask extra (or its `dask` command) is not installed
            self.add(Row("parallel grid", None, "s", note=f"skipped: {exc}"))
            return
        for row in rows:
            self.add(row)

    def capture_process(self, project: Path, trained: Trained) -> float:
        """Median whole-process ``rerun-git capture`` of the trained demo's results (no training)."""
        repo = self.fresh_copy(project, "capture-cli")
        samples = []
        for i in range(4):
            start = time.perf_counter()
            subprocess.run([*self.cli, "capture", "--name", f"cli-{i}", "--results", f"results/{trained.results.name}"],
                           cwd=repo, env=self.env, check=True, capture_output=True)
            samples.append(time.perf_counter() - start)
        self.drop(repo)
        return median(samples[1:])

    # -- peers ------------------------------------------------------------------------------
    def peers(self, project: Path, trained: Trained, demo_capture: float) -> None:
        from bench_peers import install_dvc, measure_dvc

        if self.config.quick:
            self.add(Row("dvc (peer)", None, "s", note="skipped with --quick"))
            return
        budget = FULL_BUDGET_S - 45 - self.elapsed()
        if budget < 60:
            self.add(Row("dvc (peer)", None, "s", note=f"skipped: {self.elapsed():.0f} s already used of {FULL_BUDGET_S} s"))
            return
        start = time.perf_counter()
        dvc, why = install_dvc(self.base / "dvc-venv", timeout=budget - 40)
        if dvc is None:
            self.add(Row("dvc (peer)", None, "s", note=f"skipped: {why}"))
            return
        version = subprocess.run([str(dvc), "--version"], capture_output=True, text=True).stdout.strip()
        print(f"  (dvc {version} installed in {time.perf_counter() - start:.0f} s)", file=sys.stderr)
        experiments = 100
        figures = measure_dvc(dvc, self.fresh_copy(project, "dvc"), saves=3, experiments=experiments)
        runs = self.fresh_copy(project, "runs-100")
        time_capture(trained, runs, "first")
        add_runs(runs, 1, experiments - 1)
        ours_list = median(self.timed_process([*self.cli, "list"], runs, 3))
        ours_show = median(self.timed_process([*self.cli, "show", "run/first"], runs, 3))
        label = f"dvc {version}"
        self.add(Row("rerun-git capture vs dvc exp save (demo, whole process)", self.capture_process(project, trained),
                     "s", figures["save"], label, note=f"in-process capture {demo_capture * 1000:.0f} ms"))
        self.add(Row("bytes per unchanged re-run: rerun-git vs dvc exp save", self.rerun_bytes.get("demo"), "B",
                     figures["save_bytes"], label,
                     note=f"dvc: {figures['save_objects']:.1f} objects, {figures['save_unreachable']:.1f} unreferenced per save"))
        self.add(Row(f"list at {experiments}: rerun-git list vs dvc exp list", ours_list, "s", figures["list"], label,
                     note=f"{figures['experiments']:.0f} dvc experiments"))
        self.add(Row(f"list at {experiments}: rerun-git list vs dvc exp show", ours_list, "s", figures["show"], label))
        self.add(Row(f"show at {experiments}: rerun-git show vs dvc exp show", ours_show, "s", figures["show"], label))


def _parallel_rows(base: Path, quick: bool) -> tuple[list[Row], str]:
    """The parallel section (bench_parallel): grid speed-ups, overhead per cell, the N-worker projection."""
    import bench_parallel

    grid = bench_parallel.grid_figures(base, quick)
    more, measured = bench_parallel.overhead_figures(base, quick)
    rows = [Row(f.name, f.value, f.unit, f.baseline, f.baseline_label, f.goal, f.met, f.note) for f in grid + more]
    per_cell = float(grid[0].note.split("~")[1].split(" s")[0])
    return rows, bench_parallel.projection_table(per_cell, measured["overhead"], measured["start"])


def add_runs(repo: Path, have: int, count: int) -> None:
    """Add ``count`` runs: ``list_scale.build_runs`` (each with its own record) when present, else shared-tree runs."""
    try:
        from list_scale import build_runs
    except ImportError:
        add_synthetic_runs(repo, "run/first", have, count)
    else:
        build_runs(repo, count, prefix=f"b{have}-")


def packed_bytes_per_run(after: Path, before: Path, n: int) -> float:
    """Growth per run of the object store once both copies are packed by ``git gc`` (records delta-compress)."""
    sizes = []
    for repo in (before, after):
        git(repo, "gc", "--quiet", "--prune=now")
        sizes.append(object_store_bytes(repo)[0])
    return (sizes[1] - sizes[0]) / n


def heavy_imports(argv: list[str], cwd: Path) -> list[str]:
    """Top-level scikit-learn/pandas modules imported by ``python -X importtime -m rerun_git <argv>``."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "rerun_git", *argv], cwd=cwd,
                          capture_output=True, text=True)
    found = set()
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            module = line.rsplit("|", 1)[1].strip()
            if module.split(".")[0] in ("sklearn", "pandas"):
                found.add(module.split(".")[0])
    return sorted(found)


def _format_value(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "s":
        return f"{value * 1000:.1f} ms"
    if unit == "B":
        return f"{value / 1024:.2f} KiB" if value >= 1024 else f"{value:.0f} B"
    if unit == "yes/no":
        return "no" if value == 0 else "yes"
    if unit == "x":
        return f"{value:.2f}x"
    return f"{value:g}"


def render(rows: list[Row]) -> str:
    headers = ["figure", "rerun-git", "baseline / peer", "ratio", "goal", "met", "note"]
    cells = []
    for r in rows:
        base = f"{_format_value(r.baseline, r.unit)} ({r.baseline_label})" if r.baseline is not None else "-"
        ratio = f"{r.ratio:.2f}" if r.ratio is not None else "-"
        met = {True: "yes", False: "NO", None: "-"}[r.met]
        cells.append([r.figure, _format_value(r.value, r.unit), base, ratio, r.goal or "-", met, r.note])
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in cells]
    return "\n".join(lines)


def machine() -> dict[str, str]:
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": str(os.cpu_count()),
        "uname": " ".join(platform.uname()),
        "python": sys.version.split()[0],
        "git": subprocess.run(["git", "--version"], capture_output=True, text=True).stdout.strip(),
        "load average": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, 1k runs only, no peers (under a minute)")
    parser.add_argument("--json", metavar="OUT", help="also write the figures as JSON to OUT")
    parser.add_argument("--keep", action="store_true", help="keep the temporary repositories and print where")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    config = Config(
        quick=args.quick,
        repeats=3 if args.quick else 11,
        process_repeats=3 if args.quick else 7,
        run_counts=(1_000,) if args.quick else (1_000, 10_000),
        keep=args.keep,
    )
    load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
    base = Path(tempfile.mkdtemp(prefix="rerun-git-bench-"))
    harness = Harness(config, base)
    try:
        print(f"building projects in {base}", file=sys.stderr)
        demo = make_demo(base / "demo")
        scaled = make_scaled(base / "scaled")
        demo_trained, scaled_trained = train(demo), train(scaled)
        print(f"  (training: demo {demo_trained.seconds * 1000:.0f} ms, scaled {scaled_trained.seconds * 1000:.0f} ms)",
              file=sys.stderr)
        harness.capture_first("demo", demo, demo_trained, goal=True)
        harness.capture_first("scaled", scaled, scaled_trained, goal=True)
        harness.capture_unchanged("demo", demo, demo_trained, time_goal=None)
        harness.capture_unchanged("scaled, 20 MB dataset", scaled, scaled_trained, time_goal=0.030)
        runs_repo = harness.browse(demo, demo_trained)
        harness.reproduce(demo, demo_trained)
        harness.startup(runs_repo)
        harness.check(demo)
        harness.report()
        harness.environment()
        harness.peers(demo, demo_trained, harness.rows[0].value)
        harness.parallel()
    finally:
        if args.keep:
            print(f"kept {base}", file=sys.stderr)
        else:
            shutil.rmtree(base, ignore_errors=True)
    info = machine()
    info["load average before"] = load_before
    mode = "--quick" if args.quick else "full"
    print(f"\nrerun-git benchmarks ({mode}), {info['date']}, {info['nproc']} CPUs, Python {info['python']}, "
          f"{info['git']}, {harness.elapsed():.0f} s, load average {load_before} before / {info['load average']} after\n")
    print(render(harness.rows))
    if harness.projection:
        print("\nProjected 12-cell grid on N workers (measured per-cell time, overhead and worker start-up):\n")
        print(harness.projection)
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": info, "mode": mode, "seconds": harness.elapsed(),
                                               "rows": [{**asdict(r), "ratio": r.ratio} for r in harness.rows]},
                                              indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
