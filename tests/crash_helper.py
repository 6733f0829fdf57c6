"""Run the rerun-git CLI and SIGKILL it at a chosen point: crash injection for the tests.

Usage (from a test)::

    RERUN_GIT_TEST_CRASH_AT=after-tree python tests/crash_helper.py run --name x

``RERUN_GIT_TEST_CRASH_AT`` names one capture stage of
``rerun_git.store.snapshot`` (``after-blobs``, ``after-tree``,
``after-commit``, ``before-refs``, ``after-refs``), installed through its
``STAGE_HOOK`` test seam, or ``reproduce-running``: the moment a reproduction
starts running the snapshot's code inside its worktree. The variable is read
here only; rerun-git itself has no such flag.
"""
from __future__ import annotations

import os
import signal
import sys

CAPTURE_STAGES = ("after-blobs", "after-tree", "after-commit", "before-refs", "after-refs")
REPRODUCE_STAGES = ("reproduce-running",)


def _die() -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def install(crash_at: str) -> None:
    """Arrange for this process to SIGKILL itself when it reaches ``crash_at``."""
    if crash_at in CAPTURE_STAGES:
        from rerun_git.store import snapshot

        def hook(stage: str) -> None:
            if stage == crash_at:
                _die()

        snapshot.STAGE_HOOK = hook
    elif crash_at in REPRODUCE_STAGES:
        from rerun_git.experiment import runner

        def run_experiments(*args: object, **kwargs: object) -> None:
            _die()

        runner.run_experiments = run_experiments  # the pipeline imports it at call time
    else:
        raise SystemExit(f"crash_helper: unknown RERUN_GIT_TEST_CRASH_AT={crash_at!r}")


def main(argv: list[str]) -> int:
    crash_at = os.environ.get("RERUN_GIT_TEST_CRASH_AT", "")
    if crash_at:
        install(crash_at)
    from rerun_git.cli import main as cli

    return cli(argv)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
