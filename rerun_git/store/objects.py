"""Write git objects (blobs, trees, commits, tags) without touching any index.

SHA-1 repositories are written in-process through gitdb (GitPython's object
database): it answers which objects git already holds (loose and packed) and
stores new ones as loose objects (``LooseObjectDB.store``), so there is no
subprocess per object and an object git already holds is never written
again. Other object formats go through ``git hash-object -w``. New object
files and folders get the permissions ``core.sharedRepository`` asks for.
"""
from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from rerun_git.errors import RerunError
from rerun_git.store.repo import Repo, config_value, shared_mode, shared_permissions

FILE_MODE = "100644"
EXECUTABLE_MODE = "100755"
TREE_MODE = "40000"
#: Git's mode for a loose object file: read-only.
OBJECT_FILE_MODE = 0o444


@dataclass(frozen=True)
class TreeEntry:
    """A file in a tree to be written: its mode and blob id."""

    mode: str
    sha: str


class ObjectWriter:
    """Writes objects into a repository's object database."""

    def __init__(self, repo: Repo) -> None:
        self.repo = repo
        self._db = _open_gitdb(repo) if repo.object_format == "sha1" else None
        #: ``core.sharedRepository``, read while the snapshot is built (git applies it itself on the other path)
        self._shared_setting = repo.start_config("core.sharedRepository") if self._db is not None else None
        self._shared: tuple[int, bool] | None = None
        self._objects = repo.common_dir / "objects"
        self.written = 0

    def has(self, sha: str) -> bool:
        """Whether the object database already holds ``sha``."""
        if self._db is not None:
            return self._db.has_object(bytes.fromhex(sha))
        return self.repo.git("cat-file", "-e", sha, check=False).returncode == 0

    def write(self, kind: str, data: bytes) -> str:
        """Store one object unless git already has it; return its id."""
        sha = object_id(kind, data, self.repo.object_format)
        if self.has(sha):
            return sha
        if self._db is not None:
            self._store(sha, kind, len(data), io.BytesIO(data))
        else:
            self.repo.git("hash-object", "-w", "--stdin", "-t", kind, "--literally", input=data)
        self.written += 1
        return sha

    def write_blob(self, data: bytes) -> str:
        return self.write("blob", data)

    def write_blob_file(self, path: Path, sha: str | None = None) -> str:
        """Store the file at ``path`` as a blob, streamed; ``sha`` skips re-hashing when known."""
        sha = sha or blob_id_of_file(path, self.repo.object_format)
        if self.has(sha):
            return sha
        if self._db is not None:
            with self._writing(), path.open("rb") as handle:
                self._store(sha, "blob", os.fstat(handle.fileno()).st_size, handle)
        else:
            self.repo.git("hash-object", "-w", "--no-filters", "--", str(path))
        self.written += 1
        return sha

    def _store(self, sha: str, kind: str, size: int, stream: IO[bytes]) -> None:
        """One loose object through gitdb (temporary file, renamed into place, made read-only).

        gitdb computes the id from the bytes it wrote; a file that changed
        since it was hashed is refused rather than recorded under a wrong id.
        """
        from gitdb import IStream

        with self._writing():
            shared = self._shared_bits()
            stored = self._db.store(IStream(kind, size, stream))
            if shared is not None:
                folder = self._objects / sha[:2]
                mode = folder.stat().st_mode
                if shared_mode(mode, shared, directory=True) != mode:
                    folder.chmod(shared_mode(mode, shared, directory=True) & 0o7777)
        if stored.hexsha.decode() != sha:
            raise RerunError("a file changed while it was being captured", hint="run again once nothing writes to it")

    def _shared_bits(self) -> tuple[int, bool] | None:
        """``core.sharedRepository`` as permission bits (read once); gitdb is told the mode for object files."""
        if self._shared_setting is not None:
            self._shared = shared_permissions(config_value(self._shared_setting))
            self._shared_setting = None
            created = OBJECT_FILE_MODE & ~current_umask()  # what git's own open(..., 0444) leaves
            self._db._loose_db.new_objects_mode = shared_mode(created, self._shared) if self._shared else created
        return self._shared

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """Turn a failed object write (read-only ``.git``, full disk) into one clear error.

        Each object is written to a temporary file and renamed into place; the
        temporary file is removed when the write fails: nothing half-written stays.
        """
        try:
            yield
        except OSError as exc:
            raise RerunError(
                f"cannot write git objects into {self._objects}: {exc.strerror or exc}",
                hint="check that .git is writable and the disk is not full; no run was recorded",
            ) from exc

    def write_tree(self, files: Mapping[str, TreeEntry]) -> str:
        """Write the nested trees holding ``files`` (POSIX path -> entry); return the root tree id."""
        for path in files:
            check_tree_path(path)
        return self._write_level(_nest(files))

    def _write_level(self, level: dict[str, TreeEntry | dict]) -> str:
        entries: list[tuple[str, str, str]] = []
        for name, item in level.items():
            if isinstance(item, dict):
                entries.append((name, TREE_MODE, self._write_level(item)))
            else:
                entries.append((name, item.mode, item.sha))
        entries.sort(key=lambda e: e[0] + "/" if e[1] == TREE_MODE else e[0])
        data = b"".join(f"{mode} {name}".encode() + b"\0" + bytes.fromhex(sha) for name, mode, sha in entries)
        return self.write("tree", data)

    def write_commit(self, tree: str, parents: list[str], author: str, committer: str, message: str) -> str:
        lines = [f"tree {tree}", *(f"parent {p}" for p in parents), f"author {author}", f"committer {committer}"]
        return self.write("commit", ("\n".join(lines) + "\n\n" + _end_line(message)).encode())

    def write_tag(self, target: str, tag_name: str, tagger: str, message: str) -> str:
        lines = [f"object {target}", "type commit", f"tag {tag_name}", f"tagger {tagger}"]
        return self.write("tag", ("\n".join(lines) + "\n\n" + _end_line(message)).encode())


