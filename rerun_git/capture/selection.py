"""What goes into a snapshot: project files, datasets, kept results (no git in here)."""
from __future__ import annotations

import fnmatch
import functools
import hashlib
import json
import os
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wcmatch import glob

from rerun_git.record.validation import MAX_CODE_FILE_BYTES
from rerun_git.store.objects import check_tree_path


#: Never captured, whatever rerun.toml says (matched against each path component).
NEVER_CAPTURED = (".env*", "*.pem", "*.key", "id_rsa*", "id_ed25519*", ".netrc", ".git*")
#: Folders whose content is handled on its own (datasets, results) or is noise.
SKIPPED_DIRS = {"results", "datasets", ".rerun", "__pycache__", ".git", ".venv", "venv", ".tox", ".mypy_cache", ".pytest_cache"}
#: NEVER_CAPTURED as one regular expression (what ``fnmatch.fnmatchcase`` tries pattern by pattern).
_NEVER_CAPTURED_RE = re.compile("|".join(fnmatch.translate(pattern) for pattern in NEVER_CAPTURED))


def is_never_captured(relpath: str) -> bool:
    """Secrets and git's own files are never captured."""
    return any(_NEVER_CAPTURED_RE.match(part) for part in relpath.split("/"))


#: The one rule set of capture globs (docs/guide.md): ``*`` and ``?`` never cross ``/``; ``**`` is zero
#: or more folders; a pattern without ``/`` matches the file name at any depth; dot files are not special.
GLOB_FLAGS = glob.GLOBSTAR | glob.MATCHBASE | glob.DOTGLOB


@functools.lru_cache(maxsize=64)
def _matcher(patterns: tuple[str, ...]) -> glob.WcMatcher:
    return glob.compile(list(patterns), flags=GLOB_FLAGS)


def glob_matches(relpath: str, patterns: Iterable[str]) -> bool:
    """Whether the POSIX relative path matches one of ``patterns`` under :data:`GLOB_FLAGS` (``wcmatch``)."""
    patterns = tuple(patterns)
    return bool(patterns) and _matcher(patterns).match(relpath)


def iter_project_files(root: Path) -> Iterable[str]:
    """Regular files under ``root`` as POSIX relative paths, not following symlinks out of it."""
    root = root.resolve()
    top = str(root)
    for dirpath, dirnames, filenames in os.walk(top):  # plain strings: pathlib costs more than the walk here
        dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS and not os.path.islink(os.path.join(dirpath, d)))
        rel = os.path.relpath(dirpath, top)
        prefix = "" if rel == "." else rel.replace(os.sep, "/") + "/"
        for filename in sorted(filenames):
            path = os.path.join(dirpath, filename)
            if os.path.islink(path) and not _inside(Path(path).resolve(), root):
                continue
            if os.path.isfile(path):
                yield prefix + filename


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return True


def select_project_files(
    root: Path, include: list[str], exclude: list[str], executed: dict[str, bytes]
) -> dict[str, bytes]:
    """The project files of a snapshot: those that ran (their exact bytes) plus ``include`` globs read now."""
    files: dict[str, bytes] = {}
    for relpath in iter_project_files(root):
        if not glob_matches(relpath, include) or glob_matches(relpath, exclude) or is_never_captured(relpath):
            continue
        check_tree_path(relpath)
        path = os.path.join(root, relpath)
        if os.stat(path).st_size <= MAX_CODE_FILE_BYTES:
            with open(path, "rb") as handle:
                files[relpath] = handle.read()
    for relpath, data in executed.items():
        if not is_never_captured(relpath) and not relpath.startswith(("results/", ".rerun/")):
            files[relpath] = data
    return dict(sorted(files.items()))


def kept_results(results_dir: Path, patterns: list[str], max_bytes: float | None = None,
                 skipped: list[str] | None = None) -> dict[str, Path]:
    """Result files to copy into the snapshot: ``{path under results_dir: file}``.

    With ``max_bytes`` (``[capture] max_kept_mb``), files are kept in path
    order while they fit; the paths of the others are appended to ``skipped``.
    """
    if not results_dir.is_dir():
        return {}
    kept, total = {}, 0
    for path in sorted(results_dir.rglob("*")):
        rel = path.relative_to(results_dir).as_posix()
        if path.is_file() and not path.is_symlink() and glob_matches(rel, patterns) and not is_never_captured(rel):
            size = path.stat().st_size
            if max_bytes is not None and total + size > max_bytes:
                if skipped is not None:
                    skipped.append(rel)
                continue
            kept[check_tree_path(rel)] = path
            total += size
    return kept


@dataclass
class FileIdentity:
    """A file's sha256 and git blob id, as cached by :class:`HashCache`."""

    sha256: str
    blob: str


class HashCache:
    """sha256 and blob id of large files, keyed by path, size, mtime_ns and inode.

    An unchanged dataset is never read twice. Entries for files modified in
    the last two seconds are not trusted (a write in the same timestamp tick
    would go unnoticed), as git does for its index.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._entries: dict[str, list] = {}
        self._dirty = False
        try:
            self._entries = json.loads(path.read_text())
        except (OSError, ValueError):
            self._entries = {}

    def identity(self, file: Path, blob_id: Callable[[Path, Sequence[Any]], str]) -> FileIdentity:
        """The file's sha256 and blob id: from the cache when its stat is unchanged, else from one read.

        ``blob_id(file, also)`` returns the blob id and feeds the same bytes to
        each digest in ``also`` (here the sha256).
        """
        stat = file.stat()
        key = str(file.resolve())
        stamp = [stat.st_size, stat.st_mtime_ns, stat.st_ino]
        cached = self._entries.get(key)
        if isinstance(cached, list) and len(cached) == 5 and cached[:3] == stamp:
            return FileIdentity(cached[3], cached[4])
        sha256 = hashlib.sha256()
        blob = blob_id(file, [sha256])
        identity = FileIdentity(sha256.hexdigest(), blob)
        if time.time_ns() - stat.st_mtime_ns > 2_000_000_000:
            self._entries[key] = [*stamp, identity.sha256, identity.blob]
            self._dirty = True
        return identity

    def save(self) -> None:
        if not self._dirty:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(self._entries))
        os.replace(tmp, self.path)
        self._dirty = False
