"""Timing, process and git helpers shared by the benchmark harness (no rerun-git imports here)."""
from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path


def median(samples: Sequence[float]) -> float:
    return statistics.median(samples)


def timed(fn: Callable[[], object]) -> float:
    """Wall-clock seconds of one call of ``fn``."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run(argv: Sequence[str], cwd: Path | None = None, input: bytes | None = None,
        env: dict[str, str] | None = None) -> str:
    """Run a process to completion; its stdout, or a RuntimeError with its stderr."""
    proc = subprocess.run(list(argv), cwd=cwd, input=input, capture_output=True, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, argv))} exited {proc.returncode}: {proc.stderr.decode(errors='replace')[-2000:]}")
    return proc.stdout.decode("utf-8", "replace")


def time_process(argv: Sequence[str], cwd: Path, repeats: int, env: dict[str, str] | None = None) -> list[float]:
    """Whole-process wall-clock seconds of ``argv``, ``repeats`` times (stdout to /dev/null)."""
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        proc = subprocess.run(list(argv), cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        samples.append(time.perf_counter() - start)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(map(str, argv))} exited {proc.returncode}: {proc.stderr.decode(errors='replace')[-2000:]}")
    return samples


def git(cwd: Path, *args: str, input: bytes | None = None) -> str:
    return run(["git", *args], cwd=cwd, input=input)


def init_repo(path: Path) -> None:
    """A fresh repository with a fixed identity and no automatic gc (so timings do not include one)."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q")
    for key, value in (("user.name", "rerun-git bench"), ("user.email", "bench@rerun-git.invalid"),
                       ("commit.gpgsign", "false"), ("tag.gpgsign", "false"), ("gc.auto", "0")):
        git(path, "config", key, value)


def commit_all(path: Path, message: str) -> None:
    git(path, "add", "--", ".")
    git(path, "commit", "-q", "--no-verify", "-m", message)


def copy_repo(source: Path, target: Path) -> Path:
    """A copy of a repository and its working tree (new inodes, so no stat cache carries over)."""
    shutil.copytree(source, target, symlinks=True)
    return target


def rerun_git_command() -> list[str]:
    """The installed ``rerun-git`` script beside this interpreter (a pyenv shim would add its own start-up)."""
    beside = Path(sys.executable).parent / "rerun-git"
    if beside.is_file():
        return [str(beside)]
    found = shutil.which("rerun-git")
    return [found] if found else [sys.executable, "-m", "rerun_git"]


def object_store_bytes(repo: Path) -> tuple[int, int]:
    """(file bytes, object count) of loose objects plus packs, read from the files themselves."""
    objects = repo / ".git" / "objects"
    total = count = 0
    for entry in objects.iterdir():
        if len(entry.name) == 2 and entry.is_dir():
            for obj in entry.iterdir():
                total += obj.stat().st_size
                count += 1
    pack = objects / "pack"
    if pack.is_dir():
        total += sum(p.stat().st_size for p in pack.iterdir())
    return total, count


def count_objects(repo: Path) -> dict[str, int]:
    """``git count-objects -v`` as a dict (sizes in KiB, as git prints them)."""
    out = git(repo, "count-objects", "-v")
    return {k.strip(): int(v) for k, v in (line.split(":", 1) for line in out.splitlines()) if v.strip().isdigit()}


def unreachable_objects(repo: Path) -> int:
    """How many objects ``git fsck --unreachable --no-reflogs`` reports."""
    out = git(repo, "fsck", "--unreachable", "--no-reflogs", "--no-progress")
    return sum(1 for line in out.splitlines() if line.startswith("unreachable "))


def environment_without(*names: str) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in names}