def current_umask() -> int:
    """The process's umask (read by setting it and putting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _open_gitdb(repo: Repo) -> Any:
    from gitdb import GitDB

    return GitDB(str(repo.common_dir / "objects"))


def check_tree_path(path: str) -> str:
    """Refuse a path rerun-git cannot store and show faithfully: not UTF-8, a newline or a NUL in it."""
    hint = "rename it, or leave it out of the capture with [capture] exclude in rerun.toml"
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        raise RerunError(f"cannot capture {path!r}: its name is not valid UTF-8", hint=hint) from None
    if "\n" in path or "\r" in path or "\0" in path:
        raise RerunError(f"cannot capture {path!r}: its name holds a line break or NUL", hint=hint)
    return path


def object_id(kind: str, data: bytes, object_format: str = "sha1") -> str:
    """The git object id of ``data`` stored as ``kind``."""
    digest = hashlib.sha1() if object_format == "sha1" else hashlib.sha256()
    digest.update(f"{kind} {len(data)}\0".encode())
    digest.update(data)
    return digest.hexdigest()


def file_mode(path: Path) -> str:
    """The git mode for a regular file on disk."""
    return EXECUTABLE_MODE if os.access(path, os.X_OK) else FILE_MODE


def _end_line(message: str) -> str:
    return message if message.endswith("\n") else message + "\n"


def _nest(files: Mapping[str, TreeEntry]) -> dict[str, TreeEntry | dict]:
    root: dict[str, TreeEntry | dict] = {}
    for path, entry in files.items():
        *dirs, name = path.split("/")
        level = root
        for part in dirs:
            level = level.setdefault(part, {})  # type: ignore[assignment]
        level[name] = entry
    return root


def blob_id_of_file(path: Path, object_format: str = "sha1", also: Sequence[Any] = ()) -> str:
    """The blob id git would give the file at ``path`` (streamed).

    Each digest in ``also`` (``hashlib`` objects) is fed the same bytes, so a
    file needing another hash too is read once.
    """
    digest = hashlib.sha1() if object_format == "sha1" else hashlib.sha256()
    digest.update(f"blob {path.stat().st_size}\0".encode())
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            for other in also:
                other.update(chunk)
    return digest.hexdigest()
