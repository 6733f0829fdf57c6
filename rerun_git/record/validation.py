"""The trust boundary: every value of a record that can become a path, a process argument or a line of
another tool's file is checked here, when the record is parsed.

A record comes from a tag anyone with push access to a remote can write, so
it is input from someone else. :func:`check_record_values` runs inside
:meth:`RunRecord.from_dict <rerun_git.record.run_record.RunRecord.from_dict>`;
nothing downstream sees a record that failed it. Text that is only shown is
not restricted here: the commands escape it for the terminal
(``rerun_git.commands._output.escape``).
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from rerun_git.errors import RerunError

#: numpy's seed range (``np.random.default_rng`` and ``RandomState`` accept 0 .. 2**32 - 1).
MAX_SEED = 2**32 - 1
_SHA256 = re.compile(r"[0-9a-f]{64}")
_COMMIT_ID = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
#: PEP 508's distribution name (``packaging`` parses the pinned lines again when they are written).
_PACKAGE_NAME = re.compile(r"[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9]")
#: A version as a folder name can carry it: PEP 440 and legacy versions, never a space, ';', '@' or a newline.
_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+!_-]*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TAMPERED = "the run's record was tampered with; refusing to use it"
#: The largest code file a capture selects (and a snapshot may hold).
MAX_CODE_FILE_BYTES = 5 * 1024 * 1024
#: The largest record a snapshot may hold.
MAX_RECORD_BYTES = 64 * 1024 * 1024
_MB = 1024 * 1024
#: Tree entry modes of regular files, the only kind a snapshot may hold.
REGULAR_MODES = ("100644", "100755")
RECORD_PATH = ".rerun/run.toml"
ENV_PATH = ".rerun/env.toml"
FILES_PATH = ".rerun/files.toml"
#: Sections kept in blobs of their own from schema 2 on: unchanged ones are one blob shared by every run.
SECTION_BLOBS = {ENV_PATH: "env", FILES_PATH: "files"}


def record_paths() -> list[str]:
    """Every path of a snapshot that holds part of the record (``run.toml`` and the section blobs)."""
    return [RECORD_PATH, *SECTION_BLOBS]


def safe_relative_path(path: str) -> bool:
    """Whether ``path`` is a relative POSIX path that stays inside its root and names no ``.git*`` part."""
    return (
        bool(path) and "\0" not in path and not PurePosixPath(path).is_absolute() and "\\" not in path
        and not path.startswith("~")
        and all(part not in ("", ".", "..") and not part.lower().startswith(".git") for part in path.split("/"))
    )


def check_record_values(data: dict[str, Any], origin: str) -> None:
    """Refuse a (type-checked) record whose names, paths, ids, seed or package pins are unsafe to use."""
    from rerun_git.store.runs import validate_run_name

    try:
        validate_run_name(data["name"])
    except RerunError as exc:
        raise RerunError(f"{origin}: {exc.message}", hint=_TAMPERED) from None
    seed = data["seed"]
    if not 0 <= seed <= MAX_SEED:
        raise RerunError(f"{origin}: seed {seed} is outside 0..{MAX_SEED}", hint=_TAMPERED)
    for key in ("source_commit",):
        value = data.get(key)
        if value is not None and not _COMMIT_ID.fullmatch(value):
            raise RerunError(f"{origin}: {key} {value!r} is not a commit id", hint=_TAMPERED)
    for label, path in _recorded_paths(data):
        if not safe_relative_path(path):
            raise RerunError(f"{origin}: {label} records an unsafe path {path!r}", hint=_TAMPERED)
    for path, digest in data.get("files", {}).items():
        if not _SHA256.fullmatch(digest):
            raise RerunError(f"{origin}: files[{path!r}] is not a sha256 digest", hint=_TAMPERED)
    for key, entry in data.get("datasets", {}).items():
        if not _SHA256.fullmatch(entry["sha256"]) or entry["size"] < 0:
            raise RerunError(f"{origin}: datasets[{key!r}] has a malformed sha256 or size", hint=_TAMPERED)
    for name, entry in data.get("workflows", {}).items():
        if not _IDENTIFIER.fullmatch(entry["class"]):
            raise RerunError(f"{origin}: workflows[{name!r}] names class {entry['class']!r}, not a Python name",
                             hint=_TAMPERED)
    for row, metrics in data.get("results", {}).items():
        for label in (row, *metrics):
            if not plain_label(label):
                raise RerunError(f"{origin}: results holds the name {label!r}, with a control character",
                                 hint=_TAMPERED)
    if any("\0" in word for word in data.get("command", {}).get("argv", [])):
        raise RerunError(f"{origin}: command.argv holds a NUL byte", hint=_TAMPERED)
    _check_packages(data.get("env", {}).get("packages", {}), origin)


def plain_label(text: str) -> bool:
    """Whether ``text`` (a result row or metric name) is non-empty and free of control characters."""
    return bool(text.strip()) and not _CONTROL.search(text)


def _recorded_paths(data: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """``(what, path)`` of every record value that becomes a path under the project or the worktree."""
    for path in data.get("files", {}):
        yield "files", path
    for name, entry in data.get("workflows", {}).items():
        yield f"workflow {name!r}", entry["file"]
    for key, entry in data.get("datasets", {}).items():
        yield f"dataset {key!r}", entry["filename"]
    if data.get("project_path"):
        yield "project_path", data["project_path"]
    for key in ("cwd", "metrics"):
        if data.get("command", {}).get(key):
            yield f"command.{key}", data["command"][key]


def _check_packages(packages: dict[str, str], origin: str) -> None:
    for name, version in packages.items():
        if not _PACKAGE_NAME.fullmatch(name) or not _VERSION.fullmatch(version):
            raise RerunError(f"{origin}: env.packages holds {name!r} = {version!r}, not a package name and version",
                             hint=_TAMPERED)


def pinned_requirement(name: str, version: str) -> str:
    """``name==version``, parsed back by ``packaging`` as exactly one PEP 508 requirement pinned to a PEP 440 version.

    Raises :class:`RerunError` for anything else (a marker, a URL, an option,
    a legacy version pip cannot pin).
    """
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.version import InvalidVersion, Version

    line = f"{name}=={version}"
    try:
        requirement = Requirement(line)
        Version(version)
    except (InvalidRequirement, InvalidVersion):
        raise RerunError(f"cannot pin {name!r} = {version!r}: not a PEP 508 name with a PEP 440 version",
                         hint="the run's record holds a package pip cannot pin; leave it out or fix it by hand") from None
    if (requirement.name != name or requirement.url or requirement.marker or requirement.extras
            or str(requirement.specifier) != f"=={version}"):
        raise RerunError(f"cannot pin {name!r} = {version!r}: it does not read back as one pin",
                         hint="the run's record holds a package pip cannot pin")
    return line


# ---------------------------------------------------------------- the snapshot against its record
def check_snapshot_layout(record: Any, tree: list[tuple[str, str, str]], tag: str) -> None:
    """Refuse a snapshot tree holding anything but the recorded files and ``.rerun/``, as regular files.

    ``record`` is the run's :class:`~rerun_git.record.run_record.RunRecord`; ``tree`` is
    ``(mode, sha, path)`` of every entry (``git ls-tree -r``).
    Symbolic links, submodules, paths outside the project and files the
    record does not list are refused before anything is checked out.
    """
    hint = (f"a run is code: refusing to check it out or run it. Inspect it with `git show --stat {tag}`; "
            "use only runs from sources you trust")
    paths = {path for _, _, path in tree}
    record_parts = set(record_paths())
    for mode, _sha, path in tree:
        if not safe_relative_path(path):
            raise RerunError(f"{tag}: snapshot path {path!r} is outside the project", hint=hint)
        if mode not in REGULAR_MODES:
            kind = {"120000": "a symbolic link", "160000": "a submodule"}.get(mode, f"mode {mode}")
            raise RerunError(f"{tag}: snapshot path {path!r} is {kind}, not a regular file", hint=hint)
        if path not in record_parts and not path.startswith(".rerun/results/") and path not in record.files:
            raise RerunError(f"{tag}: snapshot holds {path!r}, which its record does not list", hint=hint)
    missing = sorted(set(record.files) - paths)
    if missing:
        raise RerunError(f"{tag}: the record lists {missing[0]!r}, which the snapshot lacks",
                         hint="the run is incomplete or was rewritten; it cannot be reproduced")


def verify_checkout(record: Any, worktree: Path, tag: str) -> None:
    """The checked-out code must be byte-for-byte what was recorded (no eol conversion, no filter).

    Datasets are checked separately (with their drift report).
    """
    from rerun_git.record.datasets import sha256_file

    for path, sha256 in record.files.items():
        if path.startswith("datasets/"):
            continue
        file = worktree / path
        if file.is_symlink() or not file.is_file() or sha256_file(file) != sha256:
            raise RerunError(
                f"{tag}: {path} as checked out differs from the bytes the run recorded",
                hint="a git setting (core.autocrlf, a filter in .git/info/attributes) changed it, or the run was rewritten",
            )


def check_snapshot_sizes(sizes: dict[str, int], tag: str, embed_datasets_max_mb: float, max_kept_mb: float) -> None:
    """Refuse a snapshot whose blobs are larger than a capture with these limits writes, before any is checked out.

    ``sizes`` is ``{path: bytes}`` of the tree's blobs. Limits come from the
    user's own settings (never from the snapshot's ``rerun.toml``): each
    embedded dataset at most ``embed_datasets_max_mb``, kept results
    (``.rerun/results/``) together at most ``max_kept_mb``, each code file at
    most :data:`MAX_CODE_FILE_BYTES`, the record at most :data:`MAX_RECORD_BYTES`.
    """
    hint = ("a small push can carry a huge, well-compressed file; raise [capture] embed_datasets_max_mb / "
            "max_kept_mb in your rerun.toml only for runs you trust")
    kept, record_parts = 0, set(record_paths())
    for path, size in sizes.items():
        if path in record_parts:
            limit, what = MAX_RECORD_BYTES, f"{MAX_RECORD_BYTES // _MB} MB (the record limit)"
        elif path.startswith(".rerun/results/"):
            kept += size
            if kept > max_kept_mb * _MB:
                raise RerunError(f"{tag}: its kept results add up to more than {max_kept_mb:g} MB ([capture] max_kept_mb)",
                                 hint=hint)
            continue
        elif path.startswith("datasets/"):
            limit, what = embed_datasets_max_mb * _MB, f"{embed_datasets_max_mb:g} MB ([capture] embed_datasets_max_mb)"
        else:
            limit, what = MAX_CODE_FILE_BYTES, f"{MAX_CODE_FILE_BYTES // _MB} MB (the code file limit)"
        if size > limit:
            raise RerunError(f"{tag}: snapshot file {path!r} is {size / _MB:.1f} MB, over {what}", hint=hint)
