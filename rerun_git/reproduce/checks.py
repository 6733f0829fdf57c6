"""Checks of a snapshot before ``reproduce`` runs it: a snapshot is code.

Its tree must hold exactly the layout its record describes (the recorded
files, ``.rerun/``), as regular files only, and the bytes checked out must be
the recorded ones.
"""
from __future__ import annotations

import math
from pathlib import Path, PurePosixPath
from typing import Any

from rerun_git.errors import RerunError
from rerun_git.record.datasets import sha256_file
from rerun_git.record.run_record import RECORD_PATH, RunRecord

REGULAR_MODES = ("100644", "100755")


def check_tolerances(rtol: float, atol: float) -> None:
    """Tolerances must be finite and non-negative."""
    for flag, value in (("--rtol", rtol), ("--atol", atol)):
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
            raise RerunError(f"{flag} must be a non-negative number, not {value!r}", hint=f"e.g. {flag} 1e-9")


def check_recorded_paths(record: RunRecord) -> None:
    """Refuse a record naming a path that is absolute or escapes the project root."""
    paths = list(record.files) + [w.get("file", "") for w in record.workflows.values()]
    paths += [d.get("filename", "") for d in record.datasets.values()]
    paths += [record.project_path] if record.project_path else []
    paths += [record.command[key] for key in ("cwd", "metrics") if record.command.get(key)]
    for path in paths:
        if not _safe_relative(str(path)):
            raise RerunError(f"run {record.name} records an unsafe path {path!r}",
                             hint="the run's record was tampered with; refusing to reproduce it")


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
        if not _safe_relative(path):
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


def _safe_relative(path: str) -> bool:
    pure = PurePosixPath(path)
    return (
        bool(path) and not pure.is_absolute() and "\\" not in path and not path.startswith("~")
        and all(part not in ("", ".", "..") and not part.lower().startswith(".git") for part in path.split("/"))
    )


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


def describe_provenance(tag: str, commit: str, record: RunRecord, provenance: Any) -> list[str]:
    """The lines ``reproduce`` prints before running anything: whose code this is and where it came from."""
    source = provenance.source or "none"
    if provenance.source and not provenance.source_known:
        source += " (not on any of your branches: the run comes from elsewhere)"
    if record.dirty:
        source += " (dirty: the run's files differ from it)"
    lines = [
        f"reproducing {tag} ({commit[:12]}), captured {record.created}",
        f"  author     {provenance.author}",
        f"  committer  {provenance.committer}",
    ]
    if provenance.tagger is not None:
        lines.append(f"  tagger     {provenance.tagger}")
    lines.append(f"  source     {source}")
    return lines

