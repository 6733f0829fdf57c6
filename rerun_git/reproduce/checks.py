"""Guards of ``run`` and ``reproduce``: claiming a run name, and checking a snapshot before running it.

A run name is claimed twice: locally, by an exclusive lock file beside its
results folder (two captures in the same project cannot write into the same
``results/<name>``), and finally by the ref transaction's ``create`` of the
tag (the one arbiter across worktrees and clones).

A snapshot is code. Before ``reproduce`` runs it, its tree must hold exactly
the layout its record describes (the recorded files, ``.rerun/``), as
regular files only, and the bytes checked out must be the recorded ones.
"""
from __future__ import annotations

import math
from pathlib import Path

from rerun_git.errors import RerunError
from rerun_git.record.datasets import sha256_file
from rerun_git.record.run_record import RECORD_PATH, RunRecord
from rerun_git.record.validation import safe_relative_path

REGULAR_MODES = ("100644", "100755")


# ---------------------------------------------------------------- reproduce
def check_tolerances(rtol: float, atol: float) -> None:
    """Tolerances must be finite and non-negative."""
    for flag, value in (("--rtol", rtol), ("--atol", atol)):
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
            raise RerunError(f"{flag} must be a non-negative number, not {value!r}", hint=f"e.g. {flag} 1e-9")


def check_snapshot_layout(record: RunRecord, tree: list[tuple[str, str, str]], tag: str) -> None:
    """Refuse a snapshot tree holding anything but the recorded files and ``.rerun/``, as regular files.

    ``tree`` is ``(mode, sha, path)`` of every entry (``git ls-tree -r``).
    Symbolic links, submodules, paths outside the project and files the
    record does not list are refused before anything is checked out.
    """
    hint = (f"a run is code: refusing to run it. Inspect it with `git show --stat {tag}`; "
            "reproduce only runs from sources you trust")
    paths = {path for _, _, path in tree}
    for mode, _sha, path in tree:
        if not safe_relative_path(path):
            raise RerunError(f"{tag}: snapshot path {path!r} is outside the project", hint=hint)
        if mode not in REGULAR_MODES:
            kind = {"120000": "a symbolic link", "160000": "a submodule"}.get(mode, f"mode {mode}")
            raise RerunError(f"{tag}: snapshot path {path!r} is {kind}, not a regular file", hint=hint)
        if path != RECORD_PATH and not path.startswith(".rerun/results/") and path not in record.files:
            raise RerunError(f"{tag}: snapshot holds {path!r}, which its record does not list", hint=hint)
    missing = sorted(set(record.files) - paths)
    if missing:
        raise RerunError(f"{tag}: the record lists {missing[0]!r}, which the snapshot lacks",
                         hint="the run is incomplete or was rewritten; it cannot be reproduced")


def verify_checkout(record: RunRecord, worktree: Path, tag: str) -> None:
    """The checked-out code must be byte-for-byte what was recorded (no eol conversion, no filter).

    Datasets are checked separately (with their drift report).
    """
    for path, sha256 in record.files.items():
        if path.startswith("datasets/"):
            continue
        file = worktree / path
        if file.is_symlink() or not file.is_file() or sha256_file(file) != sha256:
            raise RerunError(
                f"{tag}: {path} as checked out differs from the bytes the run recorded",
                hint="a git setting (core.autocrlf, a filter in .git/info/attributes) changed it, or the run was rewritten",
            )
