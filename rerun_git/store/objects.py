"""Write git objects (blobs, trees, commits, tags) without touching any index.

SHA-1 repositories are written in-process as loose objects (gitdb, GitPython's
object database, answers which objects git already holds): no subprocess per
object, and an object git already holds is never written again. Other object
formats fall back to ``git hash-object``.
"""
from __future__ import annotations

import hashlib
import os
import secrets
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rerun_git.errors import RerunError
from rerun_git.store.repo import Repo

FILE_MODE = "100644"
EXECUTABLE_MODE = "100755"
TREE_MODE = "40000"
#: Objects smaller than this are zlib-compressed at the best level (records,
#: trees, commits, tags: a smaller ``.git`` per run at no measurable cost);
#: larger ones at the fastest level, as git does for loose objects.
SMALL_OBJECT = 32 * 1024
CHUNK = 1 << 20


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
            self._store_loose(sha, kind, len(data), [data])
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
                self._store_loose(sha, "blob", os.fstat(handle.fileno()).st_size, iter(lambda: handle.read(CHUNK), b""))
        else:
            self.repo.git("hash-object", "-w", "--", str(path))
        self.written += 1
        return sha

    def _store_loose(self, sha: str, kind: str, size: int, chunks: Iterable[bytes]) -> None:
        """Write one loose object: zlib(header + data) into a temporary file, then renamed into place.

        The id is computed again from the bytes written; a file that changed
        since it was hashed is refused rather than stored under a wrong id.
        """
        objects = self.repo.common_dir / "objects"
        level = zlib.Z_BEST_COMPRESSION if size < SMALL_OBJECT else zlib.Z_BEST_SPEED
        with self._writing():
            tmp = objects / f"tmp_obj_{os.getpid()}_{secrets.token_hex(6)}"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)  # read-only, as git leaves objects
            try:
                with os.fdopen(fd, "wb") as out:
                    digest, packer = hashlib.sha1(), zlib.compressobj(level)
                    header = f"{kind} {size}\0".encode()
                    digest.update(header)
                    out.write(packer.compress(header))
                    for chunk in chunks:
                        digest.update(chunk)
                        out.write(packer.compress(chunk))
                    out.write(packer.flush())
                if digest.hexdigest() != sha:
                    raise RerunError("a file changed while it was being captured", hint="run again once nothing writes to it")
                (objects / sha[:2]).mkdir(exist_ok=True)
                os.replace(tmp, objects / sha[:2] / sha[2:])
            except BaseException:
                with suppress(OSError):
                    os.unlink(tmp)
                raise

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """Turn a failed object write (read-only ``.git``, full disk) into one clear error.

        Each object is written to a temporary file and renamed into place; the
        temporary file is removed when the write fails: nothing half-written stays.
        """
        try:
            yield
        except OSError as exc:
            objects = self.repo.common_dir / "objects"
            raise RerunError(
                f"cannot write git objects into {objects}: {exc.strerror or exc}",
                hint="check that .git is writable and the disk is not full; no run was recorded",
            ) from exc

    def write_tree(self, files: Mapping[str, TreeEntry]) -> str:
        """Write the nested trees holding ``files`` (POSIX path -> entry); return the root tree id."""
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


def _open_gitdb(repo: Repo):
    from gitdb import GitDB

    return GitDB(str(repo.common_dir / "objects"))


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
